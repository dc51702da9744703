import { intRange, newTensorData } from '../../ir/dtype.js';
import { qlinearMultiplierF32, requantizeF32 } from '../../ir/arith.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { batchIndex, matmulCore, matmulShapes } from './matmul-core.js';
import { INT8_DTYPES, matParamOf, samePairing, scalarOf } from './quant-common.js';

/**
 * QLinearMatMul: acc = (a - a_zp)(b - b_zp) exactly (matmul-core), then ONNX's float requantization
 * y = saturate(roundHalfEven(f32(f32(acc) · f32(f32(a_scale·b_scale) / y_scale))) + y_zp)
 * (docs/arithmetic.md section 12.1). a's scale/zero point per tensor or per row, b's per tensor or per
 * column, y's per tensor.
 */
export const QLinearMatMul: Kernel<'QLinearMatMul'> = (node, inputs) => {
  const w_ = who(node);
  const a = need(node, inputs, 0, 'a'), as = need(node, inputs, 1, 'a_scale'), az = need(node, inputs, 2, 'a_zero_point');
  const b = need(node, inputs, 3, 'b'), bs = need(node, inputs, 4, 'b_scale'), bz = need(node, inputs, 5, 'b_zero_point');
  const ys = need(node, inputs, 6, 'y_scale'), yz = need(node, inputs, 7, 'y_zero_point');
  expectDtype(node, a, 'input 0 (a)', INT8_DTYPES);
  expectDtype(node, az, 'input 2 (a_zero_point)', [a.dtype]);
  expectDtype(node, b, 'input 3 (b)', INT8_DTYPES);
  expectDtype(node, bz, 'input 5 (b_zero_point)', [b.dtype]);
  expectDtype(node, yz, 'input 7 (y_zero_point)', INT8_DTYPES);
  for (const [t, role] of [[as, 'input 1 (a_scale)'], [bs, 'input 4 (b_scale)'], [ys, 'input 6 (y_scale)']] as const) expectDtype(node, t, role, ['float32']);
  samePairing(node, as, az, 'a_scale', 'a_zero_point');
  samePairing(node, bs, bz, 'b_scale', 'b_zero_point');
  const sa = matParamOf(node, as, 'a_scale', a.shape, 'row'), sb = matParamOf(node, bs, 'b_scale', b.shape, 'column');
  const sy = scalarOf(node, ys, 'y_scale'), zy = scalarOf(node, yz, 'y_zero_point');

  const { acc, shape } = matmulCore(w_, {
    a: a.data, aShape: a.shape, aOffset: matParamOf(node, az, 'a_zero_point', a.shape, 'row'),
    b: b.data, bShape: b.shape, bOffset: matParamOf(node, bz, 'b_zero_point', b.shape, 'column'),
  });
  // Which scale each output element uses: its matrix's row of a and column of b.
  const { batch, m, n } = matmulShapes(w_, a.shape, b.shape);
  const aIdx = batchIndex(a.shape.length > 2 ? a.shape.slice(0, -2) : [], batch);
  const bIdx = batchIndex(b.shape.length > 2 ? b.shape.slice(0, -2) : [], batch);
  const scaleAt = (s: ArrayLike<number>, matrix: number, i: number, per: number): number =>
    s.length === 1 ? s[0]! : s.length === per ? s[i]! : s[matrix * per + i]!;
  const [qmin, qmax] = intRange(yz.dtype);
  const out = newTensorData(yz.dtype, acc.length);
  for (let t = 0, p = 0; t < aIdx.length; t++) {
    for (let i = 0; i < m; i++) {
      const rowScale = scaleAt(sa, aIdx[t]!, i, m);
      for (let j = 0; j < n; j++, p++) {
        out[p] = requantizeF32(acc[p]!, qlinearMultiplierF32(rowScale, scaleAt(sb, bIdx[t]!, j, n), sy), zy, qmin, qmax);
      }
    }
  }
  return [{ dtype: yz.dtype, shape, data: out }];
};
