;; The float32 -> int8 quantization of tilec's program boundary and host Quantize, in SIMD128: ir/arith
;; quantizeF32 exactly, for a float32 scale and int8 zero point and clamp (quantize.ts checks that):
;;   q = nearest-even(f32(x / scale)) + zeroPoint saturated to [qmin, qmax]; NaN gives the zero point.
;; f32.div is the correctly rounded float32 quotient, which is what ir/arith's f32(x / scale) (a double
;; quotient of two float32 values, rounded to float32) equals: double rounding is innocuous for division
;; when the wide format has at least 2p + 2 bits (53 >= 2·24 + 2). f32.nearest rounds ties to even. The
;; rounded quotient is saturated to int32 and then to [-256, 255] before the zero point is added (an int8
;; zero point cannot carry a value beyond either bound back inside [qmin, qmax], so this changes nothing).
;;
;; Memory: n float32 values at byte x, n int8 codes written at byte y (the caller lays them out).
(module
  (memory (export "memory") 1)

  ;; One value, as the vector loop computes each lane.
  (func $one (param $v f32) (param $scale f32) (param $zp i32) (param $qmin i32) (param $qmax i32) (result i32)
    (local $r i32)
    (if (result i32) (f32.ne (local.get $v) (local.get $v))
      (then (local.get $zp))
      (else
        (local.set $r (i32.trunc_sat_f32_s (f32.nearest (f32.div (local.get $v) (local.get $scale)))))
        (local.set $r (select (i32.const -256) (local.get $r) (i32.lt_s (local.get $r) (i32.const -256))))
        (local.set $r (select (i32.const 255) (local.get $r) (i32.gt_s (local.get $r) (i32.const 255))))
        (local.set $r (i32.add (local.get $r) (local.get $zp)))
        (local.set $r (select (local.get $qmin) (local.get $r) (i32.lt_s (local.get $r) (local.get $qmin))))
        (select (local.get $qmax) (local.get $r) (i32.gt_s (local.get $r) (local.get $qmax))))))

  ;; Four lanes: the same steps; NaN lanes (v != v) take the zero point.
  (func $four (param $v v128) (param $scale v128) (param $zp v128) (param $qmin v128) (param $qmax v128) (result v128)
    (local $r v128)
    (local.set $r (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.div (local.get $v) (local.get $scale)))))
    (local.set $r (i32x4.max_s (local.get $r) (v128.const i32x4 -256 -256 -256 -256)))
    (local.set $r (i32x4.min_s (local.get $r) (v128.const i32x4 255 255 255 255)))
    (local.set $r (i32x4.add (local.get $r) (local.get $zp)))
    (local.set $r (i32x4.min_s (i32x4.max_s (local.get $r) (local.get $qmin)) (local.get $qmax)))
    (v128.bitselect (local.get $r) (local.get $zp) (f32x4.eq (local.get $v) (local.get $v))))

  (func (export "quantize") (param $x i32) (param $y i32) (param $n i32) (param $scale f32) (param $zp i32) (param $qmin i32) (param $qmax i32)
    (local $i i32) (local $end16 i32) (local $vs v128) (local $vz v128) (local $vlo v128) (local $vhi v128) (local $p i32)
    (local.set $vs (f32x4.splat (local.get $scale)))
    (local.set $vz (i32x4.splat (local.get $zp)))
    (local.set $vlo (i32x4.splat (local.get $qmin)))
    (local.set $vhi (i32x4.splat (local.get $qmax)))
    (local.set $end16 (i32.and (local.get $n) (i32.const -16)))
    ;; 16 values per step: four vectors of four, narrowed to 16 codes (every lane is already an int8 value).
    (block $done16
      (loop $step
        (br_if $done16 (i32.ge_u (local.get $i) (local.get $end16)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store (i32.add (local.get $y) (local.get $i))
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s
              (call $four (v128.load (local.get $p)) (local.get $vs) (local.get $vz) (local.get $vlo) (local.get $vhi))
              (call $four (v128.load offset=16 (local.get $p)) (local.get $vs) (local.get $vz) (local.get $vlo) (local.get $vhi)))
            (i16x8.narrow_i32x4_s
              (call $four (v128.load offset=32 (local.get $p)) (local.get $vs) (local.get $vz) (local.get $vlo) (local.get $vhi))
              (call $four (v128.load offset=48 (local.get $p)) (local.get $vs) (local.get $vz) (local.get $vlo) (local.get $vhi)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $step)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $y) (local.get $i))
          (call $one (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
            (local.get $scale) (local.get $zp) (local.get $qmin) (local.get $qmax)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))))
