// Tiny builders for hand-written nodes and graphs in the IR tests.
import type { DType } from '../../ir/dtype.js';
import type { Graph, ValueType } from '../../ir/graph.js';
import { inferNode } from '../../ir/infer.js';
import type { Node, OpAttrs, OpName } from '../../ir/ops.js';
import { type Tensor, tensor } from '../../ir/tensor.js';

export const T = (dtype: DType, ...shape: number[]): ValueType => ({ dtype, shape });

export function mk<O extends OpName>(op: O, inputs: readonly string[], attrs: OpAttrs[O], outputs: readonly string[] = ['y'], name = 'n1'): Node {
  return { op, name, inputs, outputs, attrs } as Node;
}

/** Infers `node` with input types matched by position and constants by input name. */
export function infer(node: Node, types: readonly (ValueType | undefined)[], consts: Record<string, Tensor> = {}): ValueType[] {
  return inferNode(node, types, (i) => consts[node.inputs[i] ?? '']);
}

export const i64 = (...xs: number[]): Tensor => tensor('int64', [xs.length], xs);

/** A graph from parts; `values` defaults to the types inference would give (built incrementally). */
export function graph(parts: {
  name?: string;
  inputs?: Record<string, ValueType>;
  initializers?: Record<string, Tensor>;
  nodes?: Node[];
  outputs?: string[];
}): Graph {
  const values = new Map<string, ValueType>();
  for (const [k, v] of Object.entries(parts.inputs ?? {})) values.set(k, v);
  const initializers = new Map(Object.entries(parts.initializers ?? {}));
  for (const [k, t] of initializers) values.set(k, { dtype: t.dtype, shape: t.shape });
  for (const n of parts.nodes ?? []) {
    const types = inferNode(n, n.inputs.map((i) => (i === '' ? undefined : values.get(i))), (i) => initializers.get(n.inputs[i] ?? ''));
    n.outputs.forEach((o, k) => { if (o !== '') values.set(o, types[k]!); });
  }
  return {
    name: parts.name ?? 'g',
    inputs: Object.keys(parts.inputs ?? {}),
    outputs: parts.outputs ?? [],
    nodes: parts.nodes ?? [],
    values,
    initializers,
    opsets: new Map([['', 13]]),
  };
}
