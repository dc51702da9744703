;; The tile machine's MATMUL in WebAssembly SIMD128 (runtime/tile/wasm/kernels.ts loads it; docs/isa.md,
;; "Machine implementation"). Plain SIMD128 only: every instruction is deterministic (relaxed SIMD is not).
;;
;; C[m×n] (+)= A[m×k]·B[k×n] on int8 tiles of row stride t (bytes) into an int32 tile of row stride t (words).
;; Products are exact: int8 values are sign-extended to int16 and i32x4.dot_i16x8_s multiplies pairs of
;; them into int32 (|a·b| <= 2^14). Sums are int32 additions, which wrap modulo 2^32 like the TypeScript
;; reference; since that addition is associative modulo 2^32, the order of the terms cannot change a result.
;;
;; B is first packed so that one dot instruction does two k steps for four columns: for k-pair p and column j
;; the int16 lanes hold b[2p][j], b[2p+1][j]. A row then contributes the splat a[i][2p], a[i][2p+1].
;; When k is odd, the last pair's second B row is packed as zeros, so the A value next to it (whatever it
;; is) multiplies zero. Loads read up to 16 bytes beyond a row's n columns; those lanes are discarded, and the
;; caller leaves at least 64 bytes of addressable memory after the scratchpad.
(module
  (memory (import "env" "memory") 1)

  ;; pack: packed B for pairs p (rowBytes = 64·ceil(n/16) bytes each). tmp: 16 bytes for a partial column group.
  (func (export "matmul")
    (param $c i32) (param $a i32) (param $b i32) (param $t i32)
    (param $m i32) (param $n i32) (param $k i32) (param $accumulate i32)
    (param $pack i32) (param $tmp i32)
    (local $pairs i32) (local $blocks i32) (local $rowBytes i32)
    (local $p i32) (local $jb i32) (local $rowK i32) (local $dst i32)
    (local $v0 v128) (local $v1 v128) (local $lo v128) (local $hi v128)
    (local $i i32) (local $arow i32) (local $crow i32) (local $src i32) (local $av v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $j0 i32) (local $rem i32) (local $out i32) (local $g i32) (local $word i32)

    (local.set $pairs (i32.shr_u (i32.add (local.get $k) (i32.const 1)) (i32.const 1)))
    (local.set $blocks (i32.shr_u (i32.add (local.get $n) (i32.const 15)) (i32.const 4)))
    (local.set $rowBytes (i32.shl (local.get $blocks) (i32.const 6)))

    ;; Pack B.
    (local.set $p (i32.const 0))
    (loop $packPairs
      (local.set $rowK (i32.add (local.get $b) (i32.mul (i32.shl (local.get $p) (i32.const 1)) (local.get $t))))
      (local.set $dst (i32.add (local.get $pack) (i32.mul (local.get $p) (local.get $rowBytes))))
      (local.set $jb (i32.const 0))
      (loop $packBlocks
        (local.set $v0 (v128.load align=1 (i32.add (local.get $rowK) (i32.shl (local.get $jb) (i32.const 4)))))
        (if (i32.lt_u (i32.add (i32.shl (local.get $p) (i32.const 1)) (i32.const 1)) (local.get $k))
          (then (local.set $v1 (v128.load align=1 (i32.add (i32.add (local.get $rowK) (local.get $t)) (i32.shl (local.get $jb) (i32.const 4))))))
          (else (local.set $v1 (v128.const i32x4 0 0 0 0))))
        (local.set $lo (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $v0) (local.get $v1)))
        (local.set $hi (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $v0) (local.get $v1)))
        (v128.store align=1 (local.get $dst) (i16x8.extend_low_i8x16_s (local.get $lo)))
        (v128.store offset=16 align=1 (local.get $dst) (i16x8.extend_high_i8x16_s (local.get $lo)))
        (v128.store offset=32 align=1 (local.get $dst) (i16x8.extend_low_i8x16_s (local.get $hi)))
        (v128.store offset=48 align=1 (local.get $dst) (i16x8.extend_high_i8x16_s (local.get $hi)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
        (br_if $packBlocks (i32.lt_u (local.get $jb) (local.get $blocks))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $packPairs (i32.lt_u (local.get $p) (local.get $pairs))))

    ;; Multiply, one row of A and 16 columns at a time.
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $t))))
      (local.set $crow (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $t)) (i32.const 2))))
      (local.set $jb (i32.const 0))
      (loop $colBlocks
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $src (i32.add (local.get $pack) (i32.shl (local.get $jb) (i32.const 6))))
        (local.set $p (i32.const 0))
        (loop $kPairs
          (local.set $av (i16x8.extend_low_i8x16_s (v128.load16_splat align=1 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 1))))))
          (local.set $s0 (i32x4.add (local.get $s0) (i32x4.dot_i16x8_s (local.get $av) (v128.load (local.get $src)))))
          (local.set $s1 (i32x4.add (local.get $s1) (i32x4.dot_i16x8_s (local.get $av) (v128.load offset=16 (local.get $src)))))
          (local.set $s2 (i32x4.add (local.get $s2) (i32x4.dot_i16x8_s (local.get $av) (v128.load offset=32 (local.get $src)))))
          (local.set $s3 (i32x4.add (local.get $s3) (i32x4.dot_i16x8_s (local.get $av) (v128.load offset=48 (local.get $src)))))
          (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $kPairs (i32.lt_u (local.get $p) (local.get $pairs))))
        (local.set $j0 (i32.shl (local.get $jb) (i32.const 4)))
        (local.set $rem (i32.sub (local.get $n) (local.get $j0)))
        (local.set $out (i32.add (local.get $crow) (i32.shl (local.get $j0) (i32.const 2))))
        (if (local.get $accumulate)
          (then
            (local.set $s0 (i32x4.add (local.get $s0) (v128.load align=4 (local.get $out))))
            (local.set $s1 (i32x4.add (local.get $s1) (v128.load offset=16 align=4 (local.get $out))))
            (local.set $s2 (i32x4.add (local.get $s2) (v128.load offset=32 align=4 (local.get $out))))
            (local.set $s3 (i32x4.add (local.get $s3) (v128.load offset=48 align=4 (local.get $out))))))
        (if (i32.ge_u (local.get $rem) (i32.const 16))
          (then
            (v128.store align=4 (local.get $out) (local.get $s0))
            (v128.store offset=16 align=4 (local.get $out) (local.get $s1))
            (v128.store offset=32 align=4 (local.get $out) (local.get $s2))
            (v128.store offset=48 align=4 (local.get $out) (local.get $s3)))
          (else
            ;; Fewer than 16 columns left: write exactly `rem` words through tmp, never past column n.
            (v128.store (local.get $tmp) (local.get $s0))
            (v128.store offset=16 (local.get $tmp) (local.get $s1))
            (v128.store offset=32 (local.get $tmp) (local.get $s2))
            (v128.store offset=48 (local.get $tmp) (local.get $s3))
            (local.set $g (i32.const 0))
            (loop $lanes
              (local.set $word (i32.shl (local.get $g) (i32.const 2)))
              (i32.store (i32.add (local.get $out) (local.get $word)) (i32.load (i32.add (local.get $tmp) (local.get $word))))
              (local.set $g (i32.add (local.get $g) (i32.const 1)))
              (br_if $lanes (i32.lt_u (local.get $g) (local.get $rem))))))
        (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
        (br_if $colBlocks (i32.lt_u (local.get $jb) (local.get $blocks))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $m)))))
  ;; ---------------------------------------------------------------------------------------------------
  ;; Requantization (docs/arithmetic.md), the integer rule of ir/arith/fixedpoint.ts on 64-bit integers:
  ;;   requantize(x) = clamp(multiplyByQuantizedMultiplier(x, m, shift) + zeroPoint, qmin, qmax)
  ;; test/runtime/tile-requant.test.ts holds it equal to ir/arith requantize. x, m, zeroPoint are int32,
  ;; m >= 0, shift in -31..30 (the machine checks both before calling).

  ;; gemmlowp SaturatingRoundingDoublingHighMul: trunc((a·b + nudge) / 2^31), nudge = 2^30 when a·b >= 0,
  ;; else 1 - 2^30; a = b = INT32_MIN saturates to INT32_MAX.
  (func $highMul (param $a i32) (param $b i32) (result i32)
    (local $ab i64)
    (if (i32.and (i32.eq (local.get $a) (i32.const 0x80000000)) (i32.eq (local.get $b) (i32.const 0x80000000)))
      (then (return (i32.const 0x7fffffff))))
    (local.set $ab (i64.mul (i64.extend_i32_s (local.get $a)) (i64.extend_i32_s (local.get $b))))
    (i32.wrap_i64
      (i64.div_s
        (i64.add (local.get $ab) (select (i64.const 0x40000000) (i64.const -1073741823) (i64.ge_s (local.get $ab) (i64.const 0))))
        (i64.const 0x80000000))))

  (func $requantize (export "requantize")
    (param $x i32) (param $m i32) (param $shift i32) (param $zp i32) (param $qmin i32) (param $qmax i32) (result i32)
    (local $v i64) (local $h i32) (local $e i32) (local $mask i32) (local $r i32)
    (if (i32.gt_s (local.get $shift) (i32.const 0))
      (then
        ;; x·2^shift saturated to int32, then the high multiply (no rounding shift).
        (local.set $v (i64.shl (i64.extend_i32_s (local.get $x)) (i64.extend_i32_u (local.get $shift))))
        (if (i64.gt_s (local.get $v) (i64.const 0x7fffffff)) (then (local.set $v (i64.const 0x7fffffff))))
        (if (i64.lt_s (local.get $v) (i64.const -2147483648)) (then (local.set $v (i64.const -2147483648))))
        (local.set $r (call $highMul (i32.wrap_i64 (local.get $v)) (local.get $m))))
      (else
        ;; The high multiply, then RoundingDivideByPOT by e = -shift: nearest, ties away from zero.
        (local.set $h (call $highMul (local.get $x) (local.get $m)))
        (local.set $e (i32.sub (i32.const 0) (local.get $shift)))
        (local.set $mask (select (i32.const 0) (i32.shr_u (i32.const -1) (i32.sub (i32.const 32) (local.get $e))) (i32.eqz (local.get $e))))
        (local.set $r
          (i32.add
            (i32.shr_s (local.get $h) (local.get $e))
            (i32.gt_s
              (i32.and (local.get $h) (local.get $mask))
              (i32.add (i32.shr_u (local.get $mask) (i32.const 1)) (i32.lt_s (local.get $h) (i32.const 0))))))))
    (local.set $v (i64.add (i64.extend_i32_s (local.get $r)) (i64.extend_i32_s (local.get $zp))))
    (if (i64.lt_s (local.get $v) (i64.extend_i32_s (local.get $qmin))) (then (return (local.get $qmin))))
    (if (i64.gt_s (local.get $v) (i64.extend_i32_s (local.get $qmax))) (then (return (local.get $qmax))))
    (i32.wrap_i64 (local.get $v)))

  ;; One STORE row: out[c] = requantize(acc[c]) for c < n, as int8 bytes.
  (func (export "requantizeRow")
    (param $acc i32) (param $out i32) (param $n i32)
    (param $m i32) (param $shift i32) (param $zp i32) (param $qmin i32) (param $qmax i32)
    (local $c i32)
    (loop $cols
      (i32.store8
        (i32.add (local.get $out) (local.get $c))
        (call $requantize (i32.load (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 2))))
          (local.get $m) (local.get $shift) (local.get $zp) (local.get $qmin) (local.get $qmax)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $cols (i32.lt_u (local.get $c) (local.get $n)))))

  ;; LOAD: the scratchpad tile at $spad (t×t) ← zeros, then rows×cols bytes from DRAM at $src, rows $stride
  ;; apart (the machine has checked every address; DRAM and scratchpad are disjoint parts of this memory).
  (func (export "load")
    (param $spad i32) (param $src i32) (param $stride i32) (param $rows i32) (param $cols i32) (param $t i32)
    (local $r i32)
    (memory.fill (local.get $spad) (i32.const 0) (i32.mul (local.get $t) (local.get $t)))
    (loop $copyRows
      (memory.copy
        (i32.add (local.get $spad) (i32.mul (local.get $r) (local.get $t)))
        (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $stride)))
        (local.get $cols))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $copyRows (i32.lt_u (local.get $r) (local.get $rows)))))
)
