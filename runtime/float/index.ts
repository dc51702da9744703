import { match } from 'ts-pattern';
import type { Evaluate } from '../../ir/graph.js';
import { Add } from './Add.js';
import { AveragePool } from './AveragePool.js';
import { BatchNormalization } from './BatchNormalization.js';
import { GlobalAveragePool } from './GlobalAveragePool.js';
import { GlobalMaxPool } from './GlobalMaxPool.js';
import { LRN } from './LRN.js';
import { MaxPool } from './MaxPool.js';
import { Clip } from './Clip.js';
import { Concat } from './Concat.js';
import { Conv } from './Conv.js';
import { ConvInteger } from './ConvInteger.js';
import { Constant } from './Constant.js';
import { ConstantOfShape } from './ConstantOfShape.js';
import { DequantizeLinear } from './DequantizeLinear.js';
import { Div } from './Div.js';
import { Dropout } from './Dropout.js';
import { Flatten } from './Flatten.js';
import { Gather } from './Gather.js';
import { Gemm } from './Gemm.js';
import { Identity } from './Identity.js';
import { LeakyRelu } from './LeakyRelu.js';
import { MatMul } from './MatMul.js';
import { MatMulInteger } from './MatMulInteger.js';
import { Mul } from './Mul.js';
import { Pad } from './Pad.js';
import { QLinearConv } from './QLinearConv.js';
import { QLinearMatMul } from './QLinearMatMul.js';
import { QuantizeLinear } from './QuantizeLinear.js';
import { Relu } from './Relu.js';
import { Reshape } from './Reshape.js';
import { Shape } from './Shape.js';
import { Sigmoid } from './Sigmoid.js';
import { Softmax } from './Softmax.js';
import { Squeeze } from './Squeeze.js';
import { Sub } from './Sub.js';
import { Sum } from './Sum.js';
import { Transpose } from './Transpose.js';
import { Unsqueeze } from './Unsqueeze.js';
import { Round } from './Round.js';
import { Dequantize } from '../int/Dequantize.js';
import { QAdd } from '../int/QAdd.js';
import { QAveragePool } from '../int/QAveragePool.js';
import { QConv } from '../int/QConv.js';
import { QGemm } from '../int/QGemm.js';
import { QGlobalAveragePool } from '../int/QGlobalAveragePool.js';
import { Quantize } from '../int/Quantize.js';
import { Requantize } from '../int/Requantize.js';
import { Im2Col } from '../int/Im2Col.js';
import { Lift } from '../int/Lift.js';
import { TileGemm } from '../int/TileGemm.js';

// The reference evaluator for float and integer ops: every IR op dispatched to its kernel, the ONNX ops
// to the float reference kernels here and tilec's realized int8 ops (QConv, QGemm, ...) to the integer
// kernels in runtime/int. So runGraph(realized graph, feeds, evaluateFloat) is the untiled integer golden
// model, and the movement ops and MaxPool keep int8 codes as int8. `.exhaustive()` makes a new op in
// ir/ops.ts a compile error here until it is handled.

/** Runs one node on concrete inputs ('' inputs are undefined) with the reference kernels (float and integer). */
export const evaluateFloat: Evaluate = (node, inputs) =>
  match(node)
    .with({ op: 'Conv' }, (n) => Conv(n, inputs))
    .with({ op: 'Gemm' }, (n) => Gemm(n, inputs))
    .with({ op: 'MatMul' }, (n) => MatMul(n, inputs))
    .with({ op: 'ConvInteger' }, (n) => ConvInteger(n, inputs))
    .with({ op: 'QLinearConv' }, (n) => QLinearConv(n, inputs))
    .with({ op: 'MatMulInteger' }, (n) => MatMulInteger(n, inputs))
    .with({ op: 'QLinearMatMul' }, (n) => QLinearMatMul(n, inputs))
    .with({ op: 'QuantizeLinear' }, (n) => QuantizeLinear(n, inputs))
    .with({ op: 'DequantizeLinear' }, (n) => DequantizeLinear(n, inputs))
    .with({ op: 'Relu' }, (n) => Relu(n, inputs))
    .with({ op: 'Clip' }, (n) => Clip(n, inputs))
    .with({ op: 'LeakyRelu' }, (n) => LeakyRelu(n, inputs))
    .with({ op: 'Sigmoid' }, (n) => Sigmoid(n, inputs))
    .with({ op: 'Softmax' }, (n) => Softmax(n, inputs))
    .with({ op: 'Add' }, (n) => Add(n, inputs))
    .with({ op: 'Sub' }, (n) => Sub(n, inputs))
    .with({ op: 'Mul' }, (n) => Mul(n, inputs))
    .with({ op: 'Div' }, (n) => Div(n, inputs))
    .with({ op: 'Sum' }, (n) => Sum(n, inputs))
    .with({ op: 'Concat' }, (n) => Concat(n, inputs))
    .with({ op: 'Flatten' }, (n) => Flatten(n, inputs))
    .with({ op: 'Reshape' }, (n) => Reshape(n, inputs))
    .with({ op: 'Transpose' }, (n) => Transpose(n, inputs))
    .with({ op: 'Squeeze' }, (n) => Squeeze(n, inputs))
    .with({ op: 'Unsqueeze' }, (n) => Unsqueeze(n, inputs))
    .with({ op: 'Pad' }, (n) => Pad(n, inputs))
    .with({ op: 'Shape' }, (n) => Shape(n, inputs))
    .with({ op: 'Gather' }, (n) => Gather(n, inputs))
    .with({ op: 'Identity' }, (n) => Identity(n, inputs))
    .with({ op: 'Dropout' }, (n) => Dropout(n, inputs))
    .with({ op: 'Constant' }, (n) => Constant(n, inputs))
    .with({ op: 'ConstantOfShape' }, (n) => ConstantOfShape(n, inputs))
    .with({ op: 'MaxPool' }, (n) => MaxPool(n, inputs))
    .with({ op: 'AveragePool' }, (n) => AveragePool(n, inputs))
    .with({ op: 'GlobalAveragePool' }, (n) => GlobalAveragePool(n, inputs))
    .with({ op: 'GlobalMaxPool' }, (n) => GlobalMaxPool(n, inputs))
    .with({ op: 'BatchNormalization' }, (n) => BatchNormalization(n, inputs))
    .with({ op: 'LRN' }, (n) => LRN(n, inputs))
    .with({ op: 'Round' }, (n) => Round(n, inputs))
    .with({ op: 'QConv' }, (n) => QConv(n, inputs))
    .with({ op: 'QGemm' }, (n) => QGemm(n, inputs))
    .with({ op: 'QAdd' }, (n) => QAdd(n, inputs))
    .with({ op: 'QAveragePool' }, (n) => QAveragePool(n, inputs))
    .with({ op: 'QGlobalAveragePool' }, (n) => QGlobalAveragePool(n, inputs))
    .with({ op: 'Requantize' }, (n) => Requantize(n, inputs))
    .with({ op: 'Quantize' }, (n) => Quantize(n, inputs))
    .with({ op: 'Dequantize' }, (n) => Dequantize(n, inputs))
    .with({ op: 'Im2Col' }, (n) => Im2Col(n, inputs))
    .with({ op: 'TileGemm' }, (n) => TileGemm(n, inputs))
    .with({ op: 'Lift' }, (n) => Lift(n, inputs))
    .exhaustive();
