// A cache-blocked, register-tiled float64 matrix product C[rows, cols] += A[rows, K] · B[K, cols], the hot
// loop of the convolution (conv-core) for the float and the integer reference alike.
//
// Arithmetic: float64 multiply-adds. Each output element's sum runs over k in increasing order inside
// blocks of KC terms, each block summed from 0 and then added to C: a fixed order, so the result is the
// same on every run and machine. For integer operands every product and partial sum is an integer below
// 2^53, so the sums are exact and equal to any other order's.
//
// Method (the GotoBLAS layout): A is packed once into panels of MR rows stored k-major ([K][MR]), B is
// packed block by block (KC x NC) into panels of NR columns ([KC][NR]); an MR x NR tile of C lives in 16
// local variables for a whole block of K (each loaded A value serves NR products, each B value MR).
// Loop order: K block -> column block (packed B, L2/L3) -> row block of MC rows (A slice, L2) -> B panel
// (L1) -> A panel. Measured in V8 on the reference machine (CPU time, float64): about 2 GMAC/s,
// 3x the direct convolution loop it replaces; 4x4 tiles beat 2x4/4x2/3x3/2x6 in that test.

import { GEMM_WASM_BASE64 } from './wasm/gemm-wasm.js';

export const MR = 4;
export const NR = 4;
const KC = 256;
const NC = 512;
const MC = 128;

/**
 * Writes B[k0 .. k0+kc, c0 .. c0+nc) into `dst` as ceil(nc / NR) panels, panel q holding for each k the NR
 * values B[k0 + k, c0 + q·NR + r] at dst[(q·kc + k)·NR + r]. Columns past nc may hold any finite value
 * (their results are discarded).
 */
export type PackB = (dst: Float64Array, k0: number, kc: number, c0: number, nc: number) => void;

/** Rows of A padded to whole MR-row panels. */
export const paddedRows = (rows: number): number => Math.ceil(rows / MR) * MR;

/**
 * Packs rows [0, rows) of A (element (i, k) at a[at + i·lda + k], minus `offset[i]`) as panels [K][MR] into
 * dst starting at dstAt; the padding rows of the last panel are zero. dst needs paddedRows(rows)·K elements.
 */
export function packRows(a: ArrayLike<number>, at: number, rows: number, K: number, lda: number, offset: (row: number) => number, dst: Float64Array, dstAt: number): void {
  for (let i = 0; i < paddedRows(rows); i++) {
    const d0 = dstAt + Math.floor(i / MR) * K * MR + (i % MR);
    if (i >= rows) {
      for (let k = 0, d = d0; k < K; k++, d += MR) dst[d] = 0;
      continue;
    }
    const off = offset(i);
    for (let k = 0, s = at + i * lda, d = d0; k < K; k++, s++, d += MR) dst[d] = a[s]! - off;
  }
}

// WebAssembly memory layout: the packed B block, the C block gemm_block writes, then the packed A.
const PAGE = 65536;
const B_AT = 0;
const C_AT = B_AT + KC * NC * 8;
const A_AT = C_AT + MC * NC * 8;
/** Packed A beyond this goes to an ordinary array and the TypeScript tile (the memory never shrinks). */
const MAX_WASM_A_BYTES = 256 * 2 ** 20;

type GemmBlock = (a: number, aStride: number, b: number, kc: number, c: number, ldc: number, rowPanels: number, colPanels: number) => void;
let wasm: { memory: WebAssembly.Memory; gemmBlock: GemmBlock } | undefined;

/** The module and its memory, instantiated once per process (a 600-byte module: synchronous is fine). */
function wasmGemm(): { memory: WebAssembly.Memory; gemmBlock: GemmBlock } {
  if (!wasm) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(A_AT / PAGE) + 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(GEMM_WASM_BASE64, 'base64')), { env: { memory } });
    wasm = { memory, gemmBlock: instance.exports.gemm_block as GemmBlock };
  }
  return wasm;
}

/**
 * A buffer of n doubles for packRows. Normally a view on the WebAssembly memory, so gemmPacked runs the
 * SIMD block (runtime/float/wasm/gemm.wat); the view is valid until the next call (it may grow the
 * memory), i.e. for one product at a time, as the reference runs. `simd: false` gives a plain array,
 * which takes the TypeScript tile (same sums bit for bit; tests compare the two).
 */
export function packedABuffer(n: number, simd = true): Float64Array {
  if (!simd || n * 8 > MAX_WASM_A_BYTES) return new Float64Array(n);
  const { memory } = wasmGemm();
  const need = A_AT + n * 8;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  return new Float64Array(memory.buffer, A_AT, n);
}

let bScratch = new Float64Array(0);

/**
 * c[cAt + i·ldc + j] += Σ_k A[i, k]·B[k, j] for i < rows, j < cols, A packed by packRows at ap[apAt ..],
 * B supplied block by block by `packB`. With ap from packedABuffer the blocks run in WebAssembly.
 */
export function gemmPacked(ap: Float64Array, apAt: number, rows: number, K: number, packB: PackB, cols: number, c: Float64Array, cAt: number, ldc: number): void {
  if (wasm && ap.buffer === wasm.memory.buffer) {
    gemmWasm(wasm.memory, wasm.gemmBlock, ap, apAt, rows, K, packB, cols, c, cAt, ldc);
    return;
  }
  const need = Math.min(KC, K) * Math.ceil(Math.min(NC, cols) / NR) * NR;
  // One scratch block reused by every call: the reference runs one kernel at a time.
  if (bScratch.length < need) bScratch = new Float64Array(need);
  const bp = bScratch;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    for (let c0 = 0; c0 < cols; c0 += NC) {
      const nc = Math.min(NC, cols - c0);
      packB(bp, k0, kc, c0, nc);
      for (let i0 = 0; i0 < rows; i0 += MC) {
        const iEnd = Math.min(rows, i0 + MC);
        for (let q = 0; q * NR < nc; q++) {
          const nCols = Math.min(NR, nc - q * NR);
          const bAt = q * kc * NR;
          for (let i = i0; i < iEnd; i += MR) {
            tile(ap, apAt + (i * K + k0 * MR), bp, bAt, kc, c, cAt + i * ldc + c0 + q * NR, ldc, Math.min(MR, rows - i), nCols);
          }
        }
      }
    }
  }
}

/** gemmPacked with each (K block, column block, row block) computed by gemm_block into the C block, then added to c. */
function gemmWasm(memory: WebAssembly.Memory, gemmBlock: GemmBlock, ap: Float64Array, apAt: number, rows: number, K: number, packB: PackB, cols: number, c: Float64Array, cAt: number, ldc: number): void {
  const bp = new Float64Array(memory.buffer, B_AT, KC * NC);
  const cb = new Float64Array(memory.buffer, C_AT, MC * NC);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    for (let c0 = 0; c0 < cols; c0 += NC) {
      const nc = Math.min(NC, cols - c0);
      const colPanels = Math.ceil(nc / NR), ldb = colPanels * NR;
      packB(bp, k0, kc, c0, nc);
      for (let i0 = 0; i0 < rows; i0 += MC) {
        const nRows = Math.min(MC, rows - i0);
        gemmBlock(ap.byteOffset + (apAt + i0 * K + k0 * MR) * 8, K * MR * 8, B_AT, kc, C_AT, ldb, Math.ceil(nRows / MR), colPanels);
        for (let i = 0; i < nRows; i++) {
          const o = cAt + (i0 + i) * ldc + c0, s = i * ldb;
          for (let j = 0; j < nc; j++) c[o + j] = c[o + j]! + cb[s + j]!;
        }
      }
    }
  }
}

const edge = new Float64Array(MR * NR);

/** One MR x NR tile of C over kc terms: A panel at ap[a ..], B panel at bp[b ..]; only rows x cols of it stored. */
function tile(ap: Float64Array, a: number, bp: Float64Array, b: number, kc: number, c: Float64Array, o: number, ldc: number, rows: number, cols: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let end = a + kc * MR; a < end; a += MR, b += NR) {
    const a0 = ap[a]!, a1 = ap[a + 1]!, a2 = ap[a + 2]!, a3 = ap[a + 3]!;
    const b0 = bp[b]!, b1 = bp[b + 1]!, b2 = bp[b + 2]!, b3 = bp[b + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (rows === MR && cols === NR) {
    c[o] = c[o]! + c00; c[o + 1] = c[o + 1]! + c01; c[o + 2] = c[o + 2]! + c02; c[o + 3] = c[o + 3]! + c03;
    o += ldc;
    c[o] = c[o]! + c10; c[o + 1] = c[o + 1]! + c11; c[o + 2] = c[o + 2]! + c12; c[o + 3] = c[o + 3]! + c13;
    o += ldc;
    c[o] = c[o]! + c20; c[o + 1] = c[o + 1]! + c21; c[o + 2] = c[o + 2]! + c22; c[o + 3] = c[o + 3]! + c23;
    o += ldc;
    c[o] = c[o]! + c30; c[o + 1] = c[o + 1]! + c31; c[o + 2] = c[o + 2]! + c32; c[o + 3] = c[o + 3]! + c33;
    return;
  }
  edge[0] = c00; edge[1] = c01; edge[2] = c02; edge[3] = c03;
  edge[4] = c10; edge[5] = c11; edge[6] = c12; edge[7] = c13;
  edge[8] = c20; edge[9] = c21; edge[10] = c22; edge[11] = c23;
  edge[12] = c30; edge[13] = c31; edge[14] = c32; edge[15] = c33;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) c[o + i * ldc + j] = c[o + i * ldc + j]! + edge[i * NR + j]!;
  }
}
