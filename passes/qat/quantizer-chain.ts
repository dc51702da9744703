import { match, P } from 'ts-pattern';
import { isFloat } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Node, NodeOf } from '../../ir/ops.js';
import { tensor, type Tensor } from '../../ir/tensor.js';
import { consumersOf, isGraphOutput, producerOf } from '../query.js';
import { constantValue, scalarConstant } from '../qdq/constants.js';

// The seed's QAT quantizer, x_hat = clamp(roundpass((x − off) / step), Qn, Qp) · step + off, as
// torch.onnx.export writes it (torch 1.13, opset 13; examples/qat_mnist/README.md shows the real export):
//
//   activation:  x -> [Sub(·, off)] -> Div(·, step) = v -> Round -> Sub(·, v) -> Add(·, v) -> Clip(Qn, Qp) -> Mul(·, step) -> [Add(·, off)]
//   weight:      v = w/step (an initializer: torch folds the Div) -> Round -> Sub -> Add -> Clip -> Mul(·, step)
//
// Round -> Sub(r, v) -> Add(·, v) is the straight-through estimator (round(v) − v).detach() + v: detach leaves
// no trace and in float32 (r − v) + v is exactly r, so it computes round(v). off is present for always_pos
// tensors only (torch drops `x − 0`). Scalars arrive as Constant nodes or initializers. This module only
// recognises the chain; import-qat.ts decides what replaces it.

/** A recognised quantizer: every number exactly as the graph holds it. */
export interface QuantizerChain {
  /** The quantized activation x; undefined for a weight. */
  readonly input?: string;
  /** A weight's values before rounding (w/step as torch computed it in float32); undefined for an activation. */
  readonly preRound?: Tensor;
  readonly step: number;
  /** The offset subtracted before dividing and added back at the end (the seed's alpha for always_pos, else 0). */
  readonly offset: number;
  /** Clip bounds: the code range. */
  readonly lo: number;
  readonly hi: number;
  /** The chain's last value: x_hat. */
  readonly output: string;
  /** Every node of the chain other than the Round it was found from. */
  readonly nodes: readonly string[];
}

/** The one node reading `v`, when `v` has exactly one reader and is not a graph output. */
function soleReader(g: Graph, v: string): Node | undefined {
  if (isGraphOutput(g, v)) return undefined;
  const readers = consumersOf(g, v);
  return readers.length === 1 ? readers[0] : undefined;
}

/** The operand of a binary node that is not `v`, when `v` is exactly one of the two (at `position` when given). */
function otherOperand(n: Node, v: string, position?: 0 | 1): string | undefined {
  const [a, b] = n.inputs;
  if (n.inputs.length !== 2 || a === b) return undefined;
  if (a === v && position !== 1) return b;
  if (b === v && position !== 0) return a;
  return undefined;
}

/** Clip's bounds (inputs from opset 11, attributes before), when both are constant integers. */
function clipBounds(g: Graph, clip: NodeOf<'Clip'>): { lo: number; hi: number } | undefined {
  const lo = clip.inputs[1] ? scalarConstant(g, clip.inputs[1]) : clip.attrs.min;
  const hi = clip.inputs[2] ? scalarConstant(g, clip.inputs[2]) : clip.attrs.max;
  return lo !== undefined && hi !== undefined && Number.isInteger(lo) && Number.isInteger(hi) && lo < hi ? { lo, hi } : undefined;
}

/** x − off: the Sub's input and its constant offset, when `u` is such a Sub read only by the chain's Div. */
function offsetOf(g: Graph, u: string): { x: string; off: number; node: string } | undefined {
  return match(producerOf(g, u))
    .with({ op: 'Sub', inputs: [P.string, P.string] }, (sub) => {
      const off = scalarConstant(g, sub.inputs[1]!);
      return off !== undefined && soleReader(g, u) !== undefined ? { x: sub.inputs[0]!, off, node: sub.name } : undefined;
    })
    .otherwise(() => undefined);
}

/** The quantizer chain around `round`, or undefined when the graph around it is anything else. */
export function quantizerChain(g: Graph, round: NodeOf<'Round'>): QuantizerChain | undefined {
  const v = round.inputs[0]!, r = round.outputs[0]!;
  const nodes: string[] = [];

  // Forward: [STE] -> Clip -> Mul(step).
  let rounded = r;
  const steUsers = new Set<string>([round.name]);
  const first = soleReader(g, r);
  if (first?.op === 'Sub' && first.inputs[0] === r && first.inputs[1] === v) {
    const add = soleReader(g, first.outputs[0]!);
    if (add?.op !== 'Add' || otherOperand(add, first.outputs[0]!) !== v) return undefined;
    nodes.push(first.name, add.name);
    steUsers.add(first.name).add(add.name);
    rounded = add.outputs[0]!;
  }
  const clip = soleReader(g, rounded);
  if (clip?.op !== 'Clip' || clip.inputs[0] !== rounded) return undefined;
  const bounds = clipBounds(g, clip);
  const mul = soleReader(g, clip.outputs[0]!);
  const stepName = mul?.op === 'Mul' ? otherOperand(mul, clip.outputs[0]!) : undefined;
  const step = stepName === undefined ? undefined : scalarConstant(g, stepName);
  if (!bounds || !mul || step === undefined || !(step > 0) || !Number.isFinite(step)) return undefined;
  nodes.push(clip.name, mul.name);
  let output = mul.outputs[0]!;

  // Backward: v is w/step (a weight), or Div(x − off or x, step).
  const folded = constantValue(g, v);
  let input: string | undefined, preRound: Tensor | undefined, offset = 0;
  if (folded) {
    if (!isFloat(folded.dtype)) return undefined;
    preRound = folded;
  } else {
    const div = producerOf(g, v);
    if (div?.op !== 'Div' || scalarConstant(g, div.inputs[1]!) !== step) return undefined;
    if (isGraphOutput(g, v) || consumersOf(g, v).some((n) => !steUsers.has(n.name))) return undefined;
    nodes.push(div.name);
    const u = div.inputs[0]!;
    const w = constantValue(g, u);
    const sub = w ? undefined : offsetOf(g, u);
    if (w) {
      if (!isFloat(w.dtype)) return undefined;
      preRound = tensor('float32', w.shape, Array.from(w.data, (x) => Math.fround(x / step)));
    } else if (sub) {
      ({ x: input, off: offset } = sub);
      nodes.push(sub.node);
    } else {
      input = u;
    }
  }

  // The offset comes back at the end: Add(·, off). torch leaves none for off = 0, but an explicit + 0 belongs to the chain too.
  const tail = soleReader(g, output);
  const tailOff = tail?.op === 'Add' ? otherOperand(tail, output) : undefined;
  if (tail && tailOff !== undefined && scalarConstant(g, tailOff) === offset) {
    nodes.push(tail.name);
    output = tail.outputs[0]!;
  } else if (offset !== 0) {
    return undefined;
  }
  return { input, preRound, step, offset, ...bounds, output, nodes };
}
