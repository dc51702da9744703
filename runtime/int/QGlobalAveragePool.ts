import { averagePoolCode } from '../../ir/arith.js';
import { checkIntAttr, INT8_MAX, INT8_MIN } from '../../ir/infer/qattrs.js';
import { globalPoolShape } from '../float/global-pool.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { badFor } from './common.js';

/** QGlobalAveragePool: averagePoolCode(Σ plane, plane size, zeroPoint) per N x C plane (exact integer sum). */
export const QGlobalAveragePool: Kernel<'QGlobalAveragePool'> = (node, inputs) => {
  const w_ = who(node), zp = node.attrs.zeroPoint;
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', ['int8']);
  checkIntAttr(badFor(w_), 'zeroPoint', zp, INT8_MIN, INT8_MAX);
  const { planes, planeSize, outShape } = globalPoolShape(w_, x);
  const y = new Int8Array(planes), xd = x.data;
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = p * planeSize, end = i + planeSize; i < end; i++) sum += xd[i]!;
    y[p] = averagePoolCode(sum, planeSize, zp);
  }
  return [{ dtype: 'int8', shape: [...outShape], data: y }];
};
