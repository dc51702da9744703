import type { Graph, ValueType } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';
import type { Tensor } from '../ir/tensor.js';
import { invariant } from '../ir/errors.js';
import { nodeLabel } from '../ir/infer.js';

// The one generic rewrite driver. Local rewrites are data: a Rule looks at one node (and the graph, read-only)
// and either declines (undefined) or says what takes the node's place. Rule lists compose by concatenation;
// the first rule that matches a node wins.

/**
 * What a rule does to the graph when it matches node `m`.
 * - `replace`: nodes put at m's position, in order (empty: m is deleted). They must only use values defined
 *   before m, or new initializers.
 * - `remove`: names of other nodes deleted along with m (e.g. the Conv a BatchNormalization is folded into).
 * - `newValues`: types of the values the replacement introduces (new node outputs).
 * - `newInitializers`: new constant tensors; their type is recorded from the tensor unless `newValues` has one.
 *   An initializer may take the name of an output of a deleted node (constant folding keeps names).
 * - `rename`: `from -> to` replaces every occurrence of `from` (node inputs AND outputs) by `to`; `from`
 *   disappears. Removing `Identity(x) -> y` is `rename y -> x`; when y is a graph output it is `rename x -> y`
 *   instead (x's producer now defines y) so graph interface names never change. `from` must not be a graph
 *   input, graph output or initializer.
 * Types of outputs of deleted nodes are dropped unless something new defines the same name.
 */
export interface RewriteResult {
  readonly replace: readonly Node[];
  readonly remove?: readonly string[];
  readonly newValues?: ReadonlyMap<string, ValueType>;
  readonly newInitializers?: ReadonlyMap<string, Tensor>;
  readonly rename?: ReadonlyMap<string, string>;
}

/** undefined = no match. Name rule functions (`const foldX: Rule = ...`): the driver reports them by name. */
export type Rule = (node: Node, g: Graph) => RewriteResult | undefined;

export interface ApplyRulesOptions {
  /** Maximum number of sweeps over the graph; default 100. */
  readonly maxIterations?: number;
  /** The pass name, for instrumentation and the non-termination error. */
  readonly name?: string;
  /** Called once per applied rewrite (instrumentation). */
  readonly log?: (line: string) => void;
}

export const DEFAULT_MAX_ITERATIONS = 100;

const ruleName = (r: Rule): string => r.name || 'anonymous rule';

/**
 * Applies `rules` to a fixed point. A sweep visits every node in order; a rewrite is applied at once, so later
 * nodes of the same sweep see its result (a Shape->Gather->Concat chain folds in one sweep), and the nodes it
 * inserted are visited by the next sweep. Sweeps repeat until one rewrites nothing. If the `maxIterations`-th
 * sweep still rewrote something, the rules do not converge: that is a tilec bug, reported with the pass, the
 * rules and the nodes still being rewritten — never a silent loop.
 * Returns `g` itself when no rule matched anywhere.
 */
export function applyRules(g: Graph, rules: readonly Rule[], opts: ApplyRulesOptions = {}): Graph {
  const max = opts.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const pass = opts.name ?? 'rewrite';
  invariant(Number.isInteger(max) && max >= 1, `pass '${pass}': maxIterations must be an integer >= 1, got ${max}`);
  // The rewritten graph, created at the first rewrite: its own node list and maps, which each rewrite changes
  // in place (not a copy of the whole graph per rewrite). Rules only read it, and only during their call.
  let work: WorkingGraph | undefined;
  let cur = g;
  for (let sweep = 1; ; sweep++) {
    const fired: string[] = [];
    let i = 0;
    while (i < cur.nodes.length) {
      const node = cur.nodes[i]!;
      let next = i + 1;
      for (const rule of rules) {
        const result = rule(node, cur);
        if (!result) continue;
        work ??= new WorkingGraph(g);
        cur = work.graph;
        next = work.apply(i, result);
        const line = `${ruleName(rule)} on ${nodeLabel(node)}`;
        fired.push(line);
        opts.log?.(`${pass}: ${line}`);
        break;
      }
      i = next;
    }
    if (fired.length === 0) return cur;
    if (sweep >= max) {
      const shown = fired.slice(0, 5).join('; ') + (fired.length > 5 ? `; ... (${fired.length} rewrites)` : '');
      throw new Error(`internal error (tilec bug): pass '${pass}' did not reach a fixed point after ${max} iterations; ` +
        `the last iteration still applied: ${shown}`);
    }
  }
}

/** Applies one rule result to node `at`; returns the new graph and the index of the first node after the replacement. */
export function applyResult(g: Graph, at: number, r: RewriteResult): { graph: Graph; next: number } {
  const work = new WorkingGraph(g);
  const next = work.apply(at, r);
  return { graph: work.graph, next };
}

/**
 * A copy of a graph's node list, value types and initializers that rewrites change in place; `graph` shows them
 * as a Graph. The graph it was made from is never touched.
 */
class WorkingGraph {
  private readonly nodes: Node[];
  private readonly values: Map<string, ValueType>;
  private readonly initializers: Map<string, Tensor>;
  readonly graph: Graph;

  constructor(g: Graph) {
    this.nodes = [...g.nodes];
    this.values = new Map(g.values);
    this.initializers = new Map(g.initializers);
    this.graph = { ...g, nodes: this.nodes, values: this.values, initializers: this.initializers };
  }

  /** Applies `r` to node `at` (see RewriteResult); returns the index of the first node after the replacement. */
  apply(at: number, r: RewriteResult): number {
    const { nodes, values, initializers } = this;
    const matched = nodes[at];
    invariant(matched !== undefined, `rewrite at node index ${at} of ${nodes.length}`);
    const removed = new Set<string>([matched.name, ...(r.remove ?? [])]);
    const rename = resolveRenames(this.graph, r.rename);

    // The other removed nodes go first (from the back, so indices stay valid), then m's place takes the replacement.
    const removedOutputs: string[] = [...matched.outputs];
    let found = 1;
    if (removed.size > 1) {
      for (let j = nodes.length - 1; j >= 0; j--) {
        const n = nodes[j]!;
        if (j === at || !removed.has(n.name)) continue;
        found++;
        removedOutputs.push(...n.outputs);
        nodes.splice(j, 1);
        if (j < at) at--;
      }
    }
    invariant(found === removed.size,
      `rewrite of ${nodeLabel(matched)} removes nodes [${[...removed].join(', ')}] that are not all in graph '${this.graph.name}'`);
    nodes.splice(at, 1, ...r.replace);
    if (rename.size > 0) for (let j = 0; j < nodes.length; j++) nodes[j] = renameValues(nodes[j]!, rename);

    const definedAnew = new Set<string>([...rename.values()]);
    for (const n of r.replace) for (const o of n.outputs) definedAnew.add(rename.get(o) ?? o);
    for (const [name, t] of r.newInitializers ?? []) {
      initializers.set(name, t);
      definedAnew.add(name);
    }
    for (const o of removedOutputs) if (o !== '' && !definedAnew.has(o)) values.delete(o);
    for (const [from, to] of rename) {
      const t = values.get(from);
      if (t && !values.has(to)) values.set(to, t);
      values.delete(from);
    }
    for (const [name, t] of r.newValues ?? []) values.set(name, t);
    for (const [name, t] of r.newInitializers ?? []) if (!values.has(name)) values.set(name, { dtype: t.dtype, shape: t.shape });
    return at + r.replace.length;
  }
}

/** Follows rename chains (a->b, b->c gives a->c) and checks the interface names are untouched. */
function resolveRenames(g: Graph, rename: ReadonlyMap<string, string> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!rename) return out;
  for (const from of rename.keys()) {
    invariant(!g.inputs.includes(from) && !g.outputs.includes(from) && !g.initializers.has(from),
      `rewrite renames '${from}', which is a graph input, graph output or initializer of '${g.name}'`);
    let to = rename.get(from)!;
    for (let hops = 0; rename.has(to); hops++) {
      invariant(hops <= rename.size, `rewrite renames form a cycle through '${from}'`);
      to = rename.get(to)!;
    }
    invariant(to !== from, `rewrite renames '${from}' to itself`);
    out.set(from, to);
  }
  return out;
}

function renameValues(n: Node, rename: ReadonlyMap<string, string>): Node {
  const map = (names: readonly string[]): readonly string[] =>
    names.some((v) => rename.has(v)) ? names.map((v) => rename.get(v) ?? v) : names;
  const inputs = map(n.inputs), outputs = map(n.outputs);
  return inputs === n.inputs && outputs === n.outputs ? n : { ...n, inputs, outputs };
}
