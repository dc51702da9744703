import { match, P } from 'ts-pattern';
import type { Graph } from '../ir/graph.js';
import { valueType } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';
import { numel, tensor, type Tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';
import { applyRules, type RewriteResult, type Rule } from './rewrite.js';
import { constantOf, isGraphOutput, isUnused, producerOf } from './query.js';

// Identity and inference-mode Dropout compute nothing; removing them lets later rules see the real
// producer of a value (e.g. the Conv in front of a BatchNormalization).

/**
 * How `x -> y` (y a copy of x) disappears: uses of y read x; or, when y is a graph output, x's producer is
 * made to define y so the graph keeps its output name. undefined when neither is possible (x is a graph input,
 * an initializer or itself a graph output): then a copy node must stay.
 */
export function bypass(g: Graph, x: string, y: string): ReadonlyMap<string, string> | undefined {
  if (!isGraphOutput(g, y)) return new Map([[y, x]]);
  const ownable = producerOf(g, x) !== undefined && !isGraphOutput(g, x) && !g.inputs.includes(x);
  return ownable ? new Map([[x, y]]) : undefined;
}

export const removeIdentity: Rule = (node, g) =>
  match(node)
    .with({ op: 'Identity', inputs: [P.select('x', P.string)], outputs: [P.select('y', P.string)] }, ({ x, y }) => {
      const rename = bypass(g, x, y);
      return rename ? { replace: [], rename } : undefined;
    })
    .otherwise(() => undefined);

/** True when Dropout runs in inference mode: no training_mode input, or a constant false one. */
function isInferenceDropout(g: Graph, node: Node): boolean {
  const mode = node.inputs[2];
  if (mode === undefined || mode === '') return true;
  const t = constantOf(g, mode);
  return t !== undefined && numel(t.shape) === 1 && t.data[0] === 0;
}

/** Inference Dropout is a copy of its input; a used mask output becomes a constant all-true tensor. */
export const removeDropout: Rule = (node, g) =>
  match(node)
    .with({ op: 'Dropout' }, (n): RewriteResult | undefined => {
      if (!isInferenceDropout(g, n)) return undefined;
      const [x, y] = [n.inputs[0]!, n.outputs[0]!];
      const mask = n.outputs[1] ?? '';
      const newInitializers = new Map<string, Tensor>();
      if (!isUnused(g, mask)) {
        const t = valueType(g, mask);
        const ones = tensor(t.dtype, t.shape);
        ones.data.fill(1);
        newInitializers.set(mask, ones);
      }
      const rename = bypass(g, x, y);
      if (rename) return { replace: [], rename, newInitializers };
      // y is a graph output that x cannot take over: keep a plain copy.
      const copy: Node = { op: 'Identity', name: n.name, inputs: [x], outputs: [y], attrs: {} };
      return { replace: [copy], newInitializers };
    })
    .otherwise(() => undefined);

export const REMOVE_IDENTITY_RULES: readonly Rule[] = [removeIdentity, removeDropout];

export const removeIdentityPass: Pass = {
  name: 'remove-identity',
  run: (g, ctx) => applyRules(g, REMOVE_IDENTITY_RULES, { name: 'remove-identity', log: ctx.log }),
};
