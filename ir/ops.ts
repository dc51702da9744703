import type { Tensor } from './tensor.js';

// Every op the IR can hold, with its attributes as plain data. The importer fills ONNX defaults that
// do not depend on shapes; rank-dependent defaults (strides, pads, dilations...) stay undefined and
// are resolved by one shared helper (see ir/geometry.ts) so the inference, the kernels and the
// lowering agree. Inputs that ONNX leaves out are the empty string ''.

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface ConvAttrs {
  readonly kernel_shape?: readonly number[];
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group: number;
  readonly auto_pad: AutoPad;
}
export interface PoolAttrs {
  readonly kernel_shape: readonly number[];
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly auto_pad: AutoPad;
  readonly ceil_mode: number;
  /** AveragePool only; 0 for MaxPool. */
  readonly count_include_pad: number;
  /** MaxPool only (0 = row major); tilec rejects storage_order 1 with the Indices output. */
  readonly storage_order: number;
}
export interface GemmAttrs { readonly alpha: number; readonly beta: number; readonly transA: number; readonly transB: number }
export interface ClipAttrs { readonly min?: number; readonly max?: number }
export interface LeakyReluAttrs { readonly alpha: number }
/** opset < 13 Softmax flattens to 2-D at `axis` (`coerce2d`), opset >= 13 normalizes along `axis` only. */
export interface SoftmaxAttrs { readonly axis: number; readonly coerce2d: boolean }
export interface BatchNormAttrs { readonly epsilon: number }
export interface LRNAttrs { readonly alpha: number; readonly beta: number; readonly bias: number; readonly size: number }
export interface AxisAttrs { readonly axis: number }
export interface ReshapeAttrs { readonly allowzero: number }
export interface TransposeAttrs { readonly perm?: readonly number[] }
/** `axes` from the attribute (opset < 13); from opset 13 they come as input 1. */
export interface AxesAttrs { readonly axes?: readonly number[] }
/** Pad: opset < 11 carries pads/value as attributes, opset >= 11 as inputs. */
export interface PadAttrs { readonly mode: 'constant' | 'reflect' | 'edge'; readonly pads?: readonly number[]; readonly value?: number }
export interface ShapeAttrs { readonly start: number; readonly end?: number }
export interface DropoutAttrs { readonly ratio?: number }
export interface ConstantAttrs { readonly value: Tensor }
export interface ConstantOfShapeAttrs { readonly value?: Tensor }
export interface QuantAxisAttrs { readonly axis: number }
export type NoAttrs = Readonly<Record<string, never>>;

// ---- tilec's own integer ops: the realized int8 graph (stage `quantized`). Their arithmetic is the one
// in ir/arith.ts and docs/arithmetic.md; every value they produce carries `quant` in its ValueType.

/**
 * int32 accumulator -> intB code, by ir/arith requantize(): per tensor (one entry) or per output
 * channel (one entry per channel), then + zeroPoint and clamp to [qmin, qmax] (ReLU/Clip fused here).
 */
export interface RequantAttrs {
  readonly multiplier: readonly number[];
  readonly shift: readonly number[];
  readonly zeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}
/** QConv(x:int8, w:int8 const, bias:int32 const): acc = Σ w·x + bias over the raw codes; the input zero
 * point is already folded into bias (Σ w·z_x) and padding holds `padValue` (= z_x), so only int8·int8
 * products accumulate in int32. Weights are symmetric (zero point 0). */
export interface QConvAttrs extends ConvAttrs, RequantAttrs { readonly padValue: number }
/** QGemm(a:int8 [M,K], b:int8 const [K,N] (or [N,K] with transB), bias:int32 const [N]): Y = A·B + bias,
 * requantized per tensor or per column N (the output channel). Gemm and MatMul both realize to it. */
export interface QGemmAttrs extends RequantAttrs { readonly transB: number }
/** TFLite's integer Add (ir/arith quantizedAdd): both centred inputs shifted left, rescaled, summed,
 * rescaled to the output. */
export interface QAddAttrs {
  readonly leftShift: number;
  readonly aMultiplier: number; readonly aShift: number; readonly aZeroPoint: number;
  readonly bMultiplier: number; readonly bShift: number; readonly bZeroPoint: number;
  readonly outMultiplier: number; readonly outShift: number;
  readonly zeroPoint: number; readonly qmin: number; readonly qmax: number;
}
/** Average pooling on codes (ir/arith averagePoolCode); output has the input's scale and zero point. */
export interface QAveragePoolAttrs extends PoolAttrs { readonly zeroPoint: number }
export interface QGlobalAveragePoolAttrs { readonly zeroPoint: number }
/** intB -> intB at another scale: requantize(q - inZeroPoint) (Concat inputs, float-island-free rescale). */
export interface RequantizeAttrs extends RequantAttrs { readonly inZeroPoint: number }
/** float32 -> intB: q = clamp(roundHalfEven(f32(x / scale)) + zeroPoint, qmin, qmax) (ir/arith quantizeF32). */
export interface QuantizeAttrs { readonly scale: number; readonly zeroPoint: number; readonly qmin: number; readonly qmax: number }
/** intB -> float32: scale·(q − zeroPoint). */
export interface DequantizeAttrs { readonly scale: number; readonly zeroPoint: number }

// ---- The lowered stage (passes/lower, docs/lowering.md): every QConv/QGemm became a TileGemm, the
// accelerator's GEMM in the seed's layout (output channels are rows), fed by Im2Col and read back by Lift.
// Tiling stays the backend's job: these ops hold whole matrices, never tiles.

/**
 * Im2Col (the seed's inputs_lowering, generalised): x int8 [N, C, spatial...] -> int8 [channels·Πkernel, N·Πout].
 * Row c·Πkernel + t holds input channel channelStart + c at kernel tap t (taps row-major: i·kw + j in 2-D);
 * column n·Πout + p holds batch n at output position p (row-major: oh·OW + ow). A tap outside the input
 * reads padValue (the input zero point). The geometry is resolved: explicit pads [begin..., end...], no auto_pad
 * (ir/im2col.ts im2colGeometry is the one definition).
 */
export interface Im2ColAttrs {
  readonly kernel_shape: readonly number[];
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly padValue: number;
  /** The channel range [channelStart, channelStart + channels) of x this matrix covers (one conv group). */
  readonly channelStart: number;
  readonly channels: number;
}
/**
 * TileGemm(a:int8 [M,K] const, b, bias:int32 [M] optional): C[m, j] = requantize(bias[m] + Σ_k a[m,k]·B[k,j]) with
 * the (multiplier, shift) of row m (or the single pair), + zeroPoint, clamped to [qmin, qmax] -> int8 [M, N].
 * The accumulator starts at the bias (the tile machine PRELOADs it) and the lowering proved that no partial
 * sum, in any order, leaves int32. gather 'none': b is the int8 [K, N] matrix B. gather 'im2col' (implicit
 * im2col): b is the conv input X [N, C, spatial...] and B = Im2Col(X) with the Im2Col attributes given here;
 * the backend gathers patches while loading tiles and no matrix is materialised. With gather 'none' those
 * attributes are absent.
 */
export interface TileGemmAttrs extends RequantAttrs, Partial<Im2ColAttrs> { readonly gather: 'none' | 'im2col' }
/**
 * Lift (the seed's outputs_lifting): int8 [M_g, N·Πspatial] per input -> int8 [N, ΣM_g, spatial...]; the inputs
 * (one GEMM output per conv group) are stacked along the channels in order. out[n, m, p] = in[m, n·Πspatial + p].
 */
export interface LiftAttrs { readonly spatial: readonly number[] }

/** op name -> attribute type. The single source of truth for which ops exist. */
export interface OpAttrs {
  Conv: ConvAttrs;
  ConvInteger: ConvAttrs;
  QLinearConv: ConvAttrs;
  Gemm: GemmAttrs;
  MatMul: NoAttrs;
  MatMulInteger: NoAttrs;
  QLinearMatMul: NoAttrs;
  QuantizeLinear: QuantAxisAttrs;
  DequantizeLinear: QuantAxisAttrs;
  Relu: NoAttrs;
  Clip: ClipAttrs;
  LeakyRelu: LeakyReluAttrs;
  Sigmoid: NoAttrs;
  Softmax: SoftmaxAttrs;
  MaxPool: PoolAttrs;
  AveragePool: PoolAttrs;
  GlobalAveragePool: NoAttrs;
  GlobalMaxPool: NoAttrs;
  BatchNormalization: BatchNormAttrs;
  LRN: LRNAttrs;
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  Sum: NoAttrs;
  Concat: AxisAttrs;
  Flatten: AxisAttrs;
  Reshape: ReshapeAttrs;
  Transpose: TransposeAttrs;
  Squeeze: AxesAttrs;
  Unsqueeze: AxesAttrs;
  Pad: PadAttrs;
  Shape: ShapeAttrs;
  Gather: AxisAttrs;
  Identity: NoAttrs;
  Dropout: DropoutAttrs;
  Constant: ConstantAttrs;
  ConstantOfShape: ConstantOfShapeAttrs;
  Round: NoAttrs;
  QConv: QConvAttrs;
  QGemm: QGemmAttrs;
  QAdd: QAddAttrs;
  QAveragePool: QAveragePoolAttrs;
  QGlobalAveragePool: QGlobalAveragePoolAttrs;
  Requantize: RequantizeAttrs;
  Quantize: QuantizeAttrs;
  Dequantize: DequantizeAttrs;
  Im2Col: Im2ColAttrs;
  TileGemm: TileGemmAttrs;
  Lift: LiftAttrs;
}

export type OpName = keyof OpAttrs;

export const OP_NAMES: readonly OpName[] = [
  'Conv', 'ConvInteger', 'QLinearConv', 'Gemm', 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'QuantizeLinear',
  'DequantizeLinear', 'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Softmax', 'MaxPool', 'AveragePool',
  'GlobalAveragePool', 'GlobalMaxPool', 'BatchNormalization', 'LRN', 'Add', 'Sub', 'Mul', 'Div', 'Sum', 'Concat',
  'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Pad', 'Shape', 'Gather', 'Identity', 'Dropout',
  'Constant', 'ConstantOfShape', 'Round',
  'QConv', 'QGemm', 'QAdd', 'QAveragePool', 'QGlobalAveragePool', 'Requantize', 'Quantize', 'Dequantize',
  'Im2Col', 'TileGemm', 'Lift',
];

/** tilec's own ops (never in an ONNX file); the importer rejects them by name. */
export const TILEC_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'QConv', 'QGemm', 'QAdd', 'QAveragePool', 'QGlobalAveragePool', 'Requantize', 'Quantize', 'Dequantize',
  'Im2Col', 'TileGemm', 'Lift',
]);

export const isOpName = (s: string): s is OpName => (OP_NAMES as readonly string[]).includes(s);

/** A node of op O. Immutable; a rewrite builds a new node. */
export interface NodeOf<O extends OpName> {
  readonly op: O;
  /** Unique within the graph (the importer names unnamed nodes `op_index`). */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: OpAttrs[O];
}

/** The discriminated union on `op` that passes match on. */
export type Node = { [O in OpName]: NodeOf<O> }[OpName];
