// Shared by the QDQ/QAT import tests: the float semantics that quant params stand for. Running a graph whose
// values carry quant params with every such value fake-quantized (quantize, then dequantize, by
// ir/arith) must reproduce the quantized model the params were taken from.
import { dequantizeF32, qRange, quantizeF32 } from '../../ir/arith.js';
import type { Evaluate, Graph, QuantParams } from '../../ir/graph.js';
import { numel, tensor, type Tensor } from '../../ir/tensor.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';

export function fakeQuant(t: Tensor, q: QuantParams): Tensor {
  const [qmin, qmax] = qRange(q.bits, true);
  const out = tensor(t.dtype, t.shape);
  const inner = q.axis === undefined || q.scale.length === 1 ? 1 : numel(t.shape.slice(q.axis + 1));
  const channels = q.scale.length;
  for (let i = 0; i < t.data.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    const s = q.scale[c]!, z = q.zeroPoint[c]!;
    out.data[i] = dequantizeF32(quantizeF32(t.data[i]!, s, z, qmin, qmax), s, z);
  }
  return out;
}

/** The float reference with every 2..8-bit quantized value of `g` fake-quantized where it is computed. */
export function fakeQuantEvaluate(g: Graph, evaluate: Evaluate = evaluateFloat): Evaluate {
  return (node, inputs) => evaluate(node, inputs).map((t, k) => {
    const q = g.values.get(node.outputs[k] ?? '')?.quant;
    return q && q.bits <= 8 ? fakeQuant(t, q) : t;
  });
}

/** Runs `g` with its quant params applied (graph inputs fake-quantized too). */
export function runFakeQuant(g: Graph, feeds: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const fed = new Map([...feeds].map(([k, t]) => {
    const q = g.values.get(k)?.quant;
    return [k, q ? fakeQuant(t, q) : t] as const;
  }));
  return runGraph(g, fed, fakeQuantEvaluate(g));
}
