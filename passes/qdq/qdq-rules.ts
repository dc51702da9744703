import { match } from 'ts-pattern';
import { type DType, isFloat } from '../../ir/dtype.js';
import { unsupported } from '../../ir/errors.js';
import { type Graph, type QuantParams, valueType } from '../../ir/graph.js';
import type { Node, NodeOf } from '../../ir/ops.js';
import { dequantizeF32, qRange, quantizeF32 } from '../../ir/arith.js';
import { intRange } from '../../ir/dtype.js';
import { numel, tensor, type Tensor } from '../../ir/tensor.js';
import { consumersOf, isGraphOutput } from '../query.js';
import type { RewriteResult, Rule } from '../rewrite.js';
import { constantValue } from './constants.js';
import { CODE_DTYPES, channelIndexer, describeQuant, quantOperands, quantParamsOf, sameQuant, toInt8Storage, withQuant } from './params.js';

// QDQ models (onnxruntime's quantizer, TensorRT-style exports) say how every tensor is quantized with
// QuantizeLinear -> DequantizeLinear pairs around float ops. These rules move that information into the
// values' types (ValueType.quant) and leave the float graph the pairs were wrapped around:
// - an activation x -> Q(s, z) -> DQ(s, z) -> ... loses the pair; x carries quant {s, z} (int8 storage);
// - DQ(constant int8/uint8 weight) becomes the float constant ONNX computes, whose codes stay exact
//   through its quant params; DQ(constant int32 bias) likewise with 32-bit params;
// - Q(constant float) -> DQ (weights kept in float) becomes the same, with the codes QuantizeLinear gives.

const isWeightUse = (n: Node, v: string): boolean =>
  (n.op === 'Conv' || n.op === 'Gemm' || n.op === 'MatMul') && n.inputs[1] === v;

/**
 * The float constant `out` = scale·(code − zeroPoint) exactly as ONNX DequantizeLinear computes it, typed
 * with `q`. Asymmetric weights are re-centred (zero point 0, codes − zeroPoint) when every centred code fits
 * int8: the same reals, and QConv/QGemm need symmetric weights. One that does not fit cannot be a weight.
 */
function dequantizedConstant(g: Graph, out: string, storage: Tensor, q: QuantParams, who: string): RewriteResult {
  const channel = channelIndexer(storage.shape, q);
  const n = numel(storage.shape);
  const values = tensor('float32', storage.shape);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const c = channel(i);
    const centred = storage.data[i]! - q.zeroPoint[c]!;
    values.data[i] = dequantizeF32(storage.data[i]!, q.scale[c]!, q.zeroPoint[c]!);
    if (centred < lo) lo = centred;
    if (centred > hi) hi = centred;
  }
  let quant = q;
  if (q.bits <= 8 && q.zeroPoint.some((z) => z !== 0)) {
    const [qmin, qmax] = qRange(q.bits, true);
    if (lo >= qmin && hi <= qmax) quant = { ...q, zeroPoint: q.zeroPoint.map(() => 0) };
    else {
      const user = consumersOf(g, out).find((c) => isWeightUse(c, out));
      if (user) {
        unsupported(`${who}: weight '${out}' of ${user.op} '${user.name}' is asymmetric (${describeQuant(q)}): its centred codes span ` +
          `[${lo}, ${hi}], beyond int8 [${qmin}, ${qmax}]; tilec's QConv/QGemm need symmetric weights (zero point 0). ` +
          'Quantize the weights symmetrically (e.g. onnxruntime QuantFormat.QDQ with WeightSymmetric=True)');
      }
    }
  }
  return {
    replace: [],
    newInitializers: new Map([[out, values]]),
    newValues: new Map([[out, { dtype: 'float32', shape: storage.shape, quant }]]),
  };
}

/** int8/uint8 codes in int8 storage (uint8 shifted by −128). */
function int8Storage(codes: Tensor): Tensor {
  const out = tensor('int8', codes.shape);
  for (let i = 0; i < codes.data.length; i++) out.data[i] = toInt8Storage(codes.data[i]!, codes.dtype);
  return out;
}

/** DequantizeLinear of a constant: an int8/uint8 weight (8-bit params) or an int32 bias (32-bit params, zero point 0). */
export const dequantizeConstant: Rule = (node, g) =>
  match(node)
    .with({ op: 'DequantizeLinear' }, (n) => {
      const codes = constantValue(g, n.inputs[0]!);
      const ops = quantOperands(g, n);
      if (!codes || !ops) return undefined;
      const who = `DequantizeLinear '${n.name}'`;
      if (codes.dtype === 'int32') {
        if (ops.zeroPoint?.data.some((z) => z !== 0)) return undefined;
        return dequantizedConstant(g, n.outputs[0]!, codes, quantParamsOf(ops, 'int32', codes.shape, 32), who);
      }
      if (!CODE_DTYPES.includes(codes.dtype)) return undefined;
      return dequantizedConstant(g, n.outputs[0]!, int8Storage(codes), quantParamsOf(ops, codes.dtype, codes.shape), who);
    })
    .otherwise(() => undefined);

/** The DequantizeLinear nodes reading `q`'s output, when they are all its readers and all use q's parameters. */
function matchingDequantizers(g: Graph, q: NodeOf<'QuantizeLinear'>, params: QuantParams): NodeOf<'DequantizeLinear'>[] | undefined {
  const y = q.outputs[0]!;
  if (isGraphOutput(g, y)) return undefined;
  const readers = consumersOf(g, y);
  if (readers.length === 0) return undefined;
  const dqs: NodeOf<'DequantizeLinear'>[] = [];
  for (const r of readers) {
    if (r.op !== 'DequantizeLinear' || r.inputs[0] !== y) return undefined;
    const ops = quantOperands(g, r);
    if (!ops || !sameQuant(quantParamsOf(ops, valueType(g, y).dtype, valueType(g, y).shape), params)) return undefined;
    dqs.push(r);
  }
  return dqs;
}

/**
 * x -> QuantizeLinear -> DequantizeLinear(s) with equal parameters: the pair goes, x carries them. The readers
 * of the dequantized values read x (or, when one of them is a graph output, x's producer defines it instead).
 * A constant x (a weight kept in float) becomes the fake-quantized constant with its exact codes.
 */
export const foldQuantizePair: Rule = (node, g) =>
  match(node)
    .with({ op: 'QuantizeLinear' }, (q) => {
      const [x, y] = [q.inputs[0]!, q.outputs[0]!];
      const ops = quantOperands(g, q);
      const yt = valueType(g, y), xt = valueType(g, x);
      if (!ops || !CODE_DTYPES.includes(yt.dtype) || !isFloat(xt.dtype)) return undefined;
      const params = quantParamsOf(ops, yt.dtype, xt.shape);
      const dqs = matchingDequantizers(g, q, params);
      if (!dqs) return undefined;
      const outs = dqs.map((d) => d.outputs[0]!);
      const remove = dqs.map((d) => d.name);
      const who = `QuantizeLinear '${q.name}'`;

      const constant = constantValue(g, x);
      if (constant) {
        if (outs.some((o) => isGraphOutput(g, o))) return undefined;
        const [target, ...others] = outs as [string, ...string[]];
        const codes = quantizeConstant(constant, params, yt.dtype);
        const r = dequantizedConstant(g, target, codes, params, who);
        return { ...r, remove, rename: new Map(others.map((o) => [o, target])) };
      }

      const exposed = outs.filter((o) => isGraphOutput(g, o));
      if (exposed.length > 1) return undefined;
      const target = exposed[0] ?? x;
      if (target !== x && (g.inputs.includes(x) || isGraphOutput(g, x))) return undefined;
      const rename = new Map<string, string>(outs.filter((o) => o !== target).map((o) => [o, target]));
      if (target !== x) rename.set(x, target);
      return { replace: [], remove, rename, newValues: new Map([[target, withQuant(x, xt, params, who)]]) };
    })
    .otherwise(() => undefined);

/** QuantizeLinear of a float constant, as int8 storage codes (quantizeF32 per element, the code dtype's range). */
function quantizeConstant(x: Tensor, q: QuantParams, codeDtype: DType): Tensor {
  const [lo, hi] = intRange(codeDtype === 'uint8' ? 'uint8' : 'int8');
  const shift = codeDtype === 'uint8' ? -128 : 0;
  const channel = channelIndexer(x.shape, q);
  const out = tensor('int8', x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const c = channel(i);
    out.data[i] = quantizeF32(x.data[i]!, q.scale[c]!, q.zeroPoint[c]! - shift, lo, hi) + shift;
  }
  return out;
}

export const QDQ_RULES: readonly Rule[] = [dequantizeConstant, foldQuantizePair];
