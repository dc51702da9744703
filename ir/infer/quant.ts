import type { DType } from '../dtype.js';
import type { ValueType } from '../graph.js';
import type { NodeOf } from '../ops.js';
import { sameShape, shapeStr } from '../tensor.js';
import { FLOATS, type InferCtx, vt } from './context.js';

// Quantize/dequantize ops and the checks on scale / zero-point inputs that every quantized op shares.

/** Zero-point dtypes QuantizeLinear may produce (int32 serves 32-bit biases). */
const QUANT_TARGETS: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];

/**
 * A scale or zero-point input: dtype in `dtypes`, and a scalar / [1] (when `lengths` has 1) or a 1-D
 * vector whose length is one of `lengths`. Returns the input's type, or undefined when it is
 * optional and absent.
 */
export function checkQuantParam(c: InferCtx, i: number, role: string, dtypes: readonly DType[], lengths: readonly number[], required: boolean): ValueType | undefined {
  const t = required ? c.input(i, role) : c.optional(i, role);
  if (!t) return undefined;
  c.dtype(t, i, role, dtypes);
  const scalarOk = lengths.includes(1) && t.shape.length === 0;
  const vectorOk = t.shape.length === 1 && lengths.includes(t.shape[0]!);
  if (!scalarOk && !vectorOk) {
    const want = [...new Set(lengths)].map((l) => (l === 1 ? 'a scalar or [1]' : `[${l}]`)).join(' or ');
    c.fail(`input ${i} (${role}) has shape ${shapeStr(t.shape)}, expected ${want}`);
  }
  return t;
}

/** Scale (input si) and optional zero point (input zi) of a per-tensor or per-axis (de)quantization of x. */
function checkAxisParams(c: InferCtx, x: ValueType, axis: number, prefix: 'x' | 'y', zpDtypes: readonly DType[]): ValueType | undefined {
  const [sRole, zRole] = [`${prefix}_scale`, `${prefix}_zero_point`];
  const scale = c.input(1, sRole);
  if (scale.shape.length > 1) c.fail(`input 1 (${sRole}) has shape ${shapeStr(scale.shape)}; only per-tensor and per-axis quantization are supported`);
  // A [1] scale is per-tensor whatever `axis` says (ONNX ignores axis then, and a rank-1 bias
  // quantized with the default axis 1 must not be rejected).
  const perAxis = scale.shape.length === 1 && scale.shape[0] !== 1;
  const extent = perAxis ? x.shape[c.axis(axis, x.shape.length)]! : 1;
  checkQuantParam(c, 1, sRole, FLOATS, [1, extent], true);
  const zp = checkQuantParam(c, 2, zRole, zpDtypes, [1, extent], false);
  if (zp && !sameShape(zp.shape, scale.shape)) c.fail(`input 2 (${zRole}) has shape ${shapeStr(zp.shape)} but ${sRole} has shape ${shapeStr(scale.shape)}; they must match`);
  return zp;
}

/** QuantizeLinear: the output dtype is the zero point's, uint8 when it is absent. */
export function inferQuantizeLinear(n: NodeOf<'QuantizeLinear'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x');
  c.dtype(x, 0, 'x', ['float32', 'float64', 'int32']);
  const zp = checkAxisParams(c, x, n.attrs.axis, 'y', QUANT_TARGETS);
  return [vt(zp?.dtype ?? 'uint8', x.shape)];
}

/** DequantizeLinear always produces float32 here (float16 scales are widened on import). */
export function inferDequantizeLinear(n: NodeOf<'DequantizeLinear'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x');
  c.dtype(x, 0, 'x', QUANT_TARGETS);
  checkAxisParams(c, x, n.attrs.axis, 'x', [x.dtype]);
  return [vt('float32', x.shape)];
}
