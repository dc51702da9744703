;; Symmetric weight quantization (passes/quantize/weight-codes.ts) in WebAssembly SIMD128.
;;
;; quantize: for i < n, with x = the float32 at src + 4i,
;;   code = clamp(roundTiesToEven(f32(f64(x) / scale)), qmin, qmax), NaN -> 0,
;; stored as one byte at dst + i; returns the sum of the n codes (n <= 2^23, so it fits i32).
;; This is ir/arith quantizeF32(x, scale, 0, qmin, qmax) element by element: the quotient is taken in float64
;; and rounded once to float32 (f32.demote / f32x4.demote_f64x2_zero, as Math.fround), rounded half to even
;; (f32.nearest), NaN truncates to 0 (i32.trunc_sat) which is the zero point, ±Inf saturates and is clamped.
;; Four elements per step; the last n mod 4 one by one. When the scale is itself a float32 value (as computed
;; scales are) the four quotients are one f32x4.div: the correctly rounded float32 quotient of two float32
;; values equals the float64 quotient rounded to float32 (53 >= 2·24 + 2 bits, so rounding twice is harmless).
;;
;; scale: the n float32 values at p times k, in place: f32(f64(x) · k), the product in float64 rounded once to
;; float32, as fold-batchnorm's scaleAlong stores x · k into a Float32Array.
;;
;; abs_max: max(0, |x|) over the n float32 values at src, NaN if any is NaN (f32.max propagates it), as
;; quantize-annotate's weightAlphas takes Math.max(a, Math.abs(x)) from a = 0.
(module
  (memory (import "env" "memory") 1)
  (func (export "quantize")
    (param $src i32) (param $dst i32) (param $n i32) (param $scale f64) (param $qmin i32) (param $qmax i32) (result i32)
    (local $i i32) (local $end4 i32) (local $x v128) (local $q v128) (local $sum v128) (local $s v128)
    (local $lo v128) (local $hi v128) (local $total i32) (local $one i32) (local $s32 v128) (local $exact32 i32)
    (local.set $s (f64x2.splat (local.get $scale)))
    (local.set $s32 (f32x4.splat (f32.demote_f64 (local.get $scale))))
    (local.set $exact32 (f64.eq (f64.promote_f32 (f32.demote_f64 (local.get $scale))) (local.get $scale)))
    (local.set $lo (i32x4.splat (local.get $qmin)))
    (local.set $hi (i32x4.splat (local.get $qmax)))
    (local.set $sum (v128.const i32x4 0 0 0 0))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $x (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
        (if (local.get $exact32)
          (then (local.set $q (f32x4.div (local.get $x) (local.get $s32))))
          ;; lanes 0,1 and 2,3 divided in float64, each pair rounded to float32, joined again
          (else (local.set $q
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (f64x2.div (f64x2.promote_low_f32x4 (local.get $x)) (local.get $s)))
              (f32x4.demote_f64x2_zero (f64x2.div
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
                (local.get $s)))))))
        (local.set $q (i32x4.min_s (i32x4.max_s (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $q))) (local.get $lo)) (local.get $hi)))
        (local.set $sum (i32x4.add (local.get $sum) (local.get $q)))
        ;; the codes lie in [qmin, qmax] within int8: the saturating narrows keep them
        (v128.store32_lane 0 (i32.add (local.get $dst) (local.get $i))
          (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $q) (local.get $q)) (i16x8.narrow_i32x4_s (local.get $q) (local.get $q))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $four)))
    (local.set $total (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
      (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $one (i32.trunc_sat_f32_s (f32.nearest (f32.demote_f64 (f64.div
          (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $scale))))))
        (if (i32.lt_s (local.get $one) (local.get $qmin)) (then (local.set $one (local.get $qmin))))
        (if (i32.gt_s (local.get $one) (local.get $qmax)) (then (local.set $one (local.get $qmax))))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (local.get $one))
        (local.set $total (i32.add (local.get $total) (local.get $one)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $total))
  (func (export "abs_max") (param $src i32) (param $n i32) (result f32)
    (local $i i32) (local $end4 i32) (local $m v128) (local $r f32)
    (local.set $m (v128.const f32x4 0 0 0 0))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $m (f32x4.max (local.get $m)
          (f32x4.abs (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $four)))
    (local.set $r (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r (f32.max (local.get $r)
          (f32.abs (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $r))
  (func (export "scale") (param $p i32) (param $n i32) (param $k f64)
    (local $i i32) (local $end4 i32) (local $x v128) (local $s v128) (local $at i32)
    (local.set $s (f64x2.splat (local.get $k)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $at (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $x (v128.load (local.get $at)))
        (v128.store (local.get $at)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (local.get $s)))
            (f32x4.demote_f64x2_zero (f64x2.mul
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
              (local.get $s)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $four)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (f32.store (local.get $at) (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load (local.get $at))) (local.get $k))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))
)
