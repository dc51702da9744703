;; The float64 GEMM block of runtime/float/packed-gemm.ts in WebAssembly SIMD128 (f64x2).
;;
;; gemm_block: for each of colPanels B panels (kc x 4, k-major, 32 bytes per k) and each of rowPanels A panels
;; (4 x kc, k-major, panels aStride bytes apart), the 4 x 4 tile
;;   C[4·ip + i, 4·q + j] = Σ_{k < kc} A[i, k]·B[k, j]
;; summed from 0 in increasing k with a separate multiply and add (WebAssembly has no fused multiply-add,
;; so each lane computes exactly what packed-gemm.ts's TypeScript tile computes), stored (not added) to C,
;; row-major with a row stride of ldc doubles. All addresses are byte offsets, 16-byte aligned.
(module
  (memory (import "env" "memory") 1)
  (func (export "gemm_block")
    (param $a i32) (param $aStride i32) (param $b i32) (param $kc i32)
    (param $c i32) (param $ldc i32) (param $rowPanels i32) (param $colPanels i32)
    (local $q i32) (local $ip i32) (local $pa i32) (local $pb i32) (local $end i32) (local $pc i32) (local $rowBytes i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local.set $rowBytes (i32.shl (local.get $ldc) (i32.const 3)))
    (if (i32.or (i32.eqz (local.get $kc)) (i32.or (i32.eqz (local.get $rowPanels)) (i32.eqz (local.get $colPanels)))) (then (return)))
    (local.set $q (i32.const 0))
    (loop $cols
      (local.set $ip (i32.const 0))
      (loop $rows
        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $ip) (local.get $aStride))))
        (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $q) (i32.shl (local.get $kc) (i32.const 5)))))
        (local.set $end (i32.add (local.get $pb) (i32.shl (local.get $kc) (i32.const 5))))
        (local.set $c00 (v128.const f64x2 0 0))
        (local.set $c01 (v128.const f64x2 0 0))
        (local.set $c10 (v128.const f64x2 0 0))
        (local.set $c11 (v128.const f64x2 0 0))
        (local.set $c20 (v128.const f64x2 0 0))
        (local.set $c21 (v128.const f64x2 0 0))
        (local.set $c30 (v128.const f64x2 0 0))
        (local.set $c31 (v128.const f64x2 0 0))
        (loop $k
          (local.set $b0 (v128.load (local.get $pb)))
          (local.set $b1 (v128.load offset=16 (local.get $pb)))
          (local.set $av (v128.load64_splat offset=0 (local.get $pa)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load64_splat offset=8 (local.get $pa)))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load64_splat offset=16 (local.get $pa)))
          (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load64_splat offset=24 (local.get $pa)))
          (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
          (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
          (br_if $k (i32.lt_u (local.get $pb) (local.get $end))))
        ;; C tile origin: row 4·ip, column 4·q.
        (local.set $pc (i32.add (local.get $c)
          (i32.add (i32.mul (i32.shl (local.get $ip) (i32.const 2)) (local.get $rowBytes)) (i32.shl (local.get $q) (i32.const 5)))))
        (v128.store (local.get $pc) (local.get $c00))
        (v128.store offset=16 (local.get $pc) (local.get $c01))
        (local.set $pc (i32.add (local.get $pc) (local.get $rowBytes)))
        (v128.store (local.get $pc) (local.get $c10))
        (v128.store offset=16 (local.get $pc) (local.get $c11))
        (local.set $pc (i32.add (local.get $pc) (local.get $rowBytes)))
        (v128.store (local.get $pc) (local.get $c20))
        (v128.store offset=16 (local.get $pc) (local.get $c21))
        (local.set $pc (i32.add (local.get $pc) (local.get $rowBytes)))
        (v128.store (local.get $pc) (local.get $c30))
        (v128.store offset=16 (local.get $pc) (local.get $c31))
        (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $ip) (local.get $rowPanels))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br_if $cols (i32.lt_u (local.get $q) (local.get $colPanels))))))
