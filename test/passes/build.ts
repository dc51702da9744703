// Small hand-built graphs for pass tests: types are inferred with ir/infer.ts exactly as the importer would,
// so every graph built here is one the verifier accepts.
import type { DType } from '../../ir/dtype.js';
import type { Graph, ValueType } from '../../ir/graph.js';
import { inferNode } from '../../ir/infer.js';
import type { Node, NodeOf, OpAttrs, OpName } from '../../ir/ops.js';
import { numel, tensor, type Tensor } from '../../ir/tensor.js';
import { evaluateRef } from './reference.js';

export const node = <O extends OpName>(op: O, name: string, inputs: readonly string[], outputs: readonly string[], attrs: OpAttrs[O]): Node =>
  ({ op, name, inputs, outputs, attrs }) as NodeOf<O> as Node;

export interface GraphSpec {
  name?: string;
  inputs: Record<string, ValueType>;
  initializers?: Record<string, Tensor>;
  nodes: readonly Node[];
  outputs: readonly string[];
  /** Types inference cannot compute from initializers alone (e.g. a Reshape fed by a Shape chain). */
  types?: Record<string, ValueType>;
}

export function buildGraph(s: GraphSpec): Graph {
  const values = new Map<string, ValueType>(Object.entries(s.inputs));
  const initializers = new Map<string, Tensor>(Object.entries(s.initializers ?? {}));
  for (const [k, t] of initializers) values.set(k, { dtype: t.dtype, shape: t.shape });
  // Like the importer: values computable from constants are known while typing (a ConstantOfShape's dims).
  const consts = new Map<string, Tensor>(initializers);
  for (const n of s.nodes) {
    if (n.inputs.every((i) => i === '' || consts.has(i))) {
      try {
        const outs = evaluateRef(n, n.inputs.map((i) => consts.get(i)));
        n.outputs.forEach((o, k) => consts.set(o, outs[k]!));
      } catch {
        // Not evaluable here (no kernel yet): typing then works without its value or uses `types`.
      }
    }
    let types: ValueType[];
    try {
      types = inferNode(n, n.inputs.map((i) => values.get(i)), (i) => consts.get(n.inputs[i] ?? ''));
    } catch (e) {
      types = n.outputs.map((o) => { const t = s.types?.[o]; if (!t) throw e; return t; });
    }
    n.outputs.forEach((o, k) => { if (o !== '') values.set(o, s.types?.[o] ?? types[k]!); });
  }
  return {
    name: s.name ?? 'test', inputs: Object.keys(s.inputs), outputs: [...s.outputs], nodes: [...s.nodes],
    values, initializers, opsets: new Map([['', 17]]),
  };
}

export const vt = (dtype: DType, shape: readonly number[]): ValueType => ({ dtype, shape });

/** Deterministic pseudo-random floats in [lo, hi) (a fixed LCG: tests must be reproducible). */
export function randomTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  const t = tensor('float32', shape);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < numel(shape); i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    t.data[i] = lo + ((x >>> 8) / (1 << 24)) * (hi - lo);
  }
  return t;
}

export const f32 = (shape: readonly number[], data: readonly number[]): Tensor => tensor('float32', shape, data);
export const i64 = (data: readonly number[]): Tensor => tensor('int64', [data.length], data);

export const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);
