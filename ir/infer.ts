import type { ValueType } from './graph.js';
import type { Node, NodeOf, OpName } from './ops.js';
import type { Tensor } from './tensor.js';
import { InferCtx } from './infer/context.js';
import {
  inferBatchNorm, inferBroadcast, inferClip, inferDropout, inferIdentity, inferLRN, inferLeakyRelu, inferRelu,
  inferSigmoid, inferSoftmax,
} from './infer/elementwise.js';
import {
  inferConcat, inferConstant, inferConstantOfShape, inferFlatten, inferGather, inferPad, inferReshape, inferShape,
  inferSqueeze, inferTranspose, inferUnsqueeze,
} from './infer/layout.js';
import { inferGemm, inferMatMul, inferMatMulInteger, inferQLinearMatMul } from './infer/linalg.js';
import { inferDequantizeLinear, inferQuantizeLinear } from './infer/quant.js';
import {
  inferDequantize, inferQAdd, inferQAveragePool, inferQConv, inferQGemm, inferQGlobalAveragePool, inferQuantize,
  inferRequantize, inferRound,
} from './infer/realized.js';
import { inferConv, inferConvInteger, inferGlobalPool, inferPool, inferQLinearConv } from './infer/window.js';
import { inferIm2Col, inferLift, inferTileGemm } from './infer/lowered.js';

export { NeedsConstantError, nodeLabel } from './infer/context.js';

// Shape and dtype inference, per ONNX operator semantics (docs/onnx/Operators.md). One rule per op;
// the table's mapped type makes the compiler reject a missing op, like `.exhaustive()` would.

interface Rule<O extends OpName> {
  /** Most inputs the op takes (optional ones included); Infinity for variadic ops. */
  readonly maxInputs: number;
  /** Types of every possible output, in order; a node may use a prefix of them. */
  readonly infer: (node: NodeOf<O>, c: InferCtx) => ValueType[];
}

const rule = <O extends OpName>(maxInputs: number, infer: (node: NodeOf<O>, c: InferCtx) => ValueType[]): Rule<O> => ({ maxInputs, infer });

const RULES: { readonly [O in OpName]: Rule<O> } = {
  Conv: rule(3, inferConv),
  ConvInteger: rule(4, inferConvInteger),
  QLinearConv: rule(9, inferQLinearConv),
  Gemm: rule(3, inferGemm),
  MatMul: rule(2, inferMatMul),
  MatMulInteger: rule(4, inferMatMulInteger),
  QLinearMatMul: rule(8, inferQLinearMatMul),
  QuantizeLinear: rule(3, inferQuantizeLinear),
  DequantizeLinear: rule(3, inferDequantizeLinear),
  Relu: rule(1, inferRelu),
  Clip: rule(3, inferClip),
  LeakyRelu: rule(1, inferLeakyRelu),
  Sigmoid: rule(1, inferSigmoid),
  Softmax: rule(1, inferSoftmax),
  MaxPool: rule(1, inferPool),
  AveragePool: rule(1, inferPool),
  GlobalAveragePool: rule(1, inferGlobalPool),
  GlobalMaxPool: rule(1, inferGlobalPool),
  BatchNormalization: rule(5, inferBatchNorm),
  LRN: rule(1, inferLRN),
  Add: rule(2, inferBroadcast),
  Sub: rule(2, inferBroadcast),
  Mul: rule(2, inferBroadcast),
  Div: rule(2, inferBroadcast),
  Sum: rule(Infinity, inferBroadcast),
  Concat: rule(Infinity, inferConcat),
  Flatten: rule(1, inferFlatten),
  Reshape: rule(2, inferReshape),
  Transpose: rule(1, inferTranspose),
  Squeeze: rule(2, inferSqueeze),
  Unsqueeze: rule(2, inferUnsqueeze),
  Pad: rule(4, inferPad),
  Shape: rule(1, inferShape),
  Gather: rule(2, inferGather),
  Identity: rule(1, inferIdentity),
  Dropout: rule(3, inferDropout),
  Constant: rule(0, inferConstant),
  ConstantOfShape: rule(1, inferConstantOfShape),
  Round: rule(1, inferRound),
  QConv: rule(3, inferQConv),
  QGemm: rule(3, inferQGemm),
  QAdd: rule(2, inferQAdd),
  QAveragePool: rule(1, inferQAveragePool),
  QGlobalAveragePool: rule(1, inferQGlobalAveragePool),
  Requantize: rule(1, inferRequantize),
  Quantize: rule(1, inferQuantize),
  Dequantize: rule(1, inferDequantize),
  Im2Col: rule(1, inferIm2Col),
  TileGemm: rule(3, inferTileGemm),
  Lift: rule(Infinity, inferLift),
};

/**
 * The output types of `node` (one per entry of node.outputs, '' outputs included), given its input
 * types (undefined for absent inputs) and the values of its constant inputs.
 * Throws TilecError naming the node when the inputs are malformed, and NeedsConstantError when the
 * result depends on an input that `constOf` cannot supply. Outputs never carry `quant`: quantization
 * passes set it.
 */
export function inferNode(node: Node, inputs: readonly (ValueType | undefined)[], constOf: (i: number) => Tensor | undefined): ValueType[] {
  const r = RULES[node.op] as Rule<OpName>;
  const c = new InferCtx(node, inputs, constOf);
  if (node.inputs.length > r.maxInputs) c.fail(`has ${node.inputs.length} inputs, at most ${r.maxInputs} allowed`);
  const types = r.infer(node as never, c);
  if (node.outputs.length < 1) c.fail('has no outputs');
  if (node.outputs.length > types.length) c.fail(`has ${node.outputs.length} outputs, at most ${types.length} allowed`);
  return types.slice(0, node.outputs.length);
}
