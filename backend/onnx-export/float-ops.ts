import { match } from 'ts-pattern';
import { unsupported } from '../../ir/errors.js';
import type { Node, PoolAttrs, ConvAttrs } from '../../ir/ops.js';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { type AttributeProto, attr } from './protos.js';

// The ops of the realized graph that are written as they are (float islands and int8 movement ops), in
// opset 13: attributes that moved to inputs in later opsets (Clip 11, Pad 11, Squeeze/Unsqueeze 13) become
// constant inputs; what opset 13 cannot express is an UnsupportedError naming the node.

/** One plain ONNX node: op type, inputs (constants to add are given as tensors) and attributes. */
export interface PlainNode {
  readonly op: string;
  readonly inputs: readonly (string | Tensor)[];
  readonly attrs: readonly AttributeProto[];
}

const defined = (list: (AttributeProto | undefined)[]): AttributeProto[] => list.filter((a): a is AttributeProto => a !== undefined);
const ints = (name: string, v: readonly number[] | undefined): AttributeProto | undefined => (v === undefined ? undefined : attr.ints(name, v));
const autoPad = (p: string): AttributeProto | undefined => (p === 'NOTSET' ? undefined : attr.string('auto_pad', p));

export function convAttrs(a: ConvAttrs): AttributeProto[] {
  return defined([ints('kernel_shape', a.kernel_shape), ints('strides', a.strides), ints('pads', a.pads), ints('dilations', a.dilations),
    attr.int('group', a.group), autoPad(a.auto_pad)]);
}

export function poolAttrs(a: PoolAttrs, kind: 'max' | 'average', who: string): AttributeProto[] {
  if (kind === 'average' && a.dilations?.some((d) => d !== 1)) unsupported(`${who}: AveragePool dilations need opset 19; the QDQ export writes opset 13`);
  return defined([
    ints('kernel_shape', a.kernel_shape), ints('strides', a.strides), ints('pads', a.pads),
    kind === 'max' ? ints('dilations', a.dilations) : undefined, autoPad(a.auto_pad), attr.int('ceil_mode', a.ceil_mode),
    kind === 'average' ? attr.int('count_include_pad', a.count_include_pad) : undefined,
    kind === 'max' && a.storage_order !== 0 ? attr.int('storage_order', a.storage_order) : undefined,
  ]);
}

const i64 = (v: readonly number[]): Tensor => tensor('int64', [v.length], v);
const f32 = (v: number): Tensor => tensor('float32', [], [v]);

/** `node` as an opset-13 node; `rank` gives the rank of a value (Softmax needs it). */
export function plainNode(node: Node, rank: (v: string) => number): PlainNode {
  const who = `${node.op} '${node.name}'`;
  const same = (attrs: AttributeProto[] = []): PlainNode => ({ op: node.op, inputs: node.inputs, attrs });
  return match(node)
    .with({ op: 'Conv' }, (n) => same(convAttrs(n.attrs)))
    .with({ op: 'Gemm' }, (n) => same([attr.float('alpha', n.attrs.alpha), attr.float('beta', n.attrs.beta), attr.int('transA', n.attrs.transA), attr.int('transB', n.attrs.transB)]))
    .with({ op: 'MaxPool' }, (n) => same(poolAttrs(n.attrs, 'max', who)))
    .with({ op: 'AveragePool' }, (n) => same(poolAttrs(n.attrs, 'average', who)))
    .with({ op: 'Clip' }, (n) => (n.attrs.min === undefined && n.attrs.max === undefined
      ? same()
      : { op: 'Clip', inputs: [n.inputs[0]!, n.attrs.min === undefined ? '' : f32(n.attrs.min), n.attrs.max === undefined ? '' : f32(n.attrs.max)], attrs: [] }))
    .with({ op: 'LeakyRelu' }, (n) => same([attr.float('alpha', n.attrs.alpha)]))
    .with({ op: 'Softmax' }, (n) => {
      const r = rank(n.inputs[0]!);
      const axis = n.attrs.axis < 0 ? n.attrs.axis + r : n.attrs.axis;
      // Before opset 13 Softmax normalizes over all dims from axis on; that is the per-axis form only for the last axis.
      if (n.attrs.coerce2d && axis !== r - 1) unsupported(`${who}: opset < 13 Softmax over axes ${axis}..${r - 1} has no opset-13 form (a Reshape around it would be needed)`);
      return same([attr.int('axis', axis)]);
    })
    .with({ op: 'BatchNormalization' }, (n) => same([attr.float('epsilon', n.attrs.epsilon)]))
    .with({ op: 'LRN' }, (n) => same([attr.float('alpha', n.attrs.alpha), attr.float('beta', n.attrs.beta), attr.float('bias', n.attrs.bias), attr.int('size', n.attrs.size)]))
    .with({ op: 'Concat' }, { op: 'Flatten' }, { op: 'Gather' }, (n) => same([attr.int('axis', n.attrs.axis)]))
    .with({ op: 'Reshape' }, (n) => {
      if (n.attrs.allowzero !== 0) unsupported(`${who}: Reshape allowzero = 1 needs opset 14; the QDQ export writes opset 13`);
      return same();
    })
    .with({ op: 'Transpose' }, (n) => same(n.attrs.perm ? [attr.ints('perm', n.attrs.perm)] : []))
    .with({ op: 'Squeeze' }, { op: 'Unsqueeze' }, (n) => (n.attrs.axes ? { op: n.op, inputs: [n.inputs[0]!, i64(n.attrs.axes)], attrs: [] } : same()))
    .with({ op: 'Pad' }, (n) => {
      const mode = [attr.string('mode', n.attrs.mode)];
      if (!n.attrs.pads) return same(mode);
      return { op: 'Pad', inputs: [n.inputs[0]!, i64(n.attrs.pads), f32(n.attrs.value ?? 0)], attrs: mode };
    })
    .with({ op: 'Shape' }, (n) => {
      if (n.attrs.start !== 0 || n.attrs.end !== undefined) unsupported(`${who}: Shape start/end need opset 15; the QDQ export writes opset 13`);
      return same();
    })
    .with({ op: 'ConstantOfShape' }, (n) => same(n.attrs.value ? [attr.tensor('value', n.attrs.value)] : []))
    .with({ op: 'Dropout' }, (n) => ({ op: 'Identity', inputs: [n.inputs[0]!], attrs: [] }))
    .with(
      { op: 'MatMul' }, { op: 'Relu' }, { op: 'Sigmoid' }, { op: 'GlobalAveragePool' }, { op: 'GlobalMaxPool' }, { op: 'Add' }, { op: 'Sub' },
      { op: 'Mul' }, { op: 'Div' }, { op: 'Sum' }, { op: 'Identity' }, { op: 'Round' },
      () => same(),
    )
    .with({ op: 'Constant' }, () => unsupported(`${who}: Constant nodes are written as initializers`))
    .with(
      { op: 'ConvInteger' }, { op: 'QLinearConv' }, { op: 'MatMulInteger' }, { op: 'QLinearMatMul' }, { op: 'QuantizeLinear' }, { op: 'DequantizeLinear' },
      () => unsupported(`${who}: ONNX quantization ops do not appear in a realized graph (stage 'quantized'); run the quantization passes first`),
    )
    .with(
      { op: 'QConv' }, { op: 'QGemm' }, { op: 'QAdd' }, { op: 'QAveragePool' }, { op: 'QGlobalAveragePool' }, { op: 'Requantize' }, { op: 'Quantize' }, { op: 'Dequantize' },
      () => unsupported(`${who}: tilec's integer ops are written as QDQ groups, not as plain nodes`),
    )
    .with({ op: 'Im2Col' }, { op: 'TileGemm' }, { op: 'Lift' },
      () => unsupported(`${who}: the QDQ export takes the realized graph (stage 'quantized'), before lowering to tile ops`))
    .exhaustive();
}
