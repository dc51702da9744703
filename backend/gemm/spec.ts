import { invariant } from '../../ir/errors.js';
import { REQUANT_ENTRY_BYTES } from '../isa.js';
import type { GatherFootprints } from '../gather.js';

// What the tiler is asked to compute: C(M×N) = requant(A(M×K)·B(K×N) + bias), all operands in DRAM.
// A row-major matrix is an address plus a row stride in bytes (the stride may exceed the row, so a GEMM
// can read or write a window of a larger tensor).

export interface MatrixRef {
  /** Byte address of element (0, 0). */
  readonly addr: number;
  /** Bytes from one row to the next. */
  readonly stride: number;
}

/** B is not in DRAM: LOAD_IM2COL gathers each tile from x through the descriptor at `descriptor`. */
export interface GatheredRef {
  readonly gather: 'im2col';
  /** DRAM address of the gather descriptor (backend/gather.ts). */
  readonly descriptor: number;
  /** The geometry, x's address, and each tile's footprint (what the cost model charges). */
  readonly footprints: GatherFootprints;
}

export interface RequantRef {
  /** DRAM address of the requant table: M entries (perRow) or one, REQUANT_ENTRY_BYTES each. */
  readonly table: number;
  readonly perRow: boolean;
  /** Output clamp (a fused ReLU/Clip narrows it), int8 codes. */
  readonly qmin: number;
  readonly qmax: number;
}

export interface GemmSpec {
  /** Names the layer in errors and reports. */
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** int8 M×K (Conv: weights O × C·kh·kw). */
  readonly a: MatrixRef;
  /** int8 K×N (Conv: im2col input C·kh·kw × N·OH·OW). Not read when `gather` is given. */
  readonly b: MatrixRef;
  /** B is gathered from the conv input by LOAD_IM2COL instead of loaded from `b`. */
  readonly gather?: GatheredRef;
  /** DRAM address of int32[M], one bias per output row; absent means zero. */
  readonly bias?: number;
  /** Output M×N: int8 codes when `requant` is given, else raw int32 accumulators. */
  readonly c: MatrixRef;
  readonly requant?: RequantRef;
  /**
   * DRAM the tiler may use for int32 partial sums (weight-stationary schedules that spill across K).
   * Without it such schedules are not considered.
   */
  readonly scratch?: { readonly addr: number; readonly bytes: number };
}

/** Tile counts of a GEMM: ceil(M/t), ceil(N/t), ceil(K/t). */
export interface GemmDims {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly t: number;
  readonly nI: number;
  readonly nJ: number;
  readonly nK: number;
}

export const gemmDims = (s: { m: number; n: number; k: number }, t: number): GemmDims => ({
  m: s.m, n: s.n, k: s.k, t, nI: Math.ceil(s.m / t), nJ: Math.ceil(s.n / t), nK: Math.ceil(s.k / t),
});

const U32_END = 2 ** 32;

/** The backend builds GemmSpecs; one that breaks these rules is a tilec bug, not bad user input. */
export function checkGemmSpec(s: GemmSpec): void {
  const who = `GEMM '${s.name}'`;
  for (const [d, v] of [['m', s.m], ['n', s.n], ['k', s.k]] as const) {
    invariant(Number.isInteger(v) && v >= 1, `${who}: ${d} = ${v} must be an integer >= 1`);
  }
  const matrix = (r: MatrixRef, rows: number, rowBytes: number, what: string, align: number): void => {
    invariant(Number.isInteger(r.addr) && r.addr >= 0 && Number.isInteger(r.stride), `${who}: ${what} address/stride must be integers`);
    invariant(rows === 1 || r.stride >= rowBytes, `${who}: ${what} stride ${r.stride} is shorter than a row (${rowBytes} bytes)`);
    invariant(r.addr % align === 0 && r.stride % align === 0, `${who}: ${what} must be ${align}-byte aligned`);
    invariant(r.addr + (rows - 1) * r.stride + rowBytes <= U32_END, `${who}: ${what} lies beyond 4 GiB`);
  };
  matrix(s.a, s.m, s.k, 'A', 1);
  if (s.gather) {
    const g = s.gather.footprints.geo;
    invariant(g.rows === s.k && g.cols === s.n, `${who}: gathered B is ${g.rows}x${g.cols}, expected K x N = ${s.k}x${s.n}`);
    invariant(s.gather.descriptor % 4 === 0, `${who}: gather descriptor must be 4-byte aligned`);
  } else {
    matrix(s.b, s.k, s.n, 'B', 1);
  }
  matrix(s.c, s.m, s.requant ? s.n : 4 * s.n, 'C', s.requant ? 1 : 4);
  if (s.bias !== undefined) matrix({ addr: s.bias, stride: 4 }, s.m, 4, 'bias', 4);
  if (s.requant) {
    const r = s.requant;
    invariant(r.qmin >= -128 && r.qmin <= r.qmax && r.qmax <= 127, `${who}: clamp [${r.qmin}, ${r.qmax}] is not an int8 range`);
    matrix({ addr: r.table, stride: REQUANT_ENTRY_BYTES }, r.perRow ? s.m : 1, REQUANT_ENTRY_BYTES, 'requant table', 4);
  }
  if (s.scratch) matrix({ addr: s.scratch.addr, stride: 4 }, 1, s.scratch.bytes, 'scratch', 4);
}
