import { newTensorData } from '../../ir/dtype.js';
import { unsupported } from '../../ir/errors.js';
import { numel } from '../../ir/tensor.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { poolPlan, requireNonEmptyWindows } from './pool-core.js';

/**
 * MaxPool over float or 8-bit data (a maximum needs no arithmetic, so int8 graphs reuse it exactly).
 * Padding never wins. Ties keep the first cell in row-major window order; NaN wins, as in numpy's max.
 * The optional Indices output holds each maximum's row-major flat index into X (n and c included).
 */
export const MaxPool: Kernel<'MaxPool'> = (node, inputs) => {
  const w_ = who(node);
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', ['float32', 'float64', 'int8', 'uint8']);
  const wantIndices = (node.outputs[1] ?? '') !== '';
  if (wantIndices && node.attrs.storage_order !== 0) unsupported(`${w_}: storage_order ${node.attrs.storage_order} (column-major Indices) is not supported; only 0 (row major)`);
  const plan = poolPlan(w_, node.attrs, x.shape);
  requireNonEmptyWindows(w_, plan, node.attrs);
  const [D, H, W] = plan.axes;
  const n = numel(plan.outShape);
  const y = newTensorData(x.dtype, n);
  const indices = wantIndices ? new Float64Array(n) : undefined;
  const xd = x.data, planeI = D.size * H.size * W.size, HW = H.size * W.size;
  let o = 0;
  for (let p = 0; p < plan.planes; p++) {
    const base = p * planeI;
    for (let od = 0; od < D.out; od++) {
      for (let oh = 0; oh < H.out; oh++) {
        for (let ow = 0; ow < W.out; ow++, o++) {
          let best = -Infinity, at = -1;
          for (let kd = D.lo[od]!; kd < D.hi[od]!; kd++) {
            const rowD = base + (D.start[od]! + kd * D.dilation) * HW;
            for (let kh = H.lo[oh]!; kh < H.hi[oh]!; kh++) {
              const row = rowD + (H.start[oh]! + kh * H.dilation) * W.size + W.start[ow]!;
              for (let kw = W.lo[ow]!; kw < W.hi[ow]!; kw++) {
                const i = row + kw * W.dilation, v = xd[i]!;
                if (v > best || at < 0 || (v !== v && best === best)) { best = v; at = i; }
              }
            }
          }
          y[o] = best;
          if (indices) indices[o] = at;
        }
      }
    }
  }
  const out = [{ dtype: x.dtype, shape: [...plan.outShape], data: y }];
  return indices ? [...out, { dtype: 'int64', shape: [...plan.outShape], data: indices }] : out;
};
