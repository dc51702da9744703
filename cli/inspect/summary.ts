import { type Graph, valueType } from '../../ir/graph.js';
import type { Node } from '../../ir/ops.js';
import { type Tensor, numel } from '../../ir/tensor.js';
import type { DType } from '../../ir/dtype.js';

// What `tilec inspect` reports about a graph: its interface, op mix, and per-layer MACs and parameters.

export interface ValueSummary { readonly name: string; readonly dtype: DType; readonly shape: readonly number[] }

export interface LayerSummary {
  readonly name: string;
  readonly op: string;
  /** Shape of the first output. */
  readonly output_shape: readonly number[];
  readonly macs: number;
  /** Elements of the constant inputs (weights, biases) this node reads; int64 constants (shapes, indices) excluded. */
  readonly params: number;
}

export interface ModelSummary {
  readonly name: string;
  readonly inputs: readonly ValueSummary[];
  readonly outputs: readonly ValueSummary[];
  /** Op -> node count, most frequent first (ties by name). */
  readonly op_counts: Readonly<Record<string, number>>;
  readonly layers: readonly LayerSummary[];
  readonly totals: { readonly nodes: number; readonly macs: number; readonly params: number };
}

const shapeOf = (g: Graph, name: string): readonly number[] => valueType(g, name).shape;

/**
 * Multiply-accumulates of one node (0 for ops that do none):
 * - Conv: N*M*prod(out spatial) * (C/group)*prod(kernel) = numel(Y) * prod(W.shape[1:]);
 * - Gemm: M*N*K = numel(Y) * K;
 * - MatMul: per broadcast batch M*N*K = numel(Y) * K (K = last dim of A).
 * The integer variants count the same way.
 */
export function nodeMacs(g: Graph, node: Node): number {
  const out = (): number => numel(shapeOf(g, node.outputs[0]!));
  const weightMacs = (w: string): number => out() * numel(shapeOf(g, w).slice(1));
  const lastDimOf = (a: string): number => { const s = shapeOf(g, a); return s[s.length - 1] ?? 1; };
  switch (node.op) {
    case 'Conv': case 'ConvInteger': return weightMacs(node.inputs[1]!);
    case 'QLinearConv': return weightMacs(node.inputs[3]!);
    case 'Gemm': {
      const a = shapeOf(g, node.inputs[0]!);
      return out() * (node.attrs.transA ? a[0]! : a[1]!);
    }
    case 'MatMul': case 'MatMulInteger': case 'QLinearMatMul': return out() * lastDimOf(node.inputs[0]!);
    default: return 0;
  }
}

/** Parameters of a constant: its element count, except int64 tensors, which are shapes and indices, not weights. */
const paramsOf = (t: Tensor | undefined): number => (t === undefined || t.dtype === 'int64' ? 0 : t.data.length);

function valueSummary(g: Graph, name: string): ValueSummary {
  const t = valueType(g, name);
  return { name, dtype: t.dtype, shape: t.shape };
}

export function summarize(g: Graph): ModelSummary {
  const counts = new Map<string, number>();
  const layers: LayerSummary[] = [];
  for (const node of g.nodes) {
    counts.set(node.op, (counts.get(node.op) ?? 0) + 1);
    const params = node.inputs.reduce((s, i) => s + paramsOf(g.initializers.get(i)), 0);
    layers.push({ name: node.name, op: node.op, output_shape: shapeOf(g, node.outputs[0]!), macs: nodeMacs(g, node), params });
  }
  const op_counts = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  let params = 0;
  for (const t of g.initializers.values()) params += paramsOf(t);
  return {
    name: g.name,
    inputs: g.inputs.map((n) => valueSummary(g, n)),
    outputs: g.outputs.map((n) => valueSummary(g, n)),
    op_counts,
    layers,
    totals: { nodes: g.nodes.length, macs: layers.reduce((s, l) => s + l.macs, 0), params },
  };
}
