import type { DType } from '../dtype.js';
import type { ValueType } from '../graph.js';
import type { NodeOf } from '../ops.js';
import { shapeStr } from '../tensor.js';
import { FLOATS, type InferCtx, NUMERIC, broadcastShapes, count, vt } from './context.js';

// Ops whose output has the shape of an input (activations, normalizations) or of the broadcast of
// all inputs (arithmetic).

const RELU_DTYPES: readonly DType[] = ['float32', 'float64', 'int8', 'int16', 'int32', 'int64'];

/** Output = input 0's type, after checking its dtype. */
function unary(c: InferCtx, allowed: readonly DType[]): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', allowed);
  return [vt(x.dtype, x.shape)];
}

export const inferRelu = (_: NodeOf<'Relu'>, c: InferCtx): ValueType[] => unary(c, RELU_DTYPES);
export const inferSigmoid = (_: NodeOf<'Sigmoid'>, c: InferCtx): ValueType[] => unary(c, FLOATS);
export const inferLeakyRelu = (_: NodeOf<'LeakyRelu'>, c: InferCtx): ValueType[] => unary(c, FLOATS);
export const inferIdentity = (_: NodeOf<'Identity'>, c: InferCtx): ValueType[] => {
  const x = c.input(0, 'input');
  return [vt(x.dtype, x.shape)];
};

/** Clip: min/max are attributes before opset 11 and optional scalar inputs from then on. */
export function inferClip(_: NodeOf<'Clip'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'input');
  c.dtype(x, 0, 'input', NUMERIC);
  for (const [i, role] of [[1, 'min'], [2, 'max']] as const) {
    const b = c.optional(i, role);
    if (!b) continue;
    c.sameDtype(b, i, role, x, 'input 0 (input)');
    // ONNX says scalar; exporters also write shape [1], which means the same thing.
    if (count(b.shape) !== 1 || b.shape.length > 1) c.fail(`input ${i} (${role}) must be a scalar, got shape ${shapeStr(b.shape)}`);
  }
  return [vt(x.dtype, x.shape)];
}

export function inferSoftmax(n: NodeOf<'Softmax'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'input');
  c.dtype(x, 0, 'input', FLOATS);
  c.rank(x, 0, 'input', (r) => r >= 1, 'rank >= 1');
  c.axis(n.attrs.axis, x.shape.length);
  return [vt(x.dtype, x.shape)];
}

export function inferLRN(n: NodeOf<'LRN'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', FLOATS);
  c.rank(x, 0, 'X', (r) => r >= 2, 'rank >= 2 (N x C x ...)');
  if (!(Number.isInteger(n.attrs.size) && n.attrs.size >= 1)) c.fail(`size ${n.attrs.size} must be a positive integer`);
  return [vt(x.dtype, x.shape)];
}

/**
 * BatchNormalization (inference form). Extra outputs exist in training mode (running mean/var and,
 * before opset 14, saved mean/var); they are all per-channel vectors.
 */
export function inferBatchNorm(_: NodeOf<'BatchNormalization'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', FLOATS);
  c.rank(x, 0, 'X', (r) => r >= 2, 'rank >= 2 (N x C x ...)');
  const ch = x.shape[1]!;
  const roles = ['scale', 'B', 'input_mean', 'input_var'] as const;
  roles.forEach((role, k) => {
    const t = c.input(k + 1, role);
    c.dtype(t, k + 1, role, FLOATS);
    if (t.shape.length !== 1 || t.shape[0] !== ch) c.fail(`input ${k + 1} (${role}) has shape ${shapeStr(t.shape)} but X has ${ch} channels (expected [${ch}])`);
  });
  const stat = vt(c.input(3, 'input_mean').dtype, [ch]);
  return [vt(x.dtype, x.shape), stat, stat, stat, stat];
}

/** Dropout is the identity at inference; the optional mask output is bool. */
export function inferDropout(_: NodeOf<'Dropout'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'data');
  c.dtype(x, 0, 'data', FLOATS);
  const ratio = c.optional(1, 'ratio');
  if (ratio) c.dtype(ratio, 1, 'ratio', FLOATS);
  const training = c.optional(2, 'training_mode');
  if (training) c.dtype(training, 2, 'training_mode', ['bool']);
  return [vt(x.dtype, x.shape), vt('bool', x.shape)];
}

/** Add, Sub, Mul, Div and the variadic Sum: one dtype, multidirectional broadcasting. */
export function inferBroadcast(n: NodeOf<'Add' | 'Sub' | 'Mul' | 'Div' | 'Sum'>, c: InferCtx): ValueType[] {
  const arity = n.op === 'Sum' ? n.inputs.length : 2;
  if (arity < 1) c.fail('needs at least one input');
  const roles = n.op === 'Sum' ? undefined : ['A', 'B'];
  const types: ValueType[] = [];
  for (let i = 0; i < arity; i++) {
    const role = roles?.[i] ?? `data_${i}`;
    const t = c.input(i, role);
    if (i === 0) c.dtype(t, 0, role, NUMERIC);
    else c.sameDtype(t, i, role, types[0]!, `input 0 (${roles?.[0] ?? 'data_0'})`);
    types.push(t);
  }
  return [vt(types[0]!.dtype, broadcastShapes(c, types.map((t) => t.shape)))];
}
