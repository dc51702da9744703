import type { OpAttrs, OpName } from '../ops.js';

// The kind of every attribute of every op, as data. The parser uses it to reject misspelt or
// mistyped attributes with a line:col (instead of building a node the kernels would choke on);
// tests use it to generate random nodes. The mapped type makes the compiler demand an entry for
// every attribute field in ir/ops.ts.

export type AttrKind = 'number' | 'numbers' | 'string' | 'bool' | 'tensor';

export interface AttrSpec {
  readonly kind: AttrKind;
  readonly optional?: boolean;
  /** Allowed values of a string attribute. */
  readonly oneOf?: readonly string[];
}

type Schema = { readonly [O in OpName]: { readonly [K in keyof OpAttrs[O]]-?: AttrSpec } };

const num: AttrSpec = { kind: 'number' };
const optNum: AttrSpec = { kind: 'number', optional: true };
const optNums: AttrSpec = { kind: 'numbers', optional: true };
const autoPad: AttrSpec = { kind: 'string', oneOf: ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] };

const conv = { kernel_shape: optNums, strides: optNums, pads: optNums, dilations: optNums, group: num, auto_pad: autoPad };
const pool = {
  kernel_shape: { kind: 'numbers' } as AttrSpec, strides: optNums, pads: optNums, dilations: optNums, auto_pad: autoPad,
  ceil_mode: num, count_include_pad: num, storage_order: num,
};
const none = {};
const nums: AttrSpec = { kind: 'numbers' };
const requant = { multiplier: nums, shift: nums, zeroPoint: num, qmin: num, qmax: num };
const im2col = { kernel_shape: nums, strides: nums, pads: nums, dilations: nums, padValue: num, channelStart: num, channels: num };
/** TileGemm carries the Im2Col attributes only when it gathers (implicit im2col). */
const optionalIm2col = Object.fromEntries(Object.entries(im2col).map(([k, s]) => [k, { ...s, optional: true }])) as { readonly [K in keyof typeof im2col]: AttrSpec };

export const ATTR_SCHEMA: Schema = {
  Conv: conv,
  ConvInteger: conv,
  QLinearConv: conv,
  Gemm: { alpha: num, beta: num, transA: num, transB: num },
  MatMul: none,
  MatMulInteger: none,
  QLinearMatMul: none,
  QuantizeLinear: { axis: num },
  DequantizeLinear: { axis: num },
  Relu: none,
  Clip: { min: optNum, max: optNum },
  LeakyRelu: { alpha: num },
  Sigmoid: none,
  Softmax: { axis: num, coerce2d: { kind: 'bool' } },
  MaxPool: pool,
  AveragePool: pool,
  GlobalAveragePool: none,
  GlobalMaxPool: none,
  BatchNormalization: { epsilon: num },
  LRN: { alpha: num, beta: num, bias: num, size: num },
  Add: none,
  Sub: none,
  Mul: none,
  Div: none,
  Sum: none,
  Concat: { axis: num },
  Flatten: { axis: num },
  Reshape: { allowzero: num },
  Transpose: { perm: optNums },
  Squeeze: { axes: optNums },
  Unsqueeze: { axes: optNums },
  Pad: { mode: { kind: 'string', oneOf: ['constant', 'reflect', 'edge'] }, pads: optNums, value: optNum },
  Shape: { start: num, end: optNum },
  Gather: { axis: num },
  Identity: none,
  Dropout: { ratio: optNum },
  Constant: { value: { kind: 'tensor' } },
  ConstantOfShape: { value: { kind: 'tensor', optional: true } },
  Round: none,
  QConv: { ...conv, ...requant, padValue: num },
  QGemm: { ...requant, transB: num },
  QAdd: {
    leftShift: num, aMultiplier: num, aShift: num, aZeroPoint: num, bMultiplier: num, bShift: num, bZeroPoint: num,
    outMultiplier: num, outShift: num, zeroPoint: num, qmin: num, qmax: num,
  },
  QAveragePool: { ...pool, zeroPoint: num },
  QGlobalAveragePool: { zeroPoint: num },
  Requantize: { ...requant, inZeroPoint: num },
  Quantize: { scale: num, zeroPoint: num, qmin: num, qmax: num },
  Dequantize: { scale: num, zeroPoint: num },
  Im2Col: im2col,
  TileGemm: { ...requant, gather: { kind: 'string', oneOf: ['none', 'im2col'] }, ...optionalIm2col },
  Lift: { spatial: nums },
};

export const attrSpecs = (op: OpName): Readonly<Record<string, AttrSpec>> => ATTR_SCHEMA[op] as Readonly<Record<string, AttrSpec>>;
