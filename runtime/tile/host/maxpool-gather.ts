import type { HostOperands } from '../../../backend/host-ops.js';
import type { Node, PoolAttrs } from '../../../ir/ops.js';
import { poolPlan, requireNonEmptyWindows, type PoolPlan } from '../../float/pool-core.js';
import type { HostGather } from './im2col-gather.js';
import { disjoint, refBytes } from './region.js';
import { maxPoolWasm, type RowColumnPool } from './wasm/kernels.js';

// The MaxPool host op on int8 codes directly over DRAM, on the reference kernel's windows
// (runtime/float/MaxPool.ts: the same poolPlan, computed once per block). Each output is the maximum of the
// same input cells; a maximum of integers is exact whatever the order, and without the Indices output only
// the value is written. 1-D and 2-D pools run in WebAssembly (wasm/kernels.wat: each output row's window rows
// folded into one with SIMD maxima, then each output's columns). 3-D pools whose windows overlap along H take
// the maximum of each input row once for all the windows sharing it (maxPoolByRows); others are a gather
// through a table of each window's cells (maxPoolByCells). Anything else (Indices, other dtypes, a window
// error) takes the generic path, which runs the reference kernel and reports errors with the node's name.

/** The fast path for a plain int8 MaxPool block, or undefined (the generic path handles the rest). */
export function maxPoolGather(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || !x || !y || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  if (o.outputs.slice(1).some((r) => r !== undefined)) return undefined;
  const attrs = (node as unknown as { attrs: PoolAttrs }).attrs;
  let plan: PoolPlan;
  try {
    plan = poolPlan('MaxPool', attrs, x.shape);
    requireNonEmptyWindows('MaxPool', plan, attrs);
  } catch {
    return undefined;
  }
  if (plan.outShape.length !== y.shape.length || plan.outShape.some((d, i) => d !== y.shape[i])) return undefined;
  if (!disjoint(x, y)) return undefined;
  const xBytes = refBytes(x), yBytes = refBytes(y), xs = x.addr, ys = y.addr;
  const pool = rowColumnPool(plan, xs, ys) ?? (overlapAlongH(plan) ? maxPoolByRows(plan, xs, ys) : maxPoolByCells(plan, xs, ys));
  return {
    run(dram) {
      if (xs + xBytes > dram.length || ys + yBytes > dram.length) return false;
      pool(new Int8Array(dram.buffer, dram.byteOffset, dram.length));
      return true;
    },
  };
}

/** 1-D and 2-D pools (no depth axis) in WebAssembly (wasm/kernels.wat maxpool), else undefined. */
function rowColumnPool(plan: PoolPlan, xs: number, ys: number): MaxPoolInt8 | undefined {
  const [D, H, W] = plan.axes;
  if (D.size !== 1 || D.out !== 1 || D.lo[0] !== 0 || D.hi[0] !== 1 || D.start[0] !== 0) return undefined;
  const ranges = (a: typeof H): Int32Array => {
    const r = new Int32Array(2 * a.out);
    for (let o = 0; o < a.out; o++) { r[2 * o] = a.start[o]! + a.lo[o]! * a.dilation; r[2 * o + 1] = a.hi[o]! - a.lo[o]!; }
    return r;
  };
  const g: RowColumnPool = { planes: plan.planes, h: H.size, w: W.size, dH: H.dilation, dW: W.dilation, rowsOf: ranges(H), colsOf: ranges(W) };
  const xBytes = plan.planes * H.size * W.size, yBytes = plan.planes * H.out * W.out;
  return (codes) => maxPoolWasm(g, codes.subarray(xs, xs + xBytes), codes.subarray(ys, ys + yBytes));
}

/** True when two consecutive output rows' windows share an input row. */
function overlapAlongH(plan: PoolPlan): boolean {
  const H = plan.axes[1];
  for (let oh = 0; oh + 1 < H.out; oh++) {
    if (H.start[oh + 1]! + H.lo[oh + 1]! * H.dilation <= H.start[oh]! + (H.hi[oh]! - 1) * H.dilation) return true;
  }
  return false;
}

/** Writes y = MaxPool(x) for int8 codes in DRAM (x at byte xs, y at ys). */
type MaxPoolInt8 = (codes: Int8Array) => void;

/** The pool as a gather: per output element, the x offsets of its window's cells, walked like the reference. */
function maxPoolByCells(plan: PoolPlan, xs: number, ys: number): MaxPoolInt8 {
  const [starts, cells] = windows(plan);
  const n = starts.length - 1;
  return (codes) => {
    for (let out = 0; out < n; out++) {
      const end = starts[out + 1]!;
      let best = codes[xs + cells[starts[out]!]!]!;
      for (let k = starts[out]! + 1; k < end; k++) {
        const v = codes[xs + cells[k]!]!;
        if (v > best) best = v;
      }
      codes[ys + out] = best;
    }
  };
}

/** Per output element (row-major), the x offsets of its window's input cells: CSR (starts, cells). */
function windows(plan: PoolPlan): [Int32Array, Int32Array] {
  const [D, H, W] = plan.axes;
  const n = plan.planes * D.out * H.out * W.out;
  const starts = new Int32Array(n + 1);
  const cells: number[] = [];
  const planeI = D.size * H.size * W.size, HW = H.size * W.size;
  let o = 0;
  for (let p = 0; p < plan.planes; p++) {
    const base = p * planeI;
    for (let od = 0; od < D.out; od++) {
      for (let oh = 0; oh < H.out; oh++) {
        for (let ow = 0; ow < W.out; ow++, o++) {
          starts[o] = cells.length;
          for (let kd = D.lo[od]!; kd < D.hi[od]!; kd++) {
            const rowD = base + (D.start[od]! + kd * D.dilation) * HW;
            for (let kh = H.lo[oh]!; kh < H.hi[oh]!; kh++) {
              const row = rowD + (H.start[oh]! + kh * H.dilation) * W.size + W.start[ow]!;
              for (let kw = W.lo[ow]!; kw < W.hi[ow]!; kw++) cells.push(row + kw * W.dilation);
            }
          }
        }
      }
    }
  }
  starts[n] = cells.length;
  return [starts, Int32Array.from(cells)];
}

function maxPoolByRows(plan: PoolPlan, xs: number, ys: number): MaxPoolInt8 {
  const rows = new Int8Array(plan.axes[2].size);
  return (codes) => maxPoolInt8(plan, codes, xs, ys, rows);
}

/**
 * The pool in two passes per output row: `rows` takes the maximum of the window's input rows column by
 * column, then each output takes the maximum of its window's columns of `rows` — the maximum of the same
 * cells as the reference's.
 */
function maxPoolInt8(plan: PoolPlan, codes: Int8Array, xs: number, ys: number, rows: Int8Array): void {
  const [D, H, W] = plan.axes;
  const planeI = D.size * H.size * W.size, HW = H.size * W.size, Ws = W.size;
  const dD = D.dilation, dH = H.dilation, dW = W.dilation;
  let o = ys;
  for (let p = 0; p < plan.planes; p++) {
    const base = xs + p * planeI;
    for (let od = 0; od < D.out; od++) {
      const d0 = D.lo[od]!, d1 = D.hi[od]!, dStart = D.start[od]!;
      for (let oh = 0; oh < H.out; oh++) {
        const h0 = H.lo[oh]!, h1 = H.hi[oh]!, hStart = H.start[oh]!;
        let first = true;
        for (let kd = d0; kd < d1; kd++) {
          const rowD = base + (dStart + kd * dD) * HW;
          for (let kh = h0; kh < h1; kh++) {
            const row = rowD + (hStart + kh * dH) * Ws;
            if (first) {
              for (let w = 0; w < Ws; w++) rows[w] = codes[row + w]!;
              first = false;
            } else {
              for (let w = 0; w < Ws; w++) {
                const v = codes[row + w]!;
                if (v > rows[w]!) rows[w] = v;
              }
            }
          }
        }
        for (let ow = 0; ow < W.out; ow++, o++) {
          const w0 = W.lo[ow]!, w1 = W.hi[ow]!, at = W.start[ow]!;
          let best = rows[at + w0 * dW]!;
          for (let kw = w0 + 1; kw < w1; kw++) {
            const v = rows[at + kw * dW]!;
            if (v > best) best = v;
          }
          codes[o] = best;
        }
      }
    }
  }
}
