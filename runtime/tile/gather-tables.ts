import type { Im2ColGeometry } from '../../ir/im2col.js';
import { strides } from '../../ir/tensor.js';
import { INSTRUCTION_BYTES, OP } from '../../backend/isa.js';
import { parseGatherDescriptor } from '../../backend/gather.js';
import type { TileProgram } from '../../backend/program.js';

// The tables the WebAssembly LOAD_IM2COL (wasm/matmul.wat, gatherIm2col) reads, written once per gather
// descriptor. im2colSource (ir/im2col.ts) of matrix element (row, col), row = (channel c, kernel tap), col =
// (batch n, output position), is
//   n·xs0 + (channelStart + c)·xs1 + Σ_d v_d·xs[d+2],  v_d = o_d·s_d − p_d + k_d·dil_d,
// or padding unless 0 <= v_d < spatial_d on every axis d. It splits into a row part and a column part:
//   base(row) = x + (channelStart + c)·xs1 + Σ_d k_d·dil_d·xs[d+2],  cb(col) = n·xs0 + Σ_d (o_d·s_d − p_d)·xs[d+2],
// DRAM address = base + cb (a sum modulo 2^32, exact for every element read), and validity depends only on
// (tap, col): one mask byte each. So one descriptor needs rows + cols entries and taps × cols mask bytes rather
// than one entry per gathered element, for any spatial rank.

/** Readable column entries past the matrix's last column (one 16-column SIMD chunk). */
const COLUMN_SLACK = 16;
/** Beyond this many bytes a descriptor's tables are not built (its gathers take the TypeScript path). */
const MAX_TABLE_BYTES = 256 * 2 ** 20;

/** Bytes of one column array: cols + COLUMN_SLACK int32 entries, rounded up to 16 bytes. */
const columnArrayBytes = (cols: number): number => 16 * Math.ceil((cols + COLUMN_SLACK) / 4);
/** Bytes of one tap's mask row: cols + COLUMN_SLACK bytes, rounded up to 16. */
const maskRowBytes = (cols: number): number => 16 * Math.ceil((cols + COLUMN_SLACK) / 16);

/** Where one descriptor's tables sit in the WebAssembly memory (byte offsets). */
export interface GatherTables {
  /** Row r's entry (base, and the address of its tap's mask row: 8 bytes) is at rowTab + 8·r. */
  readonly rowTab: number;
  /** Column c's cb is at colTab + 4·c, its chunk plan colStride bytes further. */
  readonly colTab: number;
  readonly colStride: number;
  /** Column c's 32 swizzle indices (two 16-byte windows) are at idxTab + 32·c. */
  readonly idxTab: number;
}

/** Where row r's entry is: gatherIm2col's rowTab operand for a tile starting at row r. */
export const rowEntry = (t: GatherTables, r: number): number => t.rowTab + 8 * r;
/** Where column c's cb is: gatherIm2col's colTab operand for a tile starting at column c. */
export const columnEntry = (t: GatherTables, c: number): number => t.colTab + 4 * c;
/** Where column c's swizzle indices are: gatherIm2col's idxTab operand for a tile starting at column c. */
export const swizzleEntry = (t: GatherTables, c: number): number => t.idxTab + 32 * c;

/** Bytes of the tables of one geometry (16-byte multiple). */
export function gatherTableBytes(geo: Im2ColGeometry): number {
  return 16 * Math.ceil(geo.rows / 2) + 2 * columnArrayBytes(geo.cols) + 32 * geo.cols + geo.taps * maskRowBytes(geo.cols);
}

/** Whether the WebAssembly gather takes this geometry (its tables are not unreasonably large). */
export const wasmGatherFits = (geo: Im2ColGeometry): boolean => gatherTableBytes(geo) <= MAX_TABLE_BYTES;

/**
 * Writes the tables of `geo` (x at DRAM address `x`) into `memory` (the whole WebAssembly memory) at byte
 * offset `at` (16-byte aligned, gatherTableBytes(geo) bytes). Returns undefined when an offset is beyond 2^53
 * (absurd pads or dilations; the TypeScript gather then runs).
 */
export function writeGatherTables(geo: Im2ColGeometry, x: number, memory: ArrayBufferLike, at: number): GatherTables | undefined {
  const words = new Int32Array(memory), bytes = new Uint8Array(memory);
  const r = geo.spatial.length, xs = strides(geo.xShape);
  const colStride = columnArrayBytes(geo.cols), maskStride = maskRowBytes(geo.cols);
  const rowTab = at, colTab = at + 16 * Math.ceil(geo.rows / 2), idxTab = colTab + 2 * colStride, maskTab = idxTab + 32 * geo.cols;
  // Per axis: each tap's offset k_d·dil_d and each column's o_d·s_d − p_d.
  const k = new Array<number>(r).fill(0), o = new Array<number>(r).fill(0);
  const tapAt = Array.from({ length: r }, () => new Float64Array(geo.taps));
  for (let tap = 0; tap < geo.taps; tap++) {
    unflatten(tap, geo.kernel, k);
    for (let d = 0; d < r; d++) tapAt[d]![tap] = k[d]! * geo.dilations[d]!;
  }
  const colAt = Array.from({ length: r }, () => new Float64Array(geo.cols));
  const cb = colTab / 4;
  for (let col = 0; col < geo.cols; col++) {
    const n = Math.floor(col / geo.positions);
    unflatten(col % geo.positions, geo.out, o);
    let v = n * xs[0]!;
    for (let d = 0; d < r; d++) {
      const c = o[d]! * geo.strides[d]! - geo.padsBegin[d]!;
      colAt[d]![col] = c;
      v += c * xs[d + 2]!;
    }
    if (!Number.isSafeInteger(v)) return undefined;
    words[cb + col] = v | 0;
  }
  words.fill(0, cb + geo.cols, cb + colStride / 4);
  for (let row = 0; row < geo.rows; row++) {
    const c = Math.floor(row / geo.taps), tap = row % geo.taps;
    let v = x + (geo.channelStart + c) * xs[1]!;
    for (let d = 0; d < r; d++) v += tapAt[d]![tap]! * xs[d + 2]!;
    if (!Number.isSafeInteger(v)) return undefined;
    words[rowTab / 4 + 2 * row] = v | 0;
    words[rowTab / 4 + 2 * row + 1] = maskTab + tap * maskStride;
  }
  for (let tap = 0; tap < geo.taps; tap++) {
    const m = maskTab + tap * maskStride;
    bytes.fill(0, m + geo.cols, m + maskStride);
    for (let col = 0; col < geo.cols; col++) {
      let valid = true;
      for (let d = 0; d < r && valid; d++) {
        const v = colAt[d]![col]! + tapAt[d]![tap]!;
        valid = v >= 0 && v < geo.spatial[d]!;
      }
      bytes[m + col] = valid ? 0xff : 0;
    }
  }
  const planAt = cb + colStride / 4;
  for (let col = 0; col < geo.cols; col++) words[planAt + col] = chunkPlan(words, cb, col, geo.cols, bytes.subarray(idxTab + 32 * col, idxTab + 32 * col + 32));
  words.fill(0, planAt + geo.cols, planAt + colStride / 4);
  return { rowTab, colTab, colStride, idxTab };
}

/** Splits a row-major flat index over `extents` into `into` (last axis fastest), as ir/im2col.ts does. */
function unflatten(flat: number, extents: readonly number[], into: number[]): void {
  for (let d = extents.length - 1; d >= 0; d--) {
    const e = extents[d]!;
    into[d] = flat % e;
    flat = Math.floor(flat / e);
  }
}

/** A swizzle index that selects nothing (the lane is 0, then padding or not stored). */
const NO_LANE = 128;

/**
 * The plan of the 16-column chunk from column `col` (see gatherIm2col in matmul.wat): 1 when every column's
 * cb is within 0..15 bytes after cb[col]; 16 + s when the columns split between windows at cb[col] and cb[col + s];
 * else 0. Writes the lanes' offsets into `idx` (16 for the first window, 16 for the second).
 */
function chunkPlan(words: Int32Array, cb: number, col: number, cols: number, idx: Uint8Array): number {
  idx.fill(NO_LANE);
  const first = words[cb + col]!;
  let split = -1, second = 0;
  for (let l = 0; l < 16 && col + l < cols; l++) {
    const v = words[cb + col + l]!, d1 = (v - first) | 0;
    if (d1 >= 0 && d1 < 16) { idx[l] = d1; continue; }
    if (split < 0) { split = l; second = v; }
    const d2 = (v - second) | 0;
    if (d2 < 0 || d2 >= 16) { idx.fill(NO_LANE); return 0; }
    idx[16 + l] = d2;
  }
  return split < 0 ? 1 : 16 + split;
}

/**
 * Table bytes for the gather descriptors a program's LOAD_IM2COLs name, as its constants hold them (what
 * the machine reserves in its WebAssembly memory), plus `slack` for descriptors a run rewrites.
 */
export function programGatherTableBytes(program: TileProgram, slack: number): number {
  const code = program.code, view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const seen = new Set<number>();
  let total = 0;
  for (let o = 0; o < code.length; o += INSTRUCTION_BYTES) {
    if (view.getUint8(o) !== OP.LOAD_IM2COL) continue;
    const addr = view.getUint32(o + 12, true);
    if (seen.has(addr)) continue;
    seen.add(addr);
    const geo = constantGeometry(program, addr);
    if (geo !== undefined && wasmGatherFits(geo)) total += gatherTableBytes(geo);
  }
  return total + slack;
}

/** The geometry of the descriptor a constant places at `addr`, or undefined (not a constant, or invalid). */
function constantGeometry(program: TileProgram, addr: number): Im2ColGeometry | undefined {
  const c = program.constants.find((k) => addr >= k.addr && addr < k.addr + k.data.length);
  if (c === undefined || addr % 4 !== 0) return undefined;
  try {
    return parseGatherDescriptor(new DataView(c.data.buffer, c.data.byteOffset, c.data.length), addr - c.addr).geo;
  } catch {
    return undefined;
  }
}
