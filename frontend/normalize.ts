import { fail, invariant, unsupported } from '../ir/errors.js';
import type { AutoPad, ConvAttrs, OpAttrs, OpName, PoolAttrs } from '../ir/ops.js';
import { type Tensor, numel, shapeStr, tensor } from '../ir/tensor.js';
import type { AttrReader } from './attributes.js';

// ONNX attributes -> the typed attrs of ir/ops.ts, with the ONNX defaults that do not depend on shapes.
// Where an op changed between opsets (Softmax 13, Clip/Pad 11, Squeeze 13, Dropout 12), the attrs say
// which form the node has, so later stages never look at the opset again.

export interface NormalizeCtx {
  readonly r: AttrReader;
  /** Default-domain opset the model imports. */
  readonly opset: number;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

type Normalizer<O extends OpName> = (c: NormalizeCtx) => OpAttrs[O];

/** Drops keys whose value is undefined, so absent attributes are absent (not `undefined`) in the IR. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** An int attribute that is a 0/1 switch. */
function flag(c: NormalizeCtx, name: string): number {
  const v = c.r.intOr(name, 0);
  if (v !== 0 && v !== 1) fail(`${c.r.who}: attribute ${name} = ${v} must be 0 or 1`);
  return v;
}

const AUTO_PADS: readonly AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

function conv(c: NormalizeCtx): ConvAttrs {
  const { r } = c;
  const group = r.intOr('group', 1);
  if (group < 1) fail(`${r.who}: attribute group = ${group} must be >= 1`);
  return defined({
    kernel_shape: r.ints('kernel_shape'), strides: r.ints('strides'), pads: r.ints('pads'), dilations: r.ints('dilations'),
    group, auto_pad: r.choice('auto_pad', AUTO_PADS, 'NOTSET'),
  });
}

function pool(c: NormalizeCtx, kind: 'max' | 'average'): PoolAttrs {
  const { r } = c;
  const kernel_shape = r.ints('kernel_shape');
  if (!kernel_shape) fail(`${r.who}: required attribute kernel_shape is missing`);
  const storage_order = kind === 'max' ? flag(c, 'storage_order') : 0;
  if (storage_order === 1 && (c.outputs[1] ?? '') !== '') {
    unsupported(`${r.who}: storage_order = 1 (column-major Indices output) is not supported`);
  }
  return defined({
    kernel_shape, strides: r.ints('strides'), pads: r.ints('pads'), dilations: r.ints('dilations'),
    auto_pad: r.choice('auto_pad', AUTO_PADS, 'NOTSET'),
    ceil_mode: flag(c, 'ceil_mode'),
    count_include_pad: kind === 'average' ? flag(c, 'count_include_pad') : 0,
    storage_order,
  });
}

function required<T>(c: NormalizeCtx, name: string, v: T | undefined): T {
  if (v === undefined) fail(`${c.r.who}: required attribute ${name} is missing`);
  return v;
}

function quantAxis(c: NormalizeCtx): OpAttrs['QuantizeLinear'] {
  const { r } = c;
  if (r.intOr('block_size', 0) !== 0) unsupported(`${r.who}: blocked quantization (block_size ${r.int('block_size')}) is not supported`);
  if (r.intOr('output_dtype', 0) !== 0) unsupported(`${r.who}: attribute output_dtype is not supported (give the type by the zero point)`);
  r.ignore('saturate'); // only affects float8 targets, which tilec rejects by dtype
  return { axis: r.intOr('axis', 1) };
}

/** Constant's value in any of its forms (exactly one must be given). */
function constantValue(c: NormalizeCtx): Tensor {
  const { r } = c;
  for (const name of ['sparse_value', 'value_string', 'value_strings']) {
    if (r.has(name)) unsupported(`${r.who}: attribute ${name} is not supported`);
  }
  const forms = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'].filter((n) => r.has(n));
  if (forms.length !== 1) fail(`${r.who}: needs exactly one value attribute, found ${forms.length ? forms.join(', ') : 'none'}`);
  switch (forms[0]) {
    case 'value': return r.tensor('value')!;
    case 'value_float': return tensor('float32', [], [r.float('value_float')!]);
    case 'value_int': return tensor('int64', [], [r.int('value_int')!]);
    case 'value_floats': { const v = r.floats('value_floats')!; return tensor('float32', [v.length], v); }
    default: { const v = r.ints('value_ints')!; return tensor('int64', [v.length], v); }
  }
}

const noAttrs = (): OpAttrs['Relu'] => ({});
const gemmAttrs = (c: NormalizeCtx): OpAttrs['Gemm'] => ({ alpha: c.r.floatOr('alpha', 1), beta: c.r.floatOr('beta', 1), transA: flag(c, 'transA'), transB: flag(c, 'transB') });
const notOnnx = (c: { r: { who: string } }): never => invariant(false, `${c.r.who}: tilec op reached the ONNX normalizer`) as never;

/** One normalizer per op: the mapped type makes a missing op a compile error. */
const NORMALIZE: { readonly [O in OpName]: Normalizer<O> } = {
  Conv: conv,
  ConvInteger: conv,
  QLinearConv: conv,
  Gemm: (c) => {
    // Before opset 11 C is a required input (Gemm-7/9 take exactly three).
    if (c.opset < 11 && !c.inputs[2]) fail(`${c.r.who}: input C is required before opset 11 (this model imports opset ${c.opset})`);
    return gemmAttrs(c);
  },
  MatMul: noAttrs,
  MatMulInteger: noAttrs,
  QLinearMatMul: noAttrs,
  QuantizeLinear: quantAxis,
  DequantizeLinear: quantAxis,
  Relu: noAttrs,
  // Before opset 11 the bounds are attributes; from 11 on they are inputs and the attrs stay empty.
  Clip: (c) => (c.opset < 11 ? defined({ min: c.r.float('min'), max: c.r.float('max') }) : {}),
  LeakyRelu: (c) => ({ alpha: c.r.floatOr('alpha', 0.01) }),
  Sigmoid: noAttrs,
  Softmax: (c) => (c.opset < 13 ? { axis: c.r.intOr('axis', 1), coerce2d: true } : { axis: c.r.intOr('axis', -1), coerce2d: false }),
  MaxPool: (c) => pool(c, 'max'),
  AveragePool: (c) => pool(c, 'average'),
  GlobalAveragePool: noAttrs,
  GlobalMaxPool: noAttrs,
  BatchNormalization: (c) => {
    const { r } = c;
    if (r.intOr('training_mode', 0) !== 0) unsupported(`${r.who}: training_mode = 1 is not supported (tilec compiles inference graphs)`);
    if (r.intOr('spatial', 1) !== 1) unsupported(`${r.who}: spatial = 0 (per-activation statistics) is not supported`);
    r.ignore('momentum'); // only updates running statistics in training
    const extra = c.outputs.slice(1).filter((o) => o !== '');
    if (extra.length) unsupported(`${r.who}: training outputs (${extra.join(', ')}) are not supported`);
    return { epsilon: r.floatOr('epsilon', 1e-5) };
  },
  LRN: (c) => ({
    alpha: c.r.floatOr('alpha', 1e-4), beta: c.r.floatOr('beta', 0.75), bias: c.r.floatOr('bias', 1),
    size: required(c, 'size', c.r.int('size')),
  }),
  Add: noAttrs,
  Sub: noAttrs,
  Mul: noAttrs,
  Div: noAttrs,
  Sum: noAttrs,
  Concat: (c) => ({ axis: required(c, 'axis', c.r.int('axis')) }),
  Flatten: (c) => ({ axis: c.r.intOr('axis', 1) }),
  Reshape: (c) => ({ allowzero: flag(c, 'allowzero') }),
  Transpose: (c) => defined({ perm: c.r.ints('perm') }),
  Squeeze: (c) => (c.opset < 13 ? defined({ axes: c.r.ints('axes') }) : {}),
  Unsqueeze: (c) => (c.opset < 13 ? { axes: required(c, 'axes', c.r.ints('axes')) } : {}),
  Pad: (c) => {
    const mode = c.r.choice('mode', ['constant', 'reflect', 'edge'] as const, 'constant');
    if (c.opset >= 11) return { mode };
    return { mode, pads: required(c, 'pads', c.r.ints('pads')), value: c.r.floatOr('value', 0) };
  },
  Shape: (c) => defined({ start: c.r.intOr('start', 0), end: c.r.int('end') }),
  Gather: (c) => ({ axis: c.r.intOr('axis', 0) }),
  Identity: noAttrs,
  Dropout: (c) => {
    if (c.opset >= 12) { c.r.ignore('seed'); return {}; } // ratio and training_mode are inputs from 12 on
    if (c.r.intOr('is_test', 1) !== 1) unsupported(`${c.r.who}: is_test = 0 (training mode) is not supported`);
    return { ratio: c.r.floatOr('ratio', 0.5) };
  },
  Constant: (c) => ({ value: constantValue(c) }),
  ConstantOfShape: (c) => {
    const value = c.r.tensor('value');
    if (value && numel(value.shape) !== 1) fail(`${c.r.who}: attribute value must hold one element, got shape ${shapeStr(value.shape)}`);
    return defined({ value });
  },
  Round: noAttrs,
  // tilec's own ops never come from an ONNX file: importNode rejects them by name before normalizing.
  QConv: notOnnx,
  QGemm: notOnnx,
  QAdd: notOnnx,
  QAveragePool: notOnnx,
  QGlobalAveragePool: notOnnx,
  Requantize: notOnnx,
  Quantize: notOnnx,
  Dequantize: notOnnx,
  Im2Col: notOnnx,
  TileGemm: notOnnx,
  Lift: notOnnx,
};

/** The typed attrs of a node of op `op`; fails on missing required and unknown attributes. */
export function normalizeAttrs<O extends OpName>(op: O, c: NormalizeCtx): OpAttrs[O] {
  const attrs = (NORMALIZE[op] as Normalizer<O>)(c);
  c.r.finish(c.opset);
  return attrs;
}

/** First default-domain opset in which each op exists (ops not listed exist in every opset tilec accepts). */
export const OP_SINCE: Readonly<Partial<Record<OpName, number>>> = {
  ConstantOfShape: 9, Round: 11, QuantizeLinear: 10, DequantizeLinear: 10, ConvInteger: 10, QLinearConv: 10,
  MatMulInteger: 10, QLinearMatMul: 10,
};
