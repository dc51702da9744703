import type { DType } from './dtype.js';
import type { Node } from './ops.js';
import type { Tensor } from './tensor.js';

/**
 * Quantization parameters of a value: real = scale * (q - zeroPoint).
 * Per tensor when scale has one element, else per channel along `axis`.
 */
export interface QuantParams {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly axis?: number;
  /** Bit width of the code range (2..8 for activations and weights, 32 for biases). */
  readonly bits: number;
}

/** Static type of every value in the graph. Shapes are fully static in the IR. */
export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly quant?: QuantParams;
}

/**
 * A whole model. Immutable: passes return a new Graph, or the same object when nothing changed.
 * `nodes` are in topological order; `values` types every value, including inputs and initializers.
 */
export interface Graph {
  readonly name: string;
  /** Real graph inputs, i.e. ONNX graph inputs minus initializers. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly Node[];
  readonly values: ReadonlyMap<string, ValueType>;
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** opset version per domain ('' is ai.onnx). */
  readonly opsets: ReadonlyMap<string, number>;
}

/** Evaluates one node on concrete inputs ('' inputs are undefined). Injected where a stage that must
 * not import runtime/ (frontend, passes) needs constant values, e.g. to fold a Reshape's shape. */
export type Evaluate = (node: Node, inputs: readonly (Tensor | undefined)[]) => Tensor[];

export function valueType(g: Graph, name: string): ValueType {
  const t = g.values.get(name);
  if (!t) throw new Error(`internal error (tilec bug): value '${name}' has no type in graph '${g.name}'`);
  return t;
}

/** Rebuilds a graph with some fields replaced (a tiny helper to keep passes short). */
export const withGraph = (g: Graph, patch: Partial<Graph>): Graph => ({ ...g, ...patch });
