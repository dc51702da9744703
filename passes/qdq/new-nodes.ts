import type { Graph, ValueType } from '../../ir/graph.js';
import { inferNode } from '../../ir/infer.js';
import type { Node, NodeOf, OpAttrs, OpName } from '../../ir/ops.js';
import type { Tensor } from '../../ir/tensor.js';
import { freshName } from '../query.js';
import { constantValue } from './constants.js';

// What the importers' rules need to build replacement nodes: names nothing else uses (values and nodes),
// and the types of the values they define, inferred exactly as the importer would.

/** Hands out value and node names unused in `g` and by earlier calls. */
export class NameSource {
  private readonly taken = new Set<string>();
  private readonly nodeNames: Set<string>;
  constructor(private readonly g: Graph) {
    this.nodeNames = new Set(g.nodes.map((n) => n.name));
  }

  value(base: string): string {
    const name = freshName(this.g, base, this.taken);
    this.taken.add(name);
    return name;
  }

  node(base: string): string {
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }
}

export const makeNode = <O extends OpName>(op: O, name: string, inputs: readonly string[], outputs: readonly string[], attrs: OpAttrs[O]): Node =>
  ({ op, name, inputs, outputs, attrs }) as NodeOf<O> as Node;

/**
 * Types of every output of `nodes` (in order, each may read the ones before it), inferred from the graph's
 * types and constants plus `newInitializers`. A failure here is a bug in the rule that built the nodes.
 */
export function typesOf(g: Graph, nodes: readonly Node[], newInitializers: ReadonlyMap<string, Tensor> = new Map()): Map<string, ValueType> {
  const out = new Map<string, ValueType>();
  const typeOf = (v: string): ValueType | undefined => {
    if (v === '') return undefined;
    const t = out.get(v) ?? g.values.get(v);
    if (t) return t;
    const c = newInitializers.get(v);
    return c && { dtype: c.dtype, shape: c.shape };
  };
  for (const n of nodes) {
    const constOf = (i: number): Tensor | undefined => {
      const v = n.inputs[i] ?? '';
      return newInitializers.get(v) ?? (v === '' ? undefined : constantValue(g, v));
    };
    const types = inferNode(n, n.inputs.map(typeOf), constOf);
    n.outputs.forEach((o, k) => { if (o !== '') out.set(o, types[k]!); });
  }
  return out;
}
