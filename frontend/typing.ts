import { UnsupportedError, fail, failTensorLimit, invariant, unsupported } from '../ir/errors.js';
import type { Evaluate, ValueType } from '../ir/graph.js';
import { inferNode } from '../ir/infer.js';
import type { Node } from '../ir/ops.js';
import { type Tensor, numel, sameShape, shapeStr, tensor } from '../ir/tensor.js';

// Types every value by walking the sorted nodes with the shared inference rules (ir/infer.ts).
// Some output shapes depend on input *values* (Reshape's shape, opset-13 axes, ConstantOfShape), so
// the walk also tracks which values are constant: initializers, Constant nodes, Shape of a static
// input, and small nodes whose inputs are all constant, evaluated with the injected `evaluate`.

/** Nodes whose outputs hold at most this many elements are evaluated when their inputs are constant;
 * larger ones (ConstantOfShape standing in for weights) are only typed, never materialized here. */
export const FOLD_LIMIT = 2 ** 16;

export interface TypingInput {
  readonly nodes: readonly Node[];
  /** Indices into `nodes` in dependency order. */
  readonly order: readonly number[];
  readonly inputTypes: ReadonlyMap<string, ValueType>;
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly evaluate: Evaluate;
  readonly maxElements: number;
}

const label = (n: Node): string => `${n.op} '${n.name}'`;

/** Shape's result needs only the input's static type, never its data. */
function shapeOf(node: Node & { op: 'Shape' }, input: ValueType): Tensor {
  const r = input.shape.length;
  const clamp = (v: number): number => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  const dims = input.shape.slice(clamp(node.attrs.start), clamp(node.attrs.end ?? r));
  return tensor('int64', [dims.length], dims);
}

/** Dropout is the identity only in inference; a training_mode that is not a constant false changes that. */
function checkInferenceDropout(node: Node, constOf: (i: number) => Tensor | undefined): void {
  if (node.op !== 'Dropout' || (node.inputs[2] ?? '') === '') return;
  const t = constOf(2);
  if (!t) unsupported(`${label(node)}: training_mode '${node.inputs[2]}' must be a constant false (tilec compiles inference graphs)`);
  if (t.data.some((v) => v !== 0)) unsupported(`${label(node)}: training_mode = true is not supported (tilec compiles inference graphs)`);
}

export function typeValues(g: TypingInput): Map<string, ValueType> {
  const values = new Map<string, ValueType>(g.inputTypes);
  const consts = new Map<string, Tensor>(g.initializers);
  for (const [name, t] of g.initializers) values.set(name, { dtype: t.dtype, shape: t.shape });

  for (const idx of g.order) {
    const node = g.nodes[idx]!;
    const constOf = (i: number): Tensor | undefined => {
      const name = node.inputs[i] ?? '';
      return name === '' ? undefined : consts.get(name);
    };
    checkInferenceDropout(node, constOf);
    const types = inferNode(node, node.inputs.map((n) => (n === '' ? undefined : values.get(n))), constOf);
    let total = 0;
    node.outputs.forEach((name, j) => {
      if (name === '') return;
      const t = types[j]!;
      const n = numel(t.shape);
      if (n > g.maxElements) failTensorLimit(`${label(node)}: output '${name}' would have shape ${shapeStr(t.shape)}, more than the ${g.maxElements} elements tilec accepts in one tensor`);
      total += n;
      values.set(name, t);
    });
    for (const [name, t] of foldNode(node, total, values, constOf, g.evaluate)) {
      const want = values.get(name)!;
      invariant(t.dtype === want.dtype && sameShape(t.shape, want.shape),
        `${label(node)} evaluated '${name}' to ${t.dtype}${shapeStr(t.shape)} but inference says ${want.dtype}${shapeStr(want.shape)}`);
      consts.set(name, t);
    }
  }
  return values;
}

/** The constant outputs of `node`, when it can be evaluated cheaply now; empty otherwise. */
function foldNode(node: Node, outputElements: number, values: ReadonlyMap<string, ValueType>,
  constOf: (i: number) => Tensor | undefined, evaluate: Evaluate): [string, Tensor][] {
  const out = node.outputs[0] ?? '';
  if (node.op === 'Constant') return out === '' ? [] : [[out, node.attrs.value]];
  if (node.op === 'Shape') return out === '' ? [] : [[out, shapeOf(node, values.get(node.inputs[0]!)!)]];
  const given = node.inputs.map((n, i) => (n === '' ? undefined : i)).filter((i): i is number => i !== undefined);
  if (given.length === 0 || outputElements > FOLD_LIMIT || !given.every((i) => constOf(i))) return [];
  let results: Tensor[];
  try {
    results = evaluate(node, node.inputs.map((_, i) => constOf(i)));
  } catch (e) {
    // Folding is only a help for typing: an op the evaluator lacks leaves the value non-constant.
    if (e instanceof UnsupportedError) return [];
    throw e;
  }
  return node.outputs.flatMap((name, j): [string, Tensor][] => (name === '' || !results[j] ? [] : [[name, results[j]!]]));
}
