import { fail } from '../../ir/errors.js';
import { checkIntAttr, checkRequantAttrs } from '../../ir/infer/qattrs.js';
import { shapeStr } from '../../ir/tensor.js';
import { type Kernel, expectRank, who } from '../float/kernel.js';
import { gemm2d } from '../float/matmul-core.js';
import { addBiasChecked, badFor, int8GemmOperands, requantizeBlock } from './common.js';

/**
 * QGemm (docs/arithmetic.md): Y[i, j] = requantize(Σ_k a[i, k]·b[k, j] + bias[j]) over raw int8 codes
 * (the zero point of a is folded into bias; b is symmetric). Exact in float64, must fit int32;
 * requantized per tensor or per output column j.
 */
export const QGemm: Kernel<'QGemm'> = (node, inputs) => {
  const w_ = who(node), at = node.attrs, bad = badFor(w_);
  const { a, b, bias } = int8GemmOperands(node, inputs);
  expectRank(node, b, 'input 1 (b)', [2]);
  checkIntAttr(bad, 'transB', at.transB, 0, 1);
  const [m, k] = [a.shape[0]!, a.shape[1]!];
  const [kb, n] = at.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kb) fail(`${w_}: inner dimensions differ: a ${shapeStr(a.shape)} has K=${k} but b ${shapeStr(b.shape)} (transB=${at.transB}) has K=${kb}`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== n)) fail(`${w_}: input 2 (bias) has shape ${shapeStr(bias.shape)}, expected [${n}] (one per output column)`);
  checkRequantAttrs(bad, at, n, 'output column');

  const acc = new Float64Array(m * n);
  gemm2d({ m, k, n, a: a.data, b: b.data, transB: at.transB !== 0 }, acc, 0, new Float64Array(k));
  addBiasChecked(w_, acc, bias, n, 1, [m, n]);
  return [{ dtype: 'int8', shape: [m, n], data: requantizeBlock(acc, at, n, 1) }];
};
