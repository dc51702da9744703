import { averagePoolCode } from '../../ir/arith.js';
import { fail } from '../../ir/errors.js';
import { checkIntAttr, INT8_MAX, INT8_MIN } from '../../ir/infer/qattrs.js';
import { numel } from '../../ir/tensor.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { poolPlan } from '../float/pool-core.js';
import { badFor } from './common.js';

/**
 * QAveragePool: averagePoolCode(sum, count, zeroPoint) over each window, input and output sharing scale
 * and zero point. The divisor follows ONNX AveragePool (pool-core): with count_include_pad, cells of the
 * explicit (or auto) padding count and hold the zero point (real 0); cells that ceil_mode reaches beyond
 * the end padding never count. The integer sum is exact.
 */
export const QAveragePool: Kernel<'QAveragePool'> = (node, inputs) => {
  const w_ = who(node), a = node.attrs, bad = badFor(w_);
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', ['int8']);
  checkIntAttr(bad, 'count_include_pad', a.count_include_pad, 0, 1);
  checkIntAttr(bad, 'zeroPoint', a.zeroPoint, INT8_MIN, INT8_MAX);
  const zp = a.zeroPoint, includePad = a.count_include_pad !== 0;
  const plan = poolPlan(w_, a, x.shape);
  const [D, H, W] = plan.axes;
  const y = new Int8Array(numel(plan.outShape));
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
          const inside = (D.hi[od]! - D.lo[od]!) * (H.hi[oh]! - H.lo[oh]!) * (W.hi[ow]! - W.lo[ow]!);
          const count = includePad ? D.padded[od]! * H.padded[oh]! * W.padded[ow]! : inside;
          if (count === 0) fail(`${w_}: the window of output element ${o} covers no input cell (it lies entirely in padding); its average is undefined`);
          y[o] = averagePoolCode(sum + (count - inside) * zp, count, zp);
        }
      }
    }
  }
  return [{ dtype: 'int8', shape: [...plan.outShape], data: y }];
};
