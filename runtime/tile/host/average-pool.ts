import type { HostOperands } from '../../../backend/host-ops.js';
import { averagePoolCode } from '../../../ir/arith.js';
import { checkIntAttr, INT8_MAX, INT8_MIN } from '../../../ir/infer/qattrs.js';
import type { Node, QAveragePoolAttrs, QGlobalAveragePoolAttrs } from '../../../ir/ops.js';
import { numel } from '../../../ir/tensor.js';
import { forEachAverageWindow, poolPlan, type PoolPlan } from '../../float/pool-core.js';
import type { HostGather } from './im2col-gather.js';
import { disjoint, refBytes } from './region.js';

// The integer average pools as host ops on int8 codes, directly over DRAM, with the reference kernels'
// arithmetic (runtime/int/QAveragePool.ts, QGlobalAveragePool.ts): the exact integer sum of each window,
// then ir/arith averagePoolCode. QAveragePool's divisor and counted padding per output position come from
// the reference's own window walk (forEachAverageWindow) over one plane of zeros, once per block; the sum
// walks the same windows. Bad attributes, a window without cells and other dtypes take the generic path (the
// reference kernel, which reports the error).

const poolCode = averagePoolCode;
const refuse = (message: string): never => { throw new Error(message); };

/** The fast path for an int8 QAveragePool block, or undefined (the generic path handles the rest). */
export function qAveragePoolFastPath(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || o.outputs.length !== 1 || !x || !y || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  const a = (node as unknown as { attrs: QAveragePoolAttrs }).attrs;
  let plan: PoolPlan;
  let count: Int32Array, padSum: Int32Array;
  try {
    checkIntAttr(refuse, 'count_include_pad', a.count_include_pad, 0, 1);
    checkIntAttr(refuse, 'zeroPoint', a.zeroPoint, INT8_MIN, INT8_MAX);
    plan = poolPlan('QAveragePool', a, x.shape);
    const [D, H, W] = plan.axes, onePlane: PoolPlan = { ...plan, planes: 1 };
    const positions = D.out * H.out * W.out;
    count = new Int32Array(positions);
    padSum = new Int32Array(positions);
    const zeros = new Int8Array(D.size * H.size * W.size);
    // Padded cells that count hold the zero point (real 0), as in the reference.
    forEachAverageWindow('QAveragePool', onePlane, a.count_include_pad !== 0, zeros, (s, _sum, c, inside) => { count[s] = c; padSum[s] = (c - inside) * a.zeroPoint; });
  } catch {
    return undefined;
  }
  if (plan.outShape.length !== y.shape.length || plan.outShape.some((d, i) => d !== y.shape[i])) return undefined;
  if (!disjoint(x, y)) return undefined;
  const xBytes = refBytes(x), yBytes = refBytes(y), xs = x.addr, ys = y.addr;
  const rows = new Int32Array(plan.axes[2].size);
  const codeOf = averageCodes(count, padSum, a.zeroPoint);
  return {
    run(dram) {
      if (xs + xBytes > dram.length || ys + yBytes > dram.length) return false;
      averagePoolInt8(plan, codeOf, new Int8Array(dram.buffer, dram.byteOffset, dram.length), xs, ys, rows);
      return true;
    },
  };
}

/** Divisors up to this many cells get a table of every window sum's code (at most 255·256 + 1 entries). */
const MAX_TABLE_COUNT = 256;

/**
 * Each output position's code as a function of its window's input sum: `codes[at[s] + sum]`, a table of
 * averagePoolCode over every sum the window can have (its cells are int8: |sum| <= 128·count), one per
 * divisor and shared by the positions with that divisor, the counted padding folded into at[s]. Undefined
 * when some divisor exceeds MAX_TABLE_COUNT (then averagePoolCode is called per output).
 */
interface AverageCodes {
  readonly count: Int32Array;
  readonly padSum: Int32Array;
  readonly zp: number;
  readonly table: { readonly codes: Int8Array; readonly at: Int32Array } | undefined;
}

function averageCodes(count: Int32Array, padSum: Int32Array, zp: number): AverageCodes {
  if (count.some((c) => c > MAX_TABLE_COUNT)) return { count, padSum, zp, table: undefined };
  // Table of divisor c: the codes of v = -128c .. 127c (window sum plus counted padding).
  const starts = new Map<number, number>();
  let size = 0;
  for (const c of count) if (!starts.has(c)) { starts.set(c, size); size += 255 * c + 1; }
  const codes = new Int8Array(size);
  for (const [c, start] of starts) for (let v = -128 * c; v <= 127 * c; v++) codes[start + v + 128 * c] = poolCode(v, c, zp);
  const at = Int32Array.from(count, (c, s) => starts.get(c)! + 128 * c + padSum[s]!);
  return { count, padSum, zp, table: { codes, at } };
}

/**
 * y = QAveragePool(x) at byte offsets xs, ys of `codes`: the reference's windows, divisors and padding. The
 * exact integer window sum is taken in two passes per output row: `rows` sums the window's input rows column
 * by column, then each output sums its window's columns of `rows`.
 */
function averagePoolInt8(plan: PoolPlan, codeOf: AverageCodes, codes: Int8Array, xs: number, ys: number, rows: Int32Array): void {
  const [D, H, W] = plan.axes;
  const { count, padSum, zp, table } = codeOf;
  const tableCodes = table?.codes, tableAt = table?.at;
  const planeI = D.size * H.size * W.size, HW = H.size * W.size, Ws = W.size;
  const dD = D.dilation, dH = H.dilation, dW = W.dilation;
  let o = ys;
  for (let p = 0; p < plan.planes; p++) {
    const base = xs + p * planeI;
    let s = 0;
    for (let od = 0; od < D.out; od++) {
      const d0 = D.lo[od]!, d1 = D.hi[od]!, dStart = D.start[od]!;
      for (let oh = 0; oh < H.out; oh++) {
        const h0 = H.lo[oh]!, h1 = H.hi[oh]!, hStart = H.start[oh]!;
        rows.fill(0);
        for (let kd = d0; kd < d1; kd++) {
          const rowD = base + (dStart + kd * dD) * HW;
          for (let kh = h0; kh < h1; kh++) {
            const row = rowD + (hStart + kh * dH) * Ws;
            for (let w = 0; w < Ws; w++) rows[w] += codes[row + w]!;
          }
        }
        for (let ow = 0; ow < W.out; ow++, o++, s++) {
          const w0 = W.lo[ow]!, w1 = W.hi[ow]!, at = W.start[ow]!;
          let sum = 0;
          for (let kw = w0; kw < w1; kw++) sum += rows[at + kw * dW]!;
          codes[o] = tableCodes !== undefined ? tableCodes[tableAt![s]! + sum]! : poolCode(sum + padSum[s]!, count[s]!, zp);
        }
      }
    }
  }
}

/** The fast path for an int8 QGlobalAveragePool block, or undefined (the generic path handles the rest). */
export function qGlobalAveragePoolFastPath(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || o.outputs.length !== 1 || !x || !y || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  const zp = (node as unknown as { attrs: QGlobalAveragePoolAttrs }).attrs.zeroPoint;
  try {
    checkIntAttr(refuse, 'zeroPoint', zp, INT8_MIN, INT8_MAX);
  } catch {
    return undefined;
  }
  const s = x.shape;
  if (s.length < 3) return undefined;
  const planes = s[0]! * s[1]!, planeSize = numel(s.slice(2));
  if (planeSize === 0 || y.shape.length !== s.length || y.shape.some((d, i) => d !== (i < 2 ? s[i] : 1))) return undefined;
  if (!disjoint(x, y)) return undefined;
  const xBytes = refBytes(x), xs = x.addr, ys = y.addr;
  return {
    run(dram) {
      if (xs + xBytes > dram.length || ys + planes > dram.length) return false;
      const codes = new Int8Array(dram.buffer, dram.byteOffset, dram.length);
      for (let p = 0; p < planes; p++) {
        let sum = 0;
        for (let i = xs + p * planeSize, end = i + planeSize; i < end; i++) sum += codes[i]!;
        codes[ys + p] = poolCode(sum, planeSize, zp);
      }
      return true;
    },
  };
}
