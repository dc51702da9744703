import type { Evaluate, Graph } from '../ir/graph.js';
import { type Tensor, sameShape, shapeStr } from '../ir/tensor.js';
import { fail, invariant } from '../ir/errors.js';

// Runs a whole graph with an injected per-node evaluator (the float reference, later the integer one).
// Intermediates are dropped after their last use so a deep network (ResNet-50) holds only its live
// activations, not all of them.

export interface RunOptions {
  /** Called with every value a node computes, in execution order (calibration, per-layer SQNR). */
  readonly onValue?: (name: string, t: Tensor) => void;
  /** Keep every value instead of freeing intermediates; the result then holds all of them. */
  readonly keepAll?: boolean;
}

/**
 * Executes `g` on `feeds` (one tensor per graph input, of exactly the declared dtype and shape).
 * Returns the graph outputs by name; with `keepAll`, every fed and computed value (initializers excluded:
 * the graph already holds them). A feed that does not fit is the caller's error (TilecError); a kernel
 * result that disagrees with the graph's inferred type is a tilec bug and throws as such.
 */
export function runGraph(g: Graph, feeds: ReadonlyMap<string, Tensor>, evaluate: Evaluate, opts: RunOptions = {}): Map<string, Tensor> {
  checkFeeds(g, feeds);
  const env = new Map<string, Tensor>(feeds);
  const lastUse = lastUses(g);
  const keep = new Set(g.outputs);
  const read = (name: string, node: string): Tensor => {
    const t = env.get(name) ?? g.initializers.get(name);
    invariant(t, `${node} reads '${name}', which is neither fed, an initializer nor computed earlier`);
    return t;
  };

  g.nodes.forEach((node, step) => {
    const label = `${node.op} '${node.name}'`;
    const inputs = node.inputs.map((name) => (name === '' ? undefined : read(name, label)));
    const results = evaluate(node, inputs);
    node.outputs.forEach((name, j) => {
      if (name === '') return;
      const t = results[j];
      invariant(t, `${label} produced ${results.length} results but output ${j} '${name}' is used`);
      const want = g.values.get(name);
      invariant(want, `${label} output '${name}' has no type in graph '${g.name}'`);
      invariant(t.dtype === want.dtype && sameShape(t.shape, want.shape),
        `${label} output '${name}' is ${t.dtype}${shapeStr(t.shape)} but the graph says ${want.dtype}${shapeStr(want.shape)}`);
      invariant(t.data.length === t.shape.reduce((a, b) => a * b, 1), `${label} output '${name}' has ${t.data.length} elements for shape ${shapeStr(t.shape)}`);
      opts.onValue?.(name, t);
      // A value nothing reads (e.g. Dropout's mask) dies at once unless it is a graph output.
      if (opts.keepAll || keep.has(name) || lastUse.has(name)) env.set(name, t);
    });
    if (opts.keepAll) return;
    for (const name of node.inputs) {
      if (lastUse.get(name) === step && !keep.has(name)) env.delete(name);
    }
  });

  if (opts.keepAll) return env;
  const out = new Map<string, Tensor>();
  for (const name of g.outputs) out.set(name, read(name, `graph output`));
  return out;
}

/** Step index of the last node reading each value: the interpreter frees the value after that step. */
export function lastUses(g: Graph): Map<string, number> {
  const last = new Map<string, number>();
  g.nodes.forEach((node, step) => { for (const name of node.inputs) if (name !== '') last.set(name, step); });
  return last;
}

function checkFeeds(g: Graph, feeds: ReadonlyMap<string, Tensor>): void {
  const declared = new Set(g.inputs);
  for (const name of feeds.keys()) {
    if (!declared.has(name)) fail(`feed '${name}' is not an input of graph '${g.name}' (inputs: ${g.inputs.join(', ') || 'none'})`);
  }
  for (const name of g.inputs) {
    const t = feeds.get(name);
    if (!t) fail(`graph '${g.name}' input '${name}' is not fed`);
    const want = g.values.get(name);
    invariant(want, `graph input '${name}' has no type in graph '${g.name}'`);
    if (t.dtype !== want.dtype || !sameShape(t.shape, want.shape)) {
      fail(`input '${name}' is ${t.dtype}${shapeStr(t.shape)} but graph '${g.name}' declares ${want.dtype}${shapeStr(want.shape)}`);
    }
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) fail(`input '${name}' has ${t.data.length} elements but its shape ${shapeStr(t.shape)} needs ${t.shape.reduce((a, b) => a * b, 1)}`);
  }
}
