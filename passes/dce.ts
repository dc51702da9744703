import type { Graph } from '../ir/graph.js';
import type { Pass } from './pass.js';

// Dead code elimination: one backward liveness sweep. Graph outputs are live; a node is live when one of its
// outputs is; a live node's inputs are live. Dead nodes, unread initializers and the types of the values
// they defined go away. Graph inputs stay even when unread: they are the model's interface.

export function eliminateDeadCode(g: Graph): Graph {
  const live = new Set<string>(g.outputs);
  const keep = new Array<boolean>(g.nodes.length).fill(false);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    keep[i] = true;
    for (const v of n.inputs) if (v !== '') live.add(v);
  }
  const deadInits = [...g.initializers.keys()].filter((v) => !live.has(v));
  if (keep.every(Boolean) && deadInits.length === 0) return g;

  const values = new Map(g.values);
  const initializers = new Map(g.initializers);
  const nodes = g.nodes.filter((_, i) => keep[i]);
  g.nodes.forEach((n, i) => { if (!keep[i]) for (const o of n.outputs) values.delete(o); });
  for (const v of deadInits) { initializers.delete(v); values.delete(v); }
  return { ...g, nodes, values, initializers };
}

export const dcePass: Pass = { name: 'dce', run: (g) => eliminateDeadCode(g) };
