import { match, P } from 'ts-pattern';
import type { Evaluate, Graph } from '../ir/graph.js';
import { invariant } from '../ir/errors.js';
import type { Node } from '../ir/ops.js';
import { sameShape, shapeStr, tensor, type Tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';
import { applyRules, type Rule } from './rewrite.js';

// Turns everything computable at compile time into initializers: Constant nodes, the
// Shape -> Gather -> Unsqueeze -> Concat chains exporters emit to build Reshape shapes, and
// ConstantOfShape weights. Later passes (BN folding, quantization, lowering) then only ever see
// constant operands as initializers. Output names are kept (the initializer takes the output's name),
// so graph outputs never change; producers that become dead are left to dce.

/** ONNX Shape's `start`/`end` slice of a rank-r shape (negative counts from the back, then clamped). */
export function shapeSlice(dims: readonly number[], start: number, end: number | undefined): number[] {
  const r = dims.length;
  const clamp = (v: number): number => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  return dims.slice(clamp(start), clamp(end ?? r));
}

/** Shape only needs its input's static type, never its data: foldable even when the input is not constant. */
export const foldShape: Rule = (node, g) =>
  match(node)
    .with({ op: 'Shape', inputs: [P.select('x', P.string)], outputs: [P.select('y', P.string)] }, ({ x, y }, n) => {
      const xt = g.values.get(x);
      if (!xt) return undefined;
      const dims = shapeSlice(xt.shape, n.attrs.start, n.attrs.end);
      return { replace: [], newInitializers: new Map([[y, tensor('int64', [dims.length], dims)]]) };
    })
    .otherwise(() => undefined);

const allInputsConstant = (g: Graph, n: Node): boolean => n.inputs.every((i) => i === '' || g.initializers.has(i));

/**
 * Ops never folded: in a pre-quantized (QDQ) model, DequantizeLinear(int8 weight, scale, zero point) IS the
 * model's own quantization of that weight; folding it to float would throw the scales away before the
 * quantization passes can use them.
 */
const KEEP: ReadonlySet<Node['op']> = new Set(['QuantizeLinear', 'DequantizeLinear']);

/** A node whose inputs are all initializers (or that has none, like Constant) is evaluated now. */
export const foldConstantNode = (evaluate: Evaluate): Rule => {
  const foldConstantNode: Rule = (node, g) => {
    if (KEEP.has(node.op) || !allInputsConstant(g, node)) return undefined;
    const results = evaluate(node, node.inputs.map((i) => (i === '' ? undefined : g.initializers.get(i))));
    const newInitializers = new Map<string, Tensor>();
    node.outputs.forEach((o, k) => {
      if (o === '') return;
      const t = results[k];
      invariant(t !== undefined, `evaluating ${node.op} '${node.name}' gave ${results.length} outputs, output ${k} '${o}' is missing`);
      const want = g.values.get(o);
      invariant(!want || (want.dtype === t.dtype && sameShape(want.shape, t.shape)),
        `evaluating ${node.op} '${node.name}' gave ${o}: ${t.dtype}${shapeStr(t.shape)} but its type is ${want?.dtype}${shapeStr(want?.shape ?? [])}`);
      newInitializers.set(o, t);
    });
    return { replace: [], newInitializers };
  };
  return foldConstantNode;
};

export const foldConstantRules = (evaluate: Evaluate): readonly Rule[] => [foldShape, foldConstantNode(evaluate)];

export const foldConstantsPass: Pass = {
  name: 'fold-constants',
  run: (g, ctx) => applyRules(g, foldConstantRules(ctx.evaluate), { name: 'fold-constants', log: ctx.log }),
};
