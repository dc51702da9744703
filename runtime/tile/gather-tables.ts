import type { Im2ColGeometry } from '../../ir/im2col.js';
import { im2colGeometry } from '../../ir/im2col.js';
import { strides } from '../../ir/tensor.js';
import { OP } from '../../backend/isa.js';
import { gatherDescriptorBytes, MAX_GATHER_RANK } from '../../backend/gather.js';
import { INSTRUCTION_BYTES } from '../../backend/isa.js';
import type { TileProgram } from '../../backend/program.js';

// The separable tables the WebAssembly LOAD_IM2COL (wasm/matmul.wat, gatherIm2col) reads: im2colSource of
// matrix element (row, col) splits into a per-row and a per-column part (the layout comment in matmul.wat
// derives it from ir/im2col.ts), so one descriptor needs rows + cols entries, written once, rather than one
// entry per gathered element. Spatial rank 1 and 2 only; other ranks keep the TypeScript gather.

/** Readable column entries past the matrix's last column (one 16-column SIMD chunk). */
const COLUMN_SLACK = 16;
/** Bound on |th|, |tw|, |ch|, |cw|: their sums stay within int32, and a slack column (ch = cw = SLACK_COORD) is never valid. */
const COORD_LIMIT = 2 ** 29;
const SLACK_COORD = -(2 ** 30);

/** Bytes of one column array: cols + COLUMN_SLACK int32 entries, rounded up to 16 bytes. */
const columnArrayBytes = (cols: number): number => 16 * Math.ceil((cols + COLUMN_SLACK) / 4);

/** Where one descriptor's tables sit in the WebAssembly memory (byte offsets) and the spatial extents H×W. */
export interface GatherTables {
  /** Row r's entry (base, th, tw: 12 bytes) is at rowTab + 12·r. */
  readonly rowTab: number;
  /** Column c's cb is at colTab + 4·c; its ch, cw and plan colStride, 2·colStride and 3·colStride bytes further. */
  readonly colTab: number;
  readonly colStride: number;
  /** Column c's 32 swizzle indices (two 16-byte windows) are at idxTab + 32·c. */
  readonly idxTab: number;
  readonly h: number;
  readonly w: number;
}

/** Whether the WebAssembly gather handles this geometry (rank 1 or 2). */
export const wasmGatherRank = (geo: Im2ColGeometry): boolean => geo.spatial.length <= 2;

/** Bytes of the tables of one geometry (16-byte multiple). */
export function gatherTableBytes(geo: Im2ColGeometry): number {
  const colStride = columnArrayBytes(geo.cols);
  return 12 * Math.ceil(geo.rows / 4) * 4 + 4 * colStride + 32 * geo.cols;
}

/**
 * Writes the tables of `geo` (x at DRAM address `x`) into `words` (the whole memory as int32) at byte offset
 * `at` (16-byte aligned, gatherTableBytes(geo) bytes). Returns undefined, writing nothing, when a coordinate
 * lies beyond ±2^29 (a geometry no real program has; the TypeScript gather then runs).
 */
export function writeGatherTables(geo: Im2ColGeometry, x: number, words: Int32Array, at: number): GatherTables | undefined {
  const rank2 = geo.spatial.length === 2;
  const h = rank2 ? geo.spatial[0]! : 1, w = geo.spatial[rank2 ? 1 : 0]!;
  const kw = geo.kernel[rank2 ? 1 : 0]!, ow = geo.out[rank2 ? 1 : 0]!;
  const dh = rank2 ? geo.dilations[0]! : 0, dw = geo.dilations[rank2 ? 1 : 0]!;
  const sh = rank2 ? geo.strides[0]! : 0, sw = geo.strides[rank2 ? 1 : 0]!;
  const ph = rank2 ? geo.padsBegin[0]! : 0, pw = geo.padsBegin[rank2 ? 1 : 0]!;
  const xs = strides(geo.xShape);
  const fits = (v: number): boolean => v >= -COORD_LIMIT && v <= COORD_LIMIT;
  // The extreme coordinates: taps at the last kernel index, columns at the first and last output index.
  const kh = rank2 ? geo.kernel[0]! : 1, oh = rank2 ? geo.out[0]! : 1;
  if (!fits((kh - 1) * dh) || !fits((kw - 1) * dw) || !fits(-ph) || !fits(-pw) || !fits((oh - 1) * sh - ph) || !fits((ow - 1) * sw - pw)) return undefined;
  const rowWord = at / 4;
  const colStride = columnArrayBytes(geo.cols);
  for (let row = 0; row < geo.rows; row++) {
    const c = Math.floor(row / geo.taps), tap = row % geo.taps;
    const th = Math.floor(tap / kw) * dh, tw = (tap % kw) * dw;
    const e = rowWord + 3 * row;
    // Modulo 2^32 (Math.imul, | 0): exact for every element the gather reads, whatever the parts.
    words[e] = (x + (geo.channelStart + c) * xs[1]! + Math.imul(th, w) + tw) | 0;
    words[e + 1] = th;
    words[e + 2] = tw;
  }
  const colTab = at + 12 * Math.ceil(geo.rows / 4) * 4;
  const cb = colTab / 4, chAt = cb + colStride / 4, cwAt = chAt + colStride / 4;
  for (let col = 0; col < geo.cols; col++) {
    const n = Math.floor(col / geo.positions), p = col % geo.positions;
    const ch = Math.floor(p / ow) * sh - ph, cw = (p % ow) * sw - pw;
    words[cb + col] = (n * xs[0]! + Math.imul(ch, w) + cw) | 0;
    words[chAt + col] = ch;
    words[cwAt + col] = cw;
  }
  for (let col = geo.cols; col < colStride / 4; col++) {
    words[cb + col] = 0;
    words[chAt + col] = SLACK_COORD;
    words[cwAt + col] = SLACK_COORD;
  }
  const planAt = cwAt + colStride / 4, idxTab = colTab + 4 * colStride;
  const idx = new Uint8Array(words.buffer, idxTab, 32 * geo.cols);
  for (let col = 0; col < geo.cols; col++) words[planAt + col] = chunkPlan(words, cb, col, geo.cols, idx.subarray(32 * col, 32 * col + 32));
  for (let col = geo.cols; col < colStride / 4; col++) words[planAt + col] = 0;
  return { rowTab: at, colTab, colStride, idxTab, h, w };
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
    if (geo !== undefined && wasmGatherRank(geo)) total += gatherTableBytes(geo);
  }
  return total + slack;
}

/** The geometry of the descriptor a constant places at `addr`, or undefined (not a constant, or invalid). */
function constantGeometry(program: TileProgram, addr: number): Im2ColGeometry | undefined {
  const c = program.constants.find((k) => addr >= k.addr && addr + 16 <= k.addr + k.data.length);
  if (c === undefined || addr % 4 !== 0) return undefined;
  const v = new DataView(c.data.buffer, c.data.byteOffset + (addr - c.addr), c.data.length - (addr - c.addr));
  const r = v.getInt32(4, true);
  if (r < 1 || r > MAX_GATHER_RANK || gatherDescriptorBytes(r) > v.byteLength) return undefined;
  const word = (i: number): number => v.getInt32(4 * i, true);
  const list = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => word(from + i));
  const at = 4 + r;
  try {
    return im2colGeometry([word(2), word(3), ...list(4, r)], {
      kernel_shape: list(at, r), strides: list(at + r, r), dilations: list(at + 2 * r, r), pads: list(at + 3 * r, 2 * r),
      padValue: word(at + 5 * r), channelStart: word(at + 5 * r + 1), channels: word(at + 5 * r + 2),
    }, 'descriptor');
  } catch {
    return undefined;
  }
}
