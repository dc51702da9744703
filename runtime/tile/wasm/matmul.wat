;; The tile machine's kernels in WebAssembly SIMD128 (runtime/tile/wasm/kernels.ts loads them; docs/isa.md,
;; "Machine implementation"). Plain SIMD128 only: every instruction is deterministic (relaxed SIMD is not).
;; Exports, each the exact semantics of the instruction in docs/isa.md (machine.ts checks every field and
;; address first, so none of them can trap):
;;   matmul        MATMUL (below)
;;   load          LOAD
;;   gatherIm2col  LOAD_IM2COL, from per-descriptor row, column and mask tables
;;   storeRequant  STORE requant, the whole tile; returns the row of a bad requant entry, or -1
;;   storeRaw      STORE raw32
;;   preload       PRELOAD (zero, broadcast, tile)
;;   runBlock      a run of the above (and FENCE), read from the program's own instruction words
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

  ;; pack: packed B for pairs p (rowBytes = 64·ceil(n/16) bytes each). tmp: 64 bytes for a partial column group.
  ;; keyAt: 0, or the address of an int32 that says for which k·65536 + n the pack area already holds this B
  ;; slot packed (the machine zeroes it whenever the slot is written); then packing is skipped when it matches.
  (func $matmul (export "matmul")
    (param $c i32) (param $a i32) (param $b i32) (param $t i32)
    (param $m i32) (param $n i32) (param $k i32) (param $accumulate i32)
    (param $pack i32) (param $tmp i32) (param $keyAt i32)
    (local $pairs i32) (local $blocks i32) (local $rowBytes i32)
    (local $p i32) (local $jb i32) (local $rowK i32) (local $dst i32)
    (local $v0 v128) (local $v1 v128) (local $lo v128) (local $hi v128)
    (local $i i32) (local $arow i32) (local $crow i32) (local $src i32) (local $av v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $j0 i32) (local $rem i32) (local $out i32)
    (local $two i32) (local $arow2 i32) (local $aw v128) (local $bv v128)
    (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128) (local $key i32) (local $g i32) (local $word i32)

    (local.set $pairs (i32.shr_u (i32.add (local.get $k) (i32.const 1)) (i32.const 1)))
    (local.set $blocks (i32.shr_u (i32.add (local.get $n) (i32.const 15)) (i32.const 4)))
    (local.set $rowBytes (i32.shl (local.get $blocks) (i32.const 6)))

    ;; Pack B, unless it is packed for this k and n already.
    (local.set $key (i32.or (i32.shl (local.get $k) (i32.const 16)) (local.get $n)))
    (block $packed
    (br_if $packed (i32.and (i32.ne (local.get $keyAt) (i32.const 0)) (i32.eq (i32.load (local.get $keyAt)) (local.get $key))))
    (if (local.get $keyAt) (then (i32.store (local.get $keyAt) (local.get $key))))
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
      (br_if $packPairs (i32.lt_u (local.get $p) (local.get $pairs)))))

    ;; Multiply, two rows of A and 16 columns at a time: each packed B vector loaded serves both rows. An odd
    ;; last row is computed twice (its second copy is not written).
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $t))))
      (local.set $crow (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $t)) (i32.const 2))))
      (local.set $two (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
      (local.set $arow2 (select (i32.add (local.get $arow) (local.get $t)) (local.get $arow) (local.get $two)))
      (local.set $jb (i32.const 0))
      (loop $colBlocks
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $u0 (v128.const i32x4 0 0 0 0))
        (local.set $u1 (v128.const i32x4 0 0 0 0))
        (local.set $u2 (v128.const i32x4 0 0 0 0))
        (local.set $u3 (v128.const i32x4 0 0 0 0))
        (local.set $src (i32.add (local.get $pack) (i32.shl (local.get $jb) (i32.const 6))))
        (local.set $p (i32.const 0))
        (loop $kPairs
          (local.set $av (i16x8.extend_low_i8x16_s (v128.load16_splat align=1 (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 1))))))
          (local.set $aw (i16x8.extend_low_i8x16_s (v128.load16_splat align=1 (i32.add (local.get $arow2) (i32.shl (local.get $p) (i32.const 1))))))
          (local.set $bv (v128.load (local.get $src)))
          (local.set $s0 (i32x4.add (local.get $s0) (i32x4.dot_i16x8_s (local.get $av) (local.get $bv))))
          (local.set $u0 (i32x4.add (local.get $u0) (i32x4.dot_i16x8_s (local.get $aw) (local.get $bv))))
          (local.set $bv (v128.load offset=16 (local.get $src)))
          (local.set $s1 (i32x4.add (local.get $s1) (i32x4.dot_i16x8_s (local.get $av) (local.get $bv))))
          (local.set $u1 (i32x4.add (local.get $u1) (i32x4.dot_i16x8_s (local.get $aw) (local.get $bv))))
          (local.set $bv (v128.load offset=32 (local.get $src)))
          (local.set $s2 (i32x4.add (local.get $s2) (i32x4.dot_i16x8_s (local.get $av) (local.get $bv))))
          (local.set $u2 (i32x4.add (local.get $u2) (i32x4.dot_i16x8_s (local.get $aw) (local.get $bv))))
          (local.set $bv (v128.load offset=48 (local.get $src)))
          (local.set $s3 (i32x4.add (local.get $s3) (i32x4.dot_i16x8_s (local.get $av) (local.get $bv))))
          (local.set $u3 (i32x4.add (local.get $u3) (i32x4.dot_i16x8_s (local.get $aw) (local.get $bv))))
          (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $kPairs (i32.lt_u (local.get $p) (local.get $pairs))))
        (local.set $j0 (i32.shl (local.get $jb) (i32.const 4)))
        (local.set $rem (i32.sub (local.get $n) (local.get $j0)))
        (local.set $out (i32.add (local.get $crow) (i32.shl (local.get $j0) (i32.const 2))))
        (block $first
          ;; The row's sums s0..s3 from column j0 on, added to C when accumulating, written for the $rem
          ;; columns left (all 16 when rem >= 16, else exactly rem words through $tmp, never past n).
          (local.set $dst (local.get $out))
          (if (local.get $accumulate)
            (then
              (local.set $s0 (i32x4.add (local.get $s0) (v128.load align=4 (local.get $dst))))
              (local.set $s1 (i32x4.add (local.get $s1) (v128.load offset=16 align=4 (local.get $dst))))
              (local.set $s2 (i32x4.add (local.get $s2) (v128.load offset=32 align=4 (local.get $dst))))
              (local.set $s3 (i32x4.add (local.get $s3) (v128.load offset=48 align=4 (local.get $dst))))))
          (if (i32.ge_u (local.get $rem) (i32.const 16))
            (then
              (v128.store align=4 (local.get $dst) (local.get $s0))
              (v128.store offset=16 align=4 (local.get $dst) (local.get $s1))
              (v128.store offset=32 align=4 (local.get $dst) (local.get $s2))
              (v128.store offset=48 align=4 (local.get $dst) (local.get $s3)))
            (else
              (v128.store (local.get $tmp) (local.get $s0))
              (v128.store offset=16 (local.get $tmp) (local.get $s1))
              (v128.store offset=32 (local.get $tmp) (local.get $s2))
              (v128.store offset=48 (local.get $tmp) (local.get $s3))
              (local.set $g (i32.const 0))
              (loop $laness
                (local.set $word (i32.shl (local.get $g) (i32.const 2)))
                (i32.store (i32.add (local.get $dst) (local.get $word)) (i32.load (i32.add (local.get $tmp) (local.get $word))))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $laness (i32.lt_u (local.get $g) (local.get $rem))))))
        )
        (if (local.get $two)
          (then
          ;; The row's sums u0..u3 from column j0 on, added to C when accumulating, written for the $rem
          ;; columns left (all 16 when rem >= 16, else exactly rem words through $tmp, never past n).
          (local.set $dst (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 2))))
          (if (local.get $accumulate)
            (then
              (local.set $u0 (i32x4.add (local.get $u0) (v128.load align=4 (local.get $dst))))
              (local.set $u1 (i32x4.add (local.get $u1) (v128.load offset=16 align=4 (local.get $dst))))
              (local.set $u2 (i32x4.add (local.get $u2) (v128.load offset=32 align=4 (local.get $dst))))
              (local.set $u3 (i32x4.add (local.get $u3) (v128.load offset=48 align=4 (local.get $dst))))))
          (if (i32.ge_u (local.get $rem) (i32.const 16))
            (then
              (v128.store align=4 (local.get $dst) (local.get $u0))
              (v128.store offset=16 align=4 (local.get $dst) (local.get $u1))
              (v128.store offset=32 align=4 (local.get $dst) (local.get $u2))
              (v128.store offset=48 align=4 (local.get $dst) (local.get $u3)))
            (else
              (v128.store (local.get $tmp) (local.get $u0))
              (v128.store offset=16 (local.get $tmp) (local.get $u1))
              (v128.store offset=32 (local.get $tmp) (local.get $u2))
              (v128.store offset=48 (local.get $tmp) (local.get $u3))
              (local.set $g (i32.const 0))
              (loop $lanesu
                (local.set $word (i32.shl (local.get $g) (i32.const 2)))
                (i32.store (i32.add (local.get $dst) (local.get $word)) (i32.load (i32.add (local.get $tmp) (local.get $word))))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $lanesu (i32.lt_u (local.get $g) (local.get $rem))))))
          ))
        (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
        (br_if $colBlocks (i32.lt_u (local.get $jb) (local.get $blocks))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $m)))))

  ;; LOAD: the scratchpad tile at $spad (t×t) ← zeros, then rows×cols bytes from DRAM at $src, rows $stride
  ;; apart (the machine has checked every address; DRAM and scratchpad are disjoint parts of this memory).
  (func $load (export "load")
    (param $spad i32) (param $src i32) (param $stride i32) (param $rows i32) (param $cols i32) (param $t i32)
    (local $r i32)
    (memory.fill (local.get $spad) (i32.const 0) (i32.mul (local.get $t) (local.get $t)))
    ;; Rows of exactly 16 bytes (t = 16 full tiles, the common case) as single v128 copies.
    (if (i32.eq (local.get $cols) (i32.const 16))
      (then
        (loop $copy16
          (v128.store align=1 (i32.add (local.get $spad) (i32.mul (local.get $r) (local.get $t)))
            (v128.load align=1 (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $stride)))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br_if $copy16 (i32.lt_u (local.get $r) (local.get $rows))))
        (return)))
    (loop $copyRows
      (memory.copy
        (i32.add (local.get $spad) (i32.mul (local.get $r) (local.get $t)))
        (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $stride)))
        (local.get $cols))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $copyRows (i32.lt_u (local.get $r) (local.get $rows)))))
  ;; ---------------------------------------------------------------------------------------------------
  ;; LOAD_IM2COL (docs/isa.md), any spatial rank, from the tables runtime/tile/gather-tables.ts writes once per
  ;; gather descriptor: im2colSource of matrix element (row, col) is base(row) + cb(col) (a DRAM address, modulo
  ;; 2^32), valid where the mask byte of (row's kernel tap, col) is 0xff, padding where it is 0. Per row 8 bytes
  ;; at $rowTab: base, and the address of its tap's mask row (one byte per column, 16 zero bytes past the last).
  ;; Per column: cb (int32) at $colTab, with 16 readable entries past the matrix's last column, and the chunk
  ;; plan colStride bytes further; 32 swizzle indices at $idxTab. Sixteen columns at a time, lanes past `cols`
  ;; never stored. The bytes of a chunk starting at column c: its plan says whether cb[c + l] − cb[c] lies in
  ;; 0..15 for every lane l (plan 1), or does so for the lanes of two windows at cb[c] and cb[c + s] (plan
  ;; 16 + s), with the lanes' offsets at idxTab + 32·c (window 1's 16 swizzle indices, then window 2's; 128
  ;; where a lane is in the other window or past the matrix). Then the bytes are one or two 16-byte loads at
  ;; base + cb swizzled, provided those addresses are at most $limit (the memory size − 16; a padding lane's
  ;; window may start outside x, even below 0): a valid lane's byte is DRAM[base + cb[c + l]] either way.
  ;; Else (plan 0) one byte load per lane, a padding lane reading address 0. Padding lanes become padValue.
  (func $gatherIm2col (export "gatherIm2col")
    (param $dst i32) (param $t i32) (param $rows i32) (param $cols i32) (param $rowTab i32) (param $colTab i32)
    (param $colStride i32) (param $col0 i32) (param $pad i32) (param $tmp i32) (param $idxTab i32) (param $limit i32)
    (local $baseS i32) (local $pl i32) (local $ix i32) (local $plan i32) (local $at i32) (local $mp i32)
    (local $r i32) (local $j i32) (local $out i32) (local $cb i32) (local $rem i32)
    (local $base v128) (local $padv v128) (local $mask v128) (local $lo v128) (local $hi v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $v v128)
    (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $t) (local.get $t)))
    (local.set $padv (i8x16.splat (local.get $pad)))
    (loop $rowLoop
      (local.set $baseS (i32.load (local.get $rowTab)))
      (local.set $base (i32x4.splat (local.get $baseS)))
      (local.set $mp (i32.add (i32.load offset=4 (local.get $rowTab)) (local.get $col0)))
      (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $t))))
      (local.set $cb (local.get $colTab))
      (local.set $pl (i32.add (local.get $colTab) (local.get $colStride)))
      (local.set $ix (local.get $idxTab))
      (local.set $j (i32.const 0))
      (loop $chunks
        (local.set $mask (v128.load align=1 (local.get $mp)))
        (local.set $plan (i32.load (local.get $pl)))
        (block $gathered
          (block $perLane
            (br_if $perLane (i32.eqz (local.get $plan)))
            (local.set $at (i32.add (local.get $baseS) (i32.load (local.get $cb))))
            (br_if $perLane (i32.gt_u (local.get $at) (local.get $limit)))
            (local.set $v (i8x16.swizzle (v128.load align=1 (local.get $at)) (v128.load (local.get $ix))))
            (if (i32.ge_u (local.get $plan) (i32.const 16))
              (then
                (local.set $at (i32.add (local.get $baseS) (i32.load (i32.add (local.get $cb) (i32.shl (i32.sub (local.get $plan) (i32.const 16)) (i32.const 2))))))
                (br_if $perLane (i32.gt_u (local.get $at) (local.get $limit)))
                (local.set $v (v128.or (local.get $v) (i8x16.swizzle (v128.load align=1 (local.get $at)) (v128.load offset=16 (local.get $ix)))))))
            (br $gathered))
          ;; Per lane: the addresses base + cb, masked to 0 for padding lanes (the mask widened to 32 bits).
          (local.set $lo (i16x8.extend_low_i8x16_s (local.get $mask)))
          (local.set $hi (i16x8.extend_high_i8x16_s (local.get $mask)))
          (local.set $s0 (v128.and (i32x4.add (v128.load offset=0 align=4 (local.get $cb)) (local.get $base)) (i32x4.extend_low_i16x8_s (local.get $lo))))
          (local.set $s1 (v128.and (i32x4.add (v128.load offset=16 align=4 (local.get $cb)) (local.get $base)) (i32x4.extend_high_i16x8_s (local.get $lo))))
          (local.set $s2 (v128.and (i32x4.add (v128.load offset=32 align=4 (local.get $cb)) (local.get $base)) (i32x4.extend_low_i16x8_s (local.get $hi))))
          (local.set $s3 (v128.and (i32x4.add (v128.load offset=48 align=4 (local.get $cb)) (local.get $base)) (i32x4.extend_high_i16x8_s (local.get $hi))))
            (local.set $v (i8x16.replace_lane 0 (local.get $v) (i32.load8_u (i32x4.extract_lane 0 (local.get $s0)))))
            (local.set $v (i8x16.replace_lane 1 (local.get $v) (i32.load8_u (i32x4.extract_lane 1 (local.get $s0)))))
            (local.set $v (i8x16.replace_lane 2 (local.get $v) (i32.load8_u (i32x4.extract_lane 2 (local.get $s0)))))
            (local.set $v (i8x16.replace_lane 3 (local.get $v) (i32.load8_u (i32x4.extract_lane 3 (local.get $s0)))))
            (local.set $v (i8x16.replace_lane 4 (local.get $v) (i32.load8_u (i32x4.extract_lane 0 (local.get $s1)))))
            (local.set $v (i8x16.replace_lane 5 (local.get $v) (i32.load8_u (i32x4.extract_lane 1 (local.get $s1)))))
            (local.set $v (i8x16.replace_lane 6 (local.get $v) (i32.load8_u (i32x4.extract_lane 2 (local.get $s1)))))
            (local.set $v (i8x16.replace_lane 7 (local.get $v) (i32.load8_u (i32x4.extract_lane 3 (local.get $s1)))))
            (local.set $v (i8x16.replace_lane 8 (local.get $v) (i32.load8_u (i32x4.extract_lane 0 (local.get $s2)))))
            (local.set $v (i8x16.replace_lane 9 (local.get $v) (i32.load8_u (i32x4.extract_lane 1 (local.get $s2)))))
            (local.set $v (i8x16.replace_lane 10 (local.get $v) (i32.load8_u (i32x4.extract_lane 2 (local.get $s2)))))
            (local.set $v (i8x16.replace_lane 11 (local.get $v) (i32.load8_u (i32x4.extract_lane 3 (local.get $s2)))))
            (local.set $v (i8x16.replace_lane 12 (local.get $v) (i32.load8_u (i32x4.extract_lane 0 (local.get $s3)))))
            (local.set $v (i8x16.replace_lane 13 (local.get $v) (i32.load8_u (i32x4.extract_lane 1 (local.get $s3)))))
            (local.set $v (i8x16.replace_lane 14 (local.get $v) (i32.load8_u (i32x4.extract_lane 2 (local.get $s3)))))
            (local.set $v (i8x16.replace_lane 15 (local.get $v) (i32.load8_u (i32x4.extract_lane 3 (local.get $s3)))))
        )
        (local.set $v (v128.bitselect (local.get $v) (local.get $padv) (local.get $mask)))
        (local.set $rem (i32.sub (local.get $cols) (local.get $j)))
        (if (i32.ge_u (local.get $rem) (i32.const 16))
          (then (v128.store align=1 (i32.add (local.get $out) (local.get $j)) (local.get $v)))
          (else
            (v128.store (local.get $tmp) (local.get $v))
            (memory.copy (i32.add (local.get $out) (local.get $j)) (local.get $tmp) (local.get $rem))))
        (local.set $mp (i32.add (local.get $mp) (i32.const 16)))
        (local.set $cb (i32.add (local.get $cb) (i32.const 64)))
        (local.set $pl (i32.add (local.get $pl) (i32.const 64)))
        (local.set $ix (i32.add (local.get $ix) (i32.const 512)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $chunks (i32.lt_u (local.get $j) (local.get $cols))))
      (local.set $rowTab (i32.add (local.get $rowTab) (i32.const 8)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rowLoop (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; ---------------------------------------------------------------------------------------------------
  ;; STORE requant, the whole tile: for r < rows the entry at table + (perRow ? 12·r : 0) (multiplier, shift,
  ;; zeroPoint, int32), then DRAM[dst + r·stride + c] = int8 requantize(acc[r][c]) for c < cols. The machine
  ;; has checked every address; an entry with multiplier < 0 or shift outside -31..30 stops the store before
  ;; its row is written and returns that row's index (the machine faults with its message), else -1.
  ;; Requantization (docs/arithmetic.md) is the integer rule of ir/arith/fixedpoint.ts on 64-bit integers:
  ;;   requantize(x) = clamp(multiplyByQuantizedMultiplier(x, m, shift) + zeroPoint, qmin, qmax)
  ;; with gemmlowp's SaturatingRoundingDoublingHighMul trunc((a·b + nudge) / 2^31), nudge = 2^30 when
  ;; a·b >= 0, else 1 − 2^30 (its a = b = INT32_MIN case cannot occur: m >= 0).
  ;; test/runtime/tile-requant.test.ts holds it equal to ir/arith requantize (through wasmRequantize).
  (func $storeRequant (export "storeRequant")
    (param $acc i32) (param $t i32) (param $dst i32) (param $stride i32) (param $rows i32) (param $cols i32)
    (param $table i32) (param $perRow i32) (param $qmin i32) (param $qmax i32) (param $tmp i32) (result i32)
    (local $r i32) (local $j i32) (local $e i32) (local $m i32) (local $shift i32) (local $zp i32) (local $src i32) (local $out i32)
    (local $left i32) (local $right i32) (local $lo i64) (local $hi i64) (local $rem i32) (local $v v128)
    (local $maskv v128) (local $halfv v128) (local $lov v128) (local $hiv v128) (local $zpv v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $x v128) (local $sgn v128) (local $h v128) (local $mv v128) (local $lim i32)
    (loop $rowLoop
      (local.set $e (i32.add (local.get $table) (select (i32.mul (local.get $r) (i32.const 12)) (i32.const 0) (local.get $perRow))))
      (local.set $m (i32.load (local.get $e)))
      (local.set $shift (i32.load offset=4 (local.get $e)))
      (local.set $zp (i32.load offset=8 (local.get $e)))
      (if (i32.or (i32.lt_s (local.get $m) (i32.const 0))
            (i32.or (i32.lt_s (local.get $shift) (i32.const -31)) (i32.gt_s (local.get $shift) (i32.const 30))))
        (then (return (local.get $r))))
      (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $stride))))
      ;; clamp(h + zp, qmin, qmax) = clamp(h, qmin − zp, qmax − zp) + zp. When qmax − zp < INT32_MIN every
      ;; int32 h gives qmax, when qmin − zp > INT32_MAX every h gives qmin; otherwise both bounds, cut to the
      ;; int32 range (which no h lies beyond), clamp h in int32 and the sum is exact.
      (local.set $lo (i64.sub (i64.extend_i32_s (local.get $qmin)) (i64.extend_i32_s (local.get $zp))))
      (local.set $hi (i64.sub (i64.extend_i32_s (local.get $qmax)) (i64.extend_i32_s (local.get $zp))))
      (if (i64.lt_s (local.get $hi) (i64.const -2147483648))
        (then (memory.fill (local.get $out) (local.get $qmax) (local.get $cols)))
      (else (if (i64.gt_s (local.get $lo) (i64.const 0x7fffffff))
        (then (memory.fill (local.get $out) (local.get $qmin) (local.get $cols)))
      (else
        (local.set $lov (i32x4.splat (i32.wrap_i64 (select (i64.const -2147483648) (local.get $lo) (i64.lt_s (local.get $lo) (i64.const -2147483648))))))
        (local.set $hiv (i32x4.splat (i32.wrap_i64 (select (i64.const 0x7fffffff) (local.get $hi) (i64.gt_s (local.get $hi) (i64.const 0x7fffffff))))))
        (local.set $zpv (i32x4.splat (local.get $zp)))
        ;; A saturated left shift when shift > 0, else a rounding right shift by −shift after the high
        ;; multiply; the unused one is a shift by 0 (mask 0).
        (local.set $left (select (local.get $shift) (i32.const 0) (i32.gt_s (local.get $shift) (i32.const 0))))
        (local.set $right (select (i32.const 0) (i32.sub (i32.const 0) (local.get $shift)) (i32.gt_s (local.get $shift) (i32.const 0))))
        (local.set $maskv (i32x4.splat (i32.sub (i32.shl (i32.const 1) (local.get $right)) (i32.const 1))))
        (local.set $halfv (i32x4.splat (i32.shr_u (i32.sub (i32.shl (i32.const 1) (local.get $right)) (i32.const 1)) (i32.const 1))))
        (local.set $src (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $r) (local.get $t)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (local.set $lim (i32.sub (i32.const 31) (local.get $left)))
        (local.set $mv (i32x4.splat (local.get $m)))
        ;; Sixteen columns at a time (the accumulator has 64 readable bytes past its end for the last row),
        ;; four lanes per step: the saturated left shift; $highMul for m >= 0, where trunc((v·m + nudge) / 2^31)
        ;; with nudge = 2^30 (v·m >= 0) or 1 − 2^30 equals floor((v·m + 2^30) / 2^31) in both cases, and fits
        ;; int32, so bits 31..62 (a logical shift) are it; RoundingDivideByPOT by $right (h >> right, plus 1
        ;; when the remainder exceeds half, half + 1 for h < 0); + zeroPoint, clamped as above.
        (loop $chunks
          ;; Columns j + 0..j + 3: $x·2^left saturated (it fits exactly when x >> (31 − left) is x's sign).
          (local.set $x (v128.load offset=0 align=4 (local.get $src)))
          (local.set $sgn (i32x4.shr_s (local.get $x) (i32.const 31)))
          (local.set $h (v128.bitselect
            (i32x4.shl (local.get $x) (local.get $left))
            (v128.bitselect (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff) (local.get $sgn))
            (i32x4.eq (i32x4.shr_s (local.get $x) (local.get $lim)) (local.get $sgn))))
          (local.set $h (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (i64x2.shr_u (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))
            (i64x2.shr_u (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))))
          (local.set $h (i32x4.sub (i32x4.shr_s (local.get $h) (local.get $right))
            (i32x4.gt_s (v128.and (local.get $h) (local.get $maskv)) (i32x4.sub (local.get $halfv) (i32x4.lt_s (local.get $h) (v128.const i32x4 0 0 0 0))))))
          (local.set $q0 (i32x4.add (i32x4.max_s (i32x4.min_s (local.get $h) (local.get $hiv)) (local.get $lov)) (local.get $zpv)))
          ;; Columns j + 4..j + 7: $x·2^left saturated (it fits exactly when x >> (31 − left) is x's sign).
          (local.set $x (v128.load offset=16 align=4 (local.get $src)))
          (local.set $sgn (i32x4.shr_s (local.get $x) (i32.const 31)))
          (local.set $h (v128.bitselect
            (i32x4.shl (local.get $x) (local.get $left))
            (v128.bitselect (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff) (local.get $sgn))
            (i32x4.eq (i32x4.shr_s (local.get $x) (local.get $lim)) (local.get $sgn))))
          (local.set $h (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (i64x2.shr_u (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))
            (i64x2.shr_u (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))))
          (local.set $h (i32x4.sub (i32x4.shr_s (local.get $h) (local.get $right))
            (i32x4.gt_s (v128.and (local.get $h) (local.get $maskv)) (i32x4.sub (local.get $halfv) (i32x4.lt_s (local.get $h) (v128.const i32x4 0 0 0 0))))))
          (local.set $q1 (i32x4.add (i32x4.max_s (i32x4.min_s (local.get $h) (local.get $hiv)) (local.get $lov)) (local.get $zpv)))
          ;; Columns j + 8..j + 11: $x·2^left saturated (it fits exactly when x >> (31 − left) is x's sign).
          (local.set $x (v128.load offset=32 align=4 (local.get $src)))
          (local.set $sgn (i32x4.shr_s (local.get $x) (i32.const 31)))
          (local.set $h (v128.bitselect
            (i32x4.shl (local.get $x) (local.get $left))
            (v128.bitselect (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff) (local.get $sgn))
            (i32x4.eq (i32x4.shr_s (local.get $x) (local.get $lim)) (local.get $sgn))))
          (local.set $h (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (i64x2.shr_u (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))
            (i64x2.shr_u (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))))
          (local.set $h (i32x4.sub (i32x4.shr_s (local.get $h) (local.get $right))
            (i32x4.gt_s (v128.and (local.get $h) (local.get $maskv)) (i32x4.sub (local.get $halfv) (i32x4.lt_s (local.get $h) (v128.const i32x4 0 0 0 0))))))
          (local.set $q2 (i32x4.add (i32x4.max_s (i32x4.min_s (local.get $h) (local.get $hiv)) (local.get $lov)) (local.get $zpv)))
          ;; Columns j + 12..j + 15: $x·2^left saturated (it fits exactly when x >> (31 − left) is x's sign).
          (local.set $x (v128.load offset=48 align=4 (local.get $src)))
          (local.set $sgn (i32x4.shr_s (local.get $x) (i32.const 31)))
          (local.set $h (v128.bitselect
            (i32x4.shl (local.get $x) (local.get $left))
            (v128.bitselect (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff) (local.get $sgn))
            (i32x4.eq (i32x4.shr_s (local.get $x) (local.get $lim)) (local.get $sgn))))
          (local.set $h (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (i64x2.shr_u (i64x2.add (i64x2.extmul_low_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))
            (i64x2.shr_u (i64x2.add (i64x2.extmul_high_i32x4_s (local.get $h) (local.get $mv)) (v128.const i64x2 0x40000000 0x40000000)) (i32.const 31))))
          (local.set $h (i32x4.sub (i32x4.shr_s (local.get $h) (local.get $right))
            (i32x4.gt_s (v128.and (local.get $h) (local.get $maskv)) (i32x4.sub (local.get $halfv) (i32x4.lt_s (local.get $h) (v128.const i32x4 0 0 0 0))))))
          (local.set $q3 (i32x4.add (i32x4.max_s (i32x4.min_s (local.get $h) (local.get $hiv)) (local.get $lov)) (local.get $zpv)))
          (local.set $v (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $q0) (local.get $q1)) (i16x8.narrow_i32x4_s (local.get $q2) (local.get $q3))))
          (local.set $rem (i32.sub (local.get $cols) (local.get $j)))
          (if (i32.ge_u (local.get $rem) (i32.const 16))
            (then (v128.store align=1 (i32.add (local.get $out) (local.get $j)) (local.get $v)))
            (else
              (v128.store (local.get $tmp) (local.get $v))
              (memory.copy (i32.add (local.get $out) (local.get $j)) (local.get $tmp) (local.get $rem))))
          (local.set $src (i32.add (local.get $src) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $chunks (i32.lt_u (local.get $j) (local.get $cols))))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rowLoop (i32.lt_u (local.get $r) (local.get $rows))))
    (i32.const -1))

  ;; STORE raw32: rows of cols int32 (little-endian, as DRAM holds them) from the accumulator tile at $acc.
  (func $storeRaw (export "storeRaw")
    (param $acc i32) (param $t i32) (param $dst i32) (param $stride i32) (param $rows i32) (param $cols i32)
    (local $r i32)
    (loop $rowLoop
      (memory.copy
        (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $stride)))
        (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $r) (local.get $t)) (i32.const 2)))
        (i32.shl (local.get $cols) (i32.const 2)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rowLoop (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; PRELOAD: the accumulator tile at $acc ← zeros; then per row r < rows, for c < cols, $mode 1 (broadcast)
  ;; the int32 at src + r·stride, $mode 2 (tile) the int32 at src + r·stride + 4c; $mode 0 (zero) nothing more.
  (func $preload (export "preload")
    (param $acc i32) (param $t i32) (param $src i32) (param $stride i32) (param $rows i32) (param $cols i32) (param $mode i32)
    (local $r i32) (local $c i32) (local $v i32) (local $row i32)
    (memory.fill (local.get $acc) (i32.const 0) (i32.shl (i32.mul (local.get $t) (local.get $t)) (i32.const 2)))
    (if (i32.eqz (local.get $mode)) (then (return)))
    (loop $rowLoop
      (local.set $row (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $r) (local.get $t)) (i32.const 2))))
      (if (i32.eq (local.get $mode) (i32.const 1))
        (then
          (local.set $v (i32.load (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $stride)))))
          (local.set $c (i32.const 0))
          (loop $colLoop
            (i32.store (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))) (local.get $v))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br_if $colLoop (i32.lt_u (local.get $c) (local.get $cols)))))
        (else
          (memory.copy (local.get $row) (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $stride))) (i32.shl (local.get $cols) (i32.const 2)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rowLoop (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; ---------------------------------------------------------------------------------------------------
  ;; Instructions $from..$to−1 of the code at $code (32-byte words, docs/isa.md), every one a LOAD, PRELOAD,
  ;; MATMUL, STORE, LOAD_IM2COL or FENCE the machine has checked (fields, slots, DRAM ranges), run in order
  ;; with the kernels above: one call instead of one per instruction. In this copy of the code, bytes 24..27
  ;; of a LOAD_IM2COL (reserved, 0 in the program) hold the address of its gather record, which the machine
  ;; has filled for this run: rowTab, colTab, colStride, col0, padValue, idxTab (gatherIm2col's operands). $spad, $acc: the scratchpad and accumulator;
  ;; $packs, $keys, $packBytes: the per-slot packed B (as for matmul; $packs = 0: none, $pack is then used);
  ;; a LOAD zeroes its slot's key. A STORE whose requant entry is bad stops the block: its row goes to $badAt
  ;; and its index is returned (the machine faults there); else −1.
  (func (export "runBlock")
    (param $code i32) (param $from i32) (param $to i32) (param $t i32) (param $spad i32) (param $acc i32)
    (param $pack i32) (param $tmp i32) (param $packs i32) (param $keys i32) (param $packBytes i32) (param $badAt i32)
    (param $limit i32) (result i32)
    (local $rec i32)
    (local $i i32) (local $w i32) (local $head i32) (local $ext i32) (local $op i32) (local $flags i32)
    (local $rows i32) (local $cols i32) (local $aux i32) (local $f0 i32) (local $f1 i32) (local $f2 i32) (local $f3 i32)
    (local $tt i32) (local $bad i32)
    (local.set $tt (i32.mul (local.get $t) (local.get $t)))
    (local.set $i (local.get $from))
    (loop $next
      (local.set $w (i32.add (local.get $code) (i32.shl (local.get $i) (i32.const 5))))
      (local.set $head (i32.load (local.get $w)))
      (local.set $ext (i32.load offset=4 (local.get $w)))
      (local.set $op (i32.and (local.get $head) (i32.const 0xff)))
      (local.set $flags (i32.and (i32.shr_u (local.get $head) (i32.const 8)) (i32.const 0xff)))
      (local.set $rows (i32.shr_u (local.get $head) (i32.const 16)))
      (local.set $cols (i32.and (local.get $ext) (i32.const 0xffff)))
      (local.set $aux (i32.shr_u (local.get $ext) (i32.const 16)))
      (local.set $f0 (i32.load offset=8 (local.get $w)))
      (local.set $f1 (i32.load offset=12 (local.get $w)))
      (local.set $f2 (i32.load offset=16 (local.get $w)))
      (local.set $f3 (i32.load offset=20 (local.get $w)))
      (block $done
        ;; MATMUL (0x03): f0 accumulator slot, f1 A slot, f2 B slot; rows, cols, aux = m, n, k; flag 1 = accumulate.
        (if (i32.eq (local.get $op) (i32.const 3))
          (then
            (call $matmul
              (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $f0) (local.get $tt)) (i32.const 2)))
              (i32.add (local.get $spad) (i32.mul (local.get $f1) (local.get $tt)))
              (i32.add (local.get $spad) (i32.mul (local.get $f2) (local.get $tt)))
              (local.get $t) (local.get $rows) (local.get $cols) (local.get $aux) (i32.and (local.get $flags) (i32.const 1))
              (select (i32.add (local.get $packs) (i32.mul (local.get $f2) (local.get $packBytes))) (local.get $pack) (local.get $packs))
              (local.get $tmp)
              (select (i32.add (local.get $keys) (i32.shl (local.get $f2) (i32.const 2))) (i32.const 0) (local.get $packs)))
            (br $done)))
        ;; LOAD_IM2COL (0x06): f0 slot; the rest from its gather record.
        (if (i32.eq (local.get $op) (i32.const 6))
          (then
            (if (local.get $packs) (then (i32.store (i32.add (local.get $keys) (i32.shl (local.get $f0) (i32.const 2))) (i32.const 0))))
            (local.set $rec (i32.load offset=24 (local.get $w)))
            (call $gatherIm2col (i32.add (local.get $spad) (i32.mul (local.get $f0) (local.get $tt))) (local.get $t) (local.get $rows) (local.get $cols)
              (i32.load (local.get $rec)) (i32.load offset=4 (local.get $rec)) (i32.load offset=8 (local.get $rec)) (i32.load offset=12 (local.get $rec))
              (i32.load offset=16 (local.get $rec)) (local.get $tmp) (i32.load offset=20 (local.get $rec)) (local.get $limit))
            (br $done)))
        ;; LOAD (0x01): f0 slot, f1 DRAM address, f2 stride.
        (if (i32.eq (local.get $op) (i32.const 1))
          (then
            (if (local.get $packs) (then (i32.store (i32.add (local.get $keys) (i32.shl (local.get $f0) (i32.const 2))) (i32.const 0))))
            (call $load (i32.add (local.get $spad) (i32.mul (local.get $f0) (local.get $tt))) (local.get $f1) (local.get $f2) (local.get $rows) (local.get $cols) (local.get $t))
            (br $done)))
        ;; PRELOAD (0x02): flag 1 zero, flag 2 broadcast, else tile.
        (if (i32.eq (local.get $op) (i32.const 2))
          (then
            (call $preload (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $f0) (local.get $tt)) (i32.const 2)))
              (local.get $t) (local.get $f1) (local.get $f2) (local.get $rows) (local.get $cols)
              (select (i32.const 0) (select (i32.const 1) (i32.const 2) (i32.and (local.get $flags) (i32.const 2))) (i32.and (local.get $flags) (i32.const 1))))
            (br $done)))
        ;; STORE (0x04): flag 1 raw32, flag 2 per-row table at f3, qmin / qmax the int8 bytes of aux.
        (if (i32.eq (local.get $op) (i32.const 4))
          (then
            (if (i32.and (local.get $flags) (i32.const 1))
              (then
                (call $storeRaw (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $f0) (local.get $tt)) (i32.const 2)))
                  (local.get $t) (local.get $f1) (local.get $f2) (local.get $rows) (local.get $cols)))
              (else
                (local.set $bad (call $storeRequant (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $f0) (local.get $tt)) (i32.const 2)))
                  (local.get $t) (local.get $f1) (local.get $f2) (local.get $rows) (local.get $cols) (local.get $f3)
                  (i32.and (i32.shr_u (local.get $flags) (i32.const 1)) (i32.const 1))
                  (i32.shr_s (i32.shl (local.get $aux) (i32.const 24)) (i32.const 24))
                  (i32.shr_s (i32.shl (local.get $aux) (i32.const 16)) (i32.const 24))
                  (local.get $tmp)))
                (if (i32.ge_s (local.get $bad) (i32.const 0))
                  (then
                    (i32.store (local.get $badAt) (local.get $bad))
                    (return (local.get $i))))))))
        ;; FENCE (0x05): nothing.
      )
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $to))))
    (i32.const -1))
)
