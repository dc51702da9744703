import type { ValueType } from '../graph.js';
import type { NodeOf } from '../ops.js';
import { shapeStr } from '../tensor.js';
import { FLOATS, type InferCtx, NUMERIC, Q8, broadcastShapes, broadcastsTo, vt } from './context.js';
import { checkQuantParam } from './quant.js';

// Matrix products: Gemm (2-D, transposes, broadcast C) and the numpy-style MatMul family.

interface MatMulDims { readonly shape: number[]; readonly m: number; readonly n: number }

/**
 * numpy.matmul shape rule: a 1-D A is a row vector and a 1-D B a column vector (the added axis is
 * removed again); leading batch dims broadcast.
 */
function matmulDims(c: InferCtx, ai: number, bi: number): MatMulDims {
  const a = c.input(ai, 'A').shape, b = c.input(bi, 'B').shape;
  if (a.length < 1) c.fail(`input ${ai} (A) is a scalar; MatMul needs rank >= 1`);
  if (b.length < 1) c.fail(`input ${bi} (B) is a scalar; MatMul needs rank >= 1`);
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const [m, k] = a2.slice(-2) as [number, number];
  const [kb, n] = b2.slice(-2) as [number, number];
  if (k !== kb) c.fail(`inner dimensions differ: A ${shapeStr(a)} has K=${k} but B ${shapeStr(b)} has K=${kb}`);
  const batch = broadcastShapes(c, [a2.slice(0, -2), b2.slice(0, -2)]);
  const shape = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
  return { shape, m, n };
}

export function inferMatMul(_: NodeOf<'MatMul'>, c: InferCtx): ValueType[] {
  const a = c.input(0, 'A'), b = c.input(1, 'B');
  c.dtype(a, 0, 'A', NUMERIC);
  c.sameDtype(b, 1, 'B', a, 'input 0 (A)');
  return [vt(a.dtype, matmulDims(c, 0, 1).shape)];
}

/** Y = alpha * A' * B' + beta * C with A' = transA ? A^T : A; C broadcasts to [M, N]. */
export function inferGemm(n: NodeOf<'Gemm'>, c: InferCtx): ValueType[] {
  const a = c.input(0, 'A'), b = c.input(1, 'B');
  c.dtype(a, 0, 'A', NUMERIC);
  c.sameDtype(b, 1, 'B', a, 'input 0 (A)');
  c.rank(a, 0, 'A', (r) => r === 2, 'rank 2');
  c.rank(b, 1, 'B', (r) => r === 2, 'rank 2');
  const [m, k] = n.attrs.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, cols] = n.attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kb) c.fail(`inner dimensions differ: A ${shapeStr(a.shape)} (transA=${n.attrs.transA}) has K=${k} but B ${shapeStr(b.shape)} (transB=${n.attrs.transB}) has K=${kb}`);
  const bias = c.optional(2, 'C');
  if (bias) {
    c.sameDtype(bias, 2, 'C', a, 'input 0 (A)');
    if (!broadcastsTo(bias.shape, [m, cols])) c.fail(`input 2 (C) has shape ${shapeStr(bias.shape)}, which does not broadcast to the output [${m},${cols}]`);
  }
  return [vt(a.dtype, [m, cols])];
}

/** MatMulInteger: int8/uint8 operands minus optional zero points (per row of A, per column of B), int32 result. */
export function inferMatMulInteger(_: NodeOf<'MatMulInteger'>, c: InferCtx): ValueType[] {
  const a = c.input(0, 'A'), b = c.input(1, 'B');
  c.dtype(a, 0, 'A', Q8);
  c.dtype(b, 1, 'B', Q8);
  const { shape, m, n } = matmulDims(c, 0, 1);
  checkQuantParam(c, 2, 'a_zero_point', [a.dtype], [1, m], false);
  checkQuantParam(c, 3, 'b_zero_point', [b.dtype], [1, n], false);
  return [vt('int32', shape)];
}

/** QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point. */
export function inferQLinearMatMul(_: NodeOf<'QLinearMatMul'>, c: InferCtx): ValueType[] {
  const a = c.input(0, 'a'), b = c.input(3, 'b');
  c.dtype(a, 0, 'a', Q8);
  c.dtype(b, 3, 'b', Q8);
  const { shape, m, n } = matmulDims(c, 0, 3);
  checkQuantParam(c, 1, 'a_scale', FLOATS, [1, m], true);
  checkQuantParam(c, 2, 'a_zero_point', [a.dtype], [1, m], true);
  checkQuantParam(c, 4, 'b_scale', FLOATS, [1, n], true);
  checkQuantParam(c, 5, 'b_zero_point', [b.dtype], [1, n], true);
  checkQuantParam(c, 6, 'y_scale', FLOATS, [1, m], true);
  const yzp = checkQuantParam(c, 7, 'y_zero_point', Q8, [1, m], true)!;
  return [vt(yzp.dtype, shape)];
}
