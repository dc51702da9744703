import type { HostOperands } from '../../../backend/host-ops.js';
import { numel } from '../../../ir/tensor.js';
import type { Node, PoolAttrs } from '../../../ir/ops.js';
import { poolPlan, requireNonEmptyWindows } from '../../float/pool-core.js';
import type { HostGather } from './im2col-gather.js';

// The MaxPool host op on int8 codes as a precomputed window gather between DRAM regions. The windows are
// the reference kernel's (runtime/float/MaxPool.ts): the same poolPlan, walked in the same order, so each
// output is the maximum of the same input cells. A maximum of integers is exact whatever the order, and
// without the Indices output only the value is written. Anything else (Indices, other dtypes, a window
// error) takes the generic path, which runs the reference kernel and reports errors with the node's name.

/** A gather for a plain int8 MaxPool block, or undefined (the generic path handles the rest). */
export function maxPoolGather(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || !x || !y || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  if (o.outputs.slice(1).some((r) => r !== undefined)) return undefined;
  const attrs = (node as unknown as { attrs: PoolAttrs }).attrs;
  let starts: Int32Array, cells: Int32Array;
  try {
    const plan = poolPlan('MaxPool', attrs, x.shape);
    requireNonEmptyWindows('MaxPool', plan, attrs);
    if (plan.outShape.length !== y.shape.length || plan.outShape.some((d, i) => d !== y.shape[i])) return undefined;
    [starts, cells] = windows(plan);
  } catch {
    return undefined;
  }
  const xBytes = numel(x.shape), yBytes = starts.length - 1, xs = x.addr, ys = y.addr;
  if (xs < ys + yBytes && ys < xs + xBytes) return undefined;
  return {
    run(dram) {
      if (xs + xBytes > dram.length || ys + yBytes > dram.length) return false;
      const codes = new Int8Array(dram.buffer, dram.byteOffset, dram.length);
      for (let out = 0; out < yBytes; out++) {
        const end = starts[out + 1]!;
        let best = codes[xs + cells[starts[out]!]!]!;
        for (let k = starts[out]! + 1; k < end; k++) {
          const v = codes[xs + cells[k]!]!;
          if (v > best) best = v;
        }
        codes[ys + out] = best;
      }
      return true;
    },
  };
}

/** Per output element (row-major), the x offsets of its window's input cells: CSR (starts, cells). */
function windows(plan: ReturnType<typeof poolPlan>): [Int32Array, Int32Array] {
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
