;; WebAssembly kernels of the tile machine's host side (runtime/tile/host/wasm/kernels.ts).
;;
;; quantize: the float32 -> int8 quantization of tilec's program boundary and host Quantize, in SIMD128: ir/arith
;; quantizeF32 exactly, for a float32 scale and int8 zero point and clamp (quantize.ts checks that):
;;   q = nearest-even(f32(x / scale)) + zeroPoint saturated to [qmin, qmax]; NaN gives the zero point.
;; f32.div is the correctly rounded float32 quotient, which is what ir/arith's f32(x / scale) (a double
;; quotient of two float32 values, rounded to float32) equals: double rounding is innocuous for division
;; when the wide format has at least 2p + 2 bits (53 >= 2·24 + 2). f32.nearest rounds ties to even. The
;; rounded quotient is saturated to int32 and then to [-256, 255] before the zero point is added (an int8
;; zero point cannot carry a value beyond either bound back inside [qmin, qmax], so this changes nothing).
;;
;; Memory: n float32 values at byte x, n int8 codes written at byte y (the caller lays them out).
;;
;; lookup2: y[i] = table[(a[i] << 8) | b[i]] over bytes, QAdd's lookup in the table of its 256 x 256 results
;; (qadd-table.ts builds the table from the reference rule).
;;
;; lookup1: y[i] = table[256·c + x[i]] over bytes, c the channel of run i / inner (mod channels): Requantize's
;; lookup in the kernel's results for every code of every channel (table-ops.ts). lookupf32: the same with
;; one channel of float32 results (Dequantize).
;;
;; maxpool: the int8 MaxPool of 1-D and 2-D windows (maxpool-gather.ts builds the windows from the reference
;; kernel's poolPlan): per output row, the window's input rows are folded into one row with i8x16.max_s, then
;; each output is the maximum of its window's columns of that row. A maximum of integers is exact in any order.
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
        (br $tail))))
  ;; y[p][oh][ow] = max over the window's rows r (first row ht[2 oh], ht[2 oh + 1] rows, dH apart) and columns c
  ;; (first wt[2 ow], wt[2 ow + 1] columns, dW apart) of x[p][r][c]; x planes are H x W int8, windows non-empty.
  ;; ht and wt hold i32 pairs; rows is W bytes of scratch rounded up to 16, and memory extends at least 16 bytes
  ;; past the last plane of x.
  (func (export "maxpool")
    (param $x i32) (param $y i32) (param $planes i32) (param $H i32) (param $W i32) (param $hout i32) (param $wout i32)
    (param $dH i32) (param $dW i32) (param $ht i32) (param $wt i32) (param $rows i32)
    (local $p i32) (local $oh i32) (local $ow i32) (local $plane i32) (local $k i32) (local $cnt i32) (local $src i32)
    (local $w i32) (local $best i32) (local $c i32) (local $v i32) (local $out i32) (local $step i32)
    (local.set $step (i32.mul (local.get $dH) (local.get $W)))
    (local.set $out (local.get $y))
    (block $pdone (loop $ploop
      (br_if $pdone (i32.ge_u (local.get $p) (local.get $planes)))
      (local.set $plane (i32.add (local.get $x) (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W)))))
      (local.set $oh (i32.const 0))
      (block $hdone (loop $hloop
        (br_if $hdone (i32.ge_u (local.get $oh) (local.get $hout)))
        ;; rows = the window's first input row, then the maximum with each further one
        (local.set $src (i32.add (local.get $plane)
          (i32.mul (i32.load (i32.add (local.get $ht) (i32.shl (local.get $oh) (i32.const 3)))) (local.get $W))))
        (local.set $cnt (i32.load offset=4 (i32.add (local.get $ht) (i32.shl (local.get $oh) (i32.const 3)))))
        ;; Whole 16-byte chunks: the last may read up to 15 bytes past the row (inside memory, the caller
        ;; leaves room) into rows' padding, which no column reads.
        (local.set $w (i32.const 0))
        (block $cpdone (loop $cploop
          (br_if $cpdone (i32.ge_u (local.get $w) (local.get $W)))
          (v128.store (i32.add (local.get $rows) (local.get $w)) (v128.load (i32.add (local.get $src) (local.get $w))))
          (local.set $w (i32.add (local.get $w) (i32.const 16)))
          (br $cploop)))
        (local.set $k (i32.const 1))
        (block $kdone (loop $kloop
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $cnt)))
          (local.set $src (i32.add (local.get $src) (local.get $step)))
          (local.set $w (i32.const 0))
          (block $vdone (loop $vloop
            (br_if $vdone (i32.ge_u (local.get $w) (local.get $W)))
            (v128.store (i32.add (local.get $rows) (local.get $w))
              (i8x16.max_s (v128.load (i32.add (local.get $rows) (local.get $w))) (v128.load (i32.add (local.get $src) (local.get $w)))))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (br $vloop)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kloop)))
        ;; each output of the row: the maximum of its window's columns of rows
        (local.set $ow (i32.const 0))
        (block $wdone (loop $wloop
          (br_if $wdone (i32.ge_u (local.get $ow) (local.get $wout)))
          (local.set $c (i32.add (local.get $rows) (i32.load (i32.add (local.get $wt) (i32.shl (local.get $ow) (i32.const 3))))))
          (local.set $cnt (i32.load offset=4 (i32.add (local.get $wt) (i32.shl (local.get $ow) (i32.const 3)))))
          (local.set $best (i32.load8_s (local.get $c)))
          (local.set $k (i32.const 1))
          (block $cdone (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $k) (local.get $cnt)))
            (local.set $c (i32.add (local.get $c) (local.get $dW)))
            (local.set $v (i32.load8_s (local.get $c)))
            (local.set $best (select (local.get $v) (local.get $best) (i32.gt_s (local.get $v) (local.get $best))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $cloop)))
          (i32.store8 (local.get $out) (local.get $best))
          (local.set $out (i32.add (local.get $out) (i32.const 1)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $wloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $hloop)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $ploop))))

  ;; y[i] = table[(a[i] << 8) | b[i]] for i < n, four bytes per step (table: 65536 bytes).
  (func (export "lookup2") (param $a i32) (param $b i32) (param $y i32) (param $n i32) (param $table i32)
    (local $i i32) (local $end4 i32) (local $va i32) (local $vb i32)
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4 (loop $step
      (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $va (i32.load (i32.add (local.get $a) (local.get $i))))
      (local.set $vb (i32.load (i32.add (local.get $b) (local.get $i))))
      (i32.store
        (i32.add (local.get $y) (local.get $i))
        (i32.or
          (i32.or
            (i32.load8_u (i32.add (local.get $table) (i32.or (i32.shl (i32.and (local.get $va) (i32.const 0xff)) (i32.const 8)) (i32.and (local.get $vb) (i32.const 0xff)))))
            (i32.shl (i32.load8_u (i32.add (local.get $table) (i32.or (i32.and (local.get $va) (i32.const 0xff00)) (i32.and (i32.shr_u (local.get $vb) (i32.const 8)) (i32.const 0xff))))) (i32.const 8)))
          (i32.or
            (i32.shl (i32.load8_u (i32.add (local.get $table) (i32.or (i32.and (i32.shr_u (local.get $va) (i32.const 8)) (i32.const 0xff00)) (i32.and (i32.shr_u (local.get $vb) (i32.const 16)) (i32.const 0xff))))) (i32.const 16))
            (i32.shl (i32.load8_u (i32.add (local.get $table) (i32.or (i32.and (i32.shr_u (local.get $va) (i32.const 16)) (i32.const 0xff00)) (i32.shr_u (local.get $vb) (i32.const 24))))) (i32.const 24)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $step)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (local.get $y) (local.get $i))
        (i32.load8_u (i32.add (local.get $table)
          (i32.or (i32.shl (i32.load8_u (i32.add (local.get $a) (local.get $i))) (i32.const 8)) (i32.load8_u (i32.add (local.get $b) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail))))

  ;; y[i] = table[256·c + x[i]] (bytes) for i < n, c = (i / inner) mod channels.
  (func (export "lookup1") (param $x i32) (param $y i32) (param $n i32) (param $inner i32) (param $channels i32) (param $table i32)
    (local $start i32) (local $end i32) (local $c i32) (local $base i32) (local $i i32)
    (block $done (loop $run
      (br_if $done (i32.ge_u (local.get $start) (local.get $n)))
      (local.set $base (i32.add (local.get $table) (i32.shl (local.get $c) (i32.const 8))))
      (local.set $end (i32.add (local.get $start) (local.get $inner)))
      (if (i32.gt_u (local.get $end) (local.get $n)) (then (local.set $end (local.get $n))))
      (local.set $i (local.get $start))
      (block $rdone (loop $elem
        (br_if $rdone (i32.ge_u (local.get $i) (local.get $end)))
        (i32.store8 (i32.add (local.get $y) (local.get $i))
          (i32.load8_u (i32.add (local.get $base) (i32.load8_u (i32.add (local.get $x) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $elem)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (local.get $channels)) (then (local.set $c (i32.const 0))))
      (local.set $start (local.get $end))
      (br $run))))

  ;; y[i] = table[x[i]] (float32 results, byte-indexed) for i < n; y 4-byte elements.
  (func (export "lookupf32") (param $x i32) (param $y i32) (param $n i32) (param $table i32)
    (local $i i32)
    (block $done (loop $elem
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
        (f32.load (i32.add (local.get $table) (i32.shl (i32.load8_u (i32.add (local.get $x) (local.get $i))) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $elem))))
)
