import type { DType } from '../dtype.js';
import { windowGeometry } from '../geometry.js';
import type { ValueType } from '../graph.js';
import type { ConvAttrs, NodeOf, PoolAttrs } from '../ops.js';
import { sameShape, shapeStr } from '../tensor.js';
import { FLOATS, type InferCtx, Q8, count, vt } from './context.js';
import { checkQuantParam } from './quant.js';

// Sliding-window ops. The spatial arithmetic lives in ir/geometry.ts so that inference, kernels and
// the im2col lowering agree; here we only check channels, kernels and dtypes around it.

/**
 * Output shape [N, M, out...] of a convolution of X (input xi) by W (input wi), validating ranks,
 * channel counts against `group`, and kernel_shape against W.
 */
export function convShape(c: InferCtx, a: ConvAttrs, xi: number, wi: number): number[] {
  const x = c.input(xi, 'X'), w = c.input(wi, 'W');
  c.rank(x, xi, 'X', (r) => r >= 3, 'rank >= 3 (N x C x spatial...)');
  if (w.shape.length !== x.shape.length) c.fail(`weight has rank ${w.shape.length} (shape ${shapeStr(w.shape)}) but the input has rank ${x.shape.length} (shape ${shapeStr(x.shape)})`);
  const group = a.group;
  if (!(Number.isInteger(group) && group >= 1)) c.fail(`group ${group} must be a positive integer`);
  const [n, ch] = [x.shape[0]!, x.shape[1]!];
  const [m, cPerGroup] = [w.shape[0]!, w.shape[1]!];
  if (cPerGroup * group !== ch) c.fail(`input has ${ch} channels but weight expects ${cPerGroup * group} (group ${group})`);
  if (m % group !== 0) c.fail(`weight has ${m} output channels, which group ${group} does not divide`);
  const wSpatial = w.shape.slice(2);
  if (a.kernel_shape && !sameShape(a.kernel_shape, wSpatial)) c.fail(`kernel_shape ${shapeStr(a.kernel_shape)} does not match the weight's spatial shape ${shapeStr(wSpatial)}`);
  const geo = windowGeometry(x.shape.slice(2), wSpatial, a, c.who);
  return [n, m, ...geo.out];
}

/** An optional bias must be the 1-D vector [M]. */
function checkBias(c: InferCtx, i: number, m: number, dtypes: readonly DType[]): void {
  const b = c.optional(i, 'B');
  if (!b) return;
  c.dtype(b, i, 'B', dtypes);
  if (b.shape.length !== 1 || b.shape[0] !== m) c.fail(`input ${i} (B) has shape ${shapeStr(b.shape)}, expected [${m}] (one per output channel)`);
}

export function inferConv(n: NodeOf<'Conv'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X'), w = c.input(1, 'W');
  c.dtype(x, 0, 'X', FLOATS);
  c.sameDtype(w, 1, 'W', x, 'input 0 (X)');
  const shape = convShape(c, n.attrs, 0, 1);
  checkBias(c, 2, shape[1]!, [x.dtype]);
  return [vt(x.dtype, shape)];
}

/** ConvInteger: (x - x_zero_point) * (w - w_zero_point) accumulated in int32. */
export function inferConvInteger(n: NodeOf<'ConvInteger'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x'), w = c.input(1, 'w');
  c.dtype(x, 0, 'x', Q8);
  c.dtype(w, 1, 'w', Q8);
  const shape = convShape(c, n.attrs, 0, 1);
  checkQuantParam(c, 2, 'x_zero_point', [x.dtype], [1], false);
  checkQuantParam(c, 3, 'w_zero_point', [w.dtype], [1, shape[1]!], false);
  return [vt('int32', shape)];
}

/** QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B. */
export function inferQLinearConv(n: NodeOf<'QLinearConv'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x'), w = c.input(3, 'w');
  c.dtype(x, 0, 'x', Q8);
  c.dtype(w, 3, 'w', Q8);
  const shape = convShape(c, n.attrs, 0, 3);
  const m = shape[1]!;
  checkQuantParam(c, 1, 'x_scale', FLOATS, [1], true);
  checkQuantParam(c, 2, 'x_zero_point', [x.dtype], [1], true);
  checkQuantParam(c, 4, 'w_scale', FLOATS, [1, m], true);
  checkQuantParam(c, 5, 'w_zero_point', [w.dtype], [1, m], true);
  checkQuantParam(c, 6, 'y_scale', FLOATS, [1], true);
  const yzp = checkQuantParam(c, 7, 'y_zero_point', Q8, [1], true)!;
  checkBias(c, 8, m, ['int32']);
  return [vt(yzp.dtype, shape)];
}

/** Output shape [N, C, out...] of a pool over input 0 (rank >= 3), per the window attributes. */
export function poolShape(c: InferCtx, a: PoolAttrs): number[] {
  const x = c.input(0, 'X');
  c.rank(x, 0, 'X', (r) => r >= 3, 'rank >= 3 (N x C x spatial...)');
  const spatial = x.shape.slice(2);
  if (a.kernel_shape.length !== spatial.length) c.fail(`kernel_shape ${shapeStr(a.kernel_shape)} has ${a.kernel_shape.length} dims but the input has ${spatial.length} spatial dims (shape ${shapeStr(x.shape)})`);
  const geo = windowGeometry(spatial, a.kernel_shape, a, c.who);
  return [x.shape[0]!, x.shape[1]!, ...geo.out];
}

/** MaxPool and AveragePool; MaxPool's optional second output holds int64 flat indices. MaxPool also
 * runs on int8/uint8 codes (the maximum of codes is the code of the maximum). */
export function inferPool(n: NodeOf<'MaxPool' | 'AveragePool'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', n.op === 'MaxPool' ? [...FLOATS, ...Q8] : FLOATS);
  const shape = poolShape(c, n.attrs);
  return n.op === 'MaxPool' ? [vt(x.dtype, shape), vt('int64', shape)] : [vt(x.dtype, shape)];
}

/** Output shape [N, C, 1, ...] of a global pool over input 0. */
export function globalPoolShape(c: InferCtx): number[] {
  const x = c.input(0, 'X');
  c.rank(x, 0, 'X', (r) => r >= 3, 'rank >= 3 (N x C x spatial...)');
  if (count(x.shape.slice(2)) === 0) c.fail(`cannot pool over an empty spatial extent (shape ${shapeStr(x.shape)})`);
  return [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
}

/** GlobalMaxPool also runs on int8/uint8 codes; GlobalAveragePool is float (its integer form is QGlobalAveragePool). */
export function inferGlobalPool(n: NodeOf<'GlobalAveragePool' | 'GlobalMaxPool'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', n.op === 'GlobalMaxPool' ? [...FLOATS, ...Q8] : FLOATS);
  return [vt(x.dtype, globalPoolShape(c))];
}
