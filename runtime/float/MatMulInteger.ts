import { type Kernel, expectDtype, need, who } from './kernel.js';
import { matmulCore } from './matmul-core.js';
import { INT8_DTYPES, matParamOf } from './quant-common.js';

/**
 * MatMulInteger: numpy matmul of (A - a_zero_point) and (B - b_zero_point) as int32, zero points per
 * tensor, per row of A and per column of B. The sum is exact (matmul-core) and wraps to int32 as ONNX's
 * int32 accumulation does.
 */
export const MatMulInteger: Kernel<'MatMulInteger'> = (node, inputs) => {
  const a = need(node, inputs, 0, 'A'), b = need(node, inputs, 1, 'B'), az = inputs[2], bz = inputs[3];
  expectDtype(node, a, 'input 0 (A)', INT8_DTYPES);
  expectDtype(node, b, 'input 1 (B)', INT8_DTYPES);
  if (az) expectDtype(node, az, 'input 2 (a_zero_point)', [a.dtype]);
  if (bz) expectDtype(node, bz, 'input 3 (b_zero_point)', [b.dtype]);
  const { acc, shape } = matmulCore(who(node), {
    a: a.data, aShape: a.shape, aOffset: az ? matParamOf(node, az, 'a_zero_point', a.shape, 'row') : 0,
    b: b.data, bShape: b.shape, bOffset: bz ? matParamOf(node, bz, 'b_zero_point', b.shape, 'column') : 0,
  });
  return [{ dtype: 'int32', shape, data: new Int32Array(acc) }];
};
