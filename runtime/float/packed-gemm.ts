// A cache-blocked, register-tiled float64 matrix product C[rows, cols] += A[rows, K] · B[K, cols], the hot
// loop of the convolution (conv-core) for the float and the integer reference alike.
//
// Arithmetic: float64 multiply-adds. Each output element's sum runs over k in increasing order inside
// blocks of KC terms, each block summed from 0 and added to the running sum of the blocks before it; the
// total is then added to C once. A fixed order, so the result is the same on every run and machine. For
// integer operands every product and partial sum is an integer below 2^53, so the sums are exact and equal
// to any other order's.
//
// Method (the GotoBLAS layout): A is packed once into panels of MR rows stored k-major ([K][MR]); B is
// packed one column block at a time (all of K, at most BCAP doubles: L2) into panels of NR columns
// ([KC][NR] per K block). The block kernel keeps an MR x NR tile of sums in registers for a K block (each A
// value loaded serves NR products, each B value MR) and writes or adds it to a C block (MC rows x the
// column block), which is added to C after the last K block. Loop order: column block -> row block of MC
// rows -> K block -> B panel (L1) -> A panel. The block kernel is WebAssembly SIMD (wasm/gemm.wat, f64x2:
// about 4-7 GMAC/s in V8 on the reference machine) or, for buffers outside its memory, the TypeScript
// `blockTs` (about 2 GMAC/s), which computes the same bytes.

import { GEMM_WASM_BASE64 } from './wasm/gemm-wasm.js';

export const MR = 4;
export const NR = 4;
const KC = 256;
const MC = 128;
/** Widest column block; it is narrower when K is large, so that the packed B block fits BCAP. */
const NC = 512;
const BCAP = 128 * 1024;

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

// WebAssembly memory layout: the C block, the packed B block, then the packed A.
const PAGE = 65536;
const C_AT = 0;
const B_AT = C_AT + MC * NC * 8;
const A_AT = B_AT + BCAP * 8;
/** Packed A beyond this goes to an ordinary array and the TypeScript block (the memory never shrinks). */
const MAX_WASM_A_BYTES = 256 * 2 ** 20;

type GemmBlock = (a: number, aStride: number, b: number, kc: number, c: number, ldc: number, rowPanels: number, colPanels: number, accumulate: number) => void;
interface WasmGemm { readonly memory: WebAssembly.Memory; readonly gemmBlock: GemmBlock }
let wasm: WasmGemm | undefined;

/** The module and its memory, instantiated once per process (a small module: synchronous is fine). */
function wasmGemm(): WasmGemm {
  if (!wasm) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(A_AT / PAGE) + 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(GEMM_WASM_BASE64, 'base64')), { env: { memory } });
    wasm = { memory, gemmBlock: instance.exports.gemm_block as GemmBlock };
  }
  return wasm;
}

/**
 * A buffer of n doubles for packRows. Normally a view on the WebAssembly memory, so gemmPacked runs the
 * SIMD block; the view is valid until the next call (which may grow the memory), i.e. for one product at
 * a time, as the reference runs. `simd: false` gives a plain array, which takes the TypeScript block
 * (same sums bit for bit; the tests compare the two).
 */
export function packedABuffer(n: number, simd = true): Float64Array {
  if (!simd || n * 8 > MAX_WASM_A_BYTES) return new Float64Array(n);
  const { memory } = wasmGemm();
  const need = A_AT + n * 8;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  return new Float64Array(memory.buffer, A_AT, n);
}

let bScratch = new Float64Array(0);
let cScratch = new Float64Array(0);

/** Columns per block for a reduction of K: as many NR-column panels as fit BCAP, at least one. */
const columnBlock = (K: number): number => Math.max(NR, Math.min(NC, Math.floor(BCAP / (K * NR)) * NR));

/**
 * c[cAt + i·ldc + j] += Σ_k A[i, k]·B[k, j] for i < rows, j < cols, A packed by packRows at ap[apAt ..],
 * B supplied block by block by `packB`. With ap from packedABuffer the blocks run in WebAssembly.
 */
export function gemmPacked(ap: Float64Array, apAt: number, rows: number, K: number, packB: PackB, cols: number, c: Float64Array, cAt: number, ldc: number): void {
  const ncMax = columnBlock(K);
  const inWasm = wasm !== undefined && ap.buffer === wasm.memory.buffer;
  // A reduction too long for one B panel in the WebAssembly block (K > BCAP / NR): the TypeScript block.
  if (inWasm && K * NR > BCAP) ap = ap.slice();
  const w = inWasm && K * NR <= BCAP ? wasm : undefined;
  let bp: Float64Array, cb: Float64Array;
  if (w) {
    bp = new Float64Array(w.memory.buffer, B_AT, BCAP);
    cb = new Float64Array(w.memory.buffer, C_AT, MC * NC);
  } else {
    // One scratch pair reused by every call: the reference runs one kernel at a time.
    if (bScratch.length < K * ncMax) bScratch = new Float64Array(K * ncMax);
    if (cScratch.length < MC * ncMax) cScratch = new Float64Array(MC * ncMax);
    [bp, cb] = [bScratch, cScratch];
  }
  for (let c0 = 0; c0 < cols; c0 += ncMax) {
    const nc = Math.min(ncMax, cols - c0);
    const colPanels = Math.ceil(nc / NR), ldb = colPanels * NR;
    // K block k0 of the column block starts at bp[k0·ldb].
    for (let k0 = 0; k0 < K; k0 += KC) packB(k0 === 0 ? bp : bp.subarray(k0 * ldb), k0, Math.min(KC, K - k0), c0, nc);
    for (let i0 = 0; i0 < rows; i0 += MC) {
      const nRows = Math.min(MC, rows - i0), rowPanels = Math.ceil(nRows / MR);
      for (let k0 = 0; k0 < K; k0 += KC) {
        const kc = Math.min(KC, K - k0), a = apAt + i0 * K + k0 * MR;
        if (w) w.gemmBlock(ap.byteOffset + a * 8, K * MR * 8, B_AT + k0 * ldb * 8, kc, C_AT, ldb, rowPanels, colPanels, k0 > 0 ? 1 : 0);
        else blockTs(ap, a, K * MR, bp, k0 * ldb, kc, cb, ldb, rowPanels, colPanels, k0 > 0);
      }
      for (let i = 0; i < nRows; i++) {
        const o = cAt + (i0 + i) * ldc + c0, s = i * ldb;
        for (let j = 0; j < nc; j++) c[o + j] = c[o + j]! + cb[s + j]!;
      }
    }
  }
}

/**
 * gemm.wat's gemm_block in TypeScript (element offsets instead of byte addresses): for every B panel q and
 * A panel ip, the MR x NR tile of sums over kc terms, stored to cb (or added to it when `accumulate`) at
 * row MR·ip, column NR·q, row stride ldc.
 */
function blockTs(ap: Float64Array, a: number, aStride: number, bp: Float64Array, b: number, kc: number,
  cb: Float64Array, ldc: number, rowPanels: number, colPanels: number, accumulate: boolean): void {
  for (let q = 0; q < colPanels; q++) {
    for (let ip = 0; ip < rowPanels; ip++) {
      tile(ap, a + ip * aStride, bp, b + q * kc * NR, kc, cb, ip * MR * ldc + q * NR, ldc, accumulate);
    }
  }
}

/** One MR x NR tile over kc terms: A panel at ap[a ..], B panel at bp[b ..], written or added to c at o. */
function tile(ap: Float64Array, a: number, bp: Float64Array, b: number, kc: number, c: Float64Array, o: number, ldc: number, accumulate: boolean): void {
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
  if (accumulate) {
    c00 += c[o]!; c01 += c[o + 1]!; c02 += c[o + 2]!; c03 += c[o + 3]!;
    c10 += c[o + ldc]!; c11 += c[o + ldc + 1]!; c12 += c[o + ldc + 2]!; c13 += c[o + ldc + 3]!;
    c20 += c[o + 2 * ldc]!; c21 += c[o + 2 * ldc + 1]!; c22 += c[o + 2 * ldc + 2]!; c23 += c[o + 2 * ldc + 3]!;
    c30 += c[o + 3 * ldc]!; c31 += c[o + 3 * ldc + 1]!; c32 += c[o + 3 * ldc + 2]!; c33 += c[o + 3 * ldc + 3]!;
  }
  c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03;
  o += ldc;
  c[o] = c10; c[o + 1] = c11; c[o + 2] = c12; c[o + 3] = c13;
  o += ldc;
  c[o] = c20; c[o + 1] = c21; c[o + 2] = c22; c[o + 3] = c23;
  o += ldc;
  c[o] = c30; c[o + 1] = c31; c[o + 2] = c32; c[o + 3] = c33;
}
