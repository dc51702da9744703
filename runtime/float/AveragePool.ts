import { numel } from '../../ir/tensor.js';
import { fail } from '../../ir/errors.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';
import { poolPlan } from './pool-core.js';

/**
 * AveragePool, summed in float64. The divisor is the number of window cells inside X, or with
 * count_include_pad those inside X plus its explicit (or auto) padding; cells that ceil_mode reaches
 * beyond the end padding never count (PyTorch, onnxruntime).
 */
export const AveragePool: Kernel<'AveragePool'> = (node, inputs) => {
  const w_ = who(node);
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', FLOAT_DTYPES);
  const plan = poolPlan(w_, node.attrs, x.shape);
  const includePad = node.attrs.count_include_pad !== 0;
  const [D, H, W] = plan.axes;
  const acc = new Float64Array(numel(plan.outShape));
  const xd = x.data, planeI = D.size * H.size * W.size, HW = H.size * W.size;
  let o = 0;
  for (let p = 0; p < plan.planes; p++) {
    const base = p * planeI;
    for (let od = 0; od < D.out; od++) {
      for (let oh = 0; oh < H.out; oh++) {
        for (let ow = 0; ow < W.out; ow++, o++) {
          let sum = 0;
          for (let kd = D.lo[od]!; kd < D.hi[od]!; kd++) {
            const rowD = base + (D.start[od]! + kd * D.dilation) * HW;
            for (let kh = H.lo[oh]!; kh < H.hi[oh]!; kh++) {
              const row = rowD + (H.start[oh]! + kh * H.dilation) * W.size + W.start[ow]!;
              for (let kw = W.lo[ow]!; kw < W.hi[ow]!; kw++) sum += xd[row + kw * W.dilation]!;
            }
          }
          const count = includePad
            ? D.padded[od]! * H.padded[oh]! * W.padded[ow]!
            : (D.hi[od]! - D.lo[od]!) * (H.hi[oh]! - H.lo[oh]!) * (W.hi[ow]! - W.lo[ow]!);
          if (count === 0) fail(`${w_}: the window of output element ${o} covers no input cell (it lies entirely in padding); its average is undefined`);
          acc[o] = sum / count;
        }
      }
    }
  }
  return [storeFloat(x.dtype, plan.outShape, acc)];
};
