import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';
import type { Tensor } from '../ir/tensor.js';

// Read-only questions rules ask about the graph. Linear scans: rules call them only after their
// cheap op test matched, and graphs are a few thousand nodes at most.

/** The node defining `value`, or undefined for graph inputs, initializers and ''. */
export function producerOf(g: Graph, value: string): Node | undefined {
  if (value === '') return undefined;
  return g.nodes.find((n) => n.outputs.includes(value));
}

/** Nodes reading `value` (a node reading it twice is listed once). */
export function consumersOf(g: Graph, value: string): Node[] {
  if (value === '') return [];
  return g.nodes.filter((n) => n.inputs.includes(value));
}

export const isGraphOutput = (g: Graph, value: string): boolean => g.outputs.includes(value);

/** True when nothing reads `value`: no node and not a graph output. */
export const isUnused = (g: Graph, value: string): boolean =>
  value === '' || (!isGraphOutput(g, value) && !g.nodes.some((n) => n.inputs.includes(value)));

/** The initializer `value`, if it is one. */
export const constantOf = (g: Graph, value: string): Tensor | undefined =>
  value === '' ? undefined : g.initializers.get(value);

/** A value name based on `base` that nothing in `g` uses yet (nor anything in `taken`). */
export function freshName(g: Graph, base: string, taken: ReadonlySet<string> = new Set()): string {
  const used = (s: string): boolean =>
    g.values.has(s) || g.initializers.has(s) || taken.has(s) || g.inputs.includes(s) || g.outputs.includes(s);
  if (!used(base)) return base;
  for (let k = 1; ; k++) if (!used(`${base}_${k}`)) return `${base}_${k}`;
}
