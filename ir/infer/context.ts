import type { DType } from '../dtype.js';
import { TilecError } from '../errors.js';
import type { ValueType } from '../graph.js';
import type { Node } from '../ops.js';
import { type Tensor, shapeStr } from '../tensor.js';

/**
 * Thrown when a node's output type depends on the *value* of an input that is not constant
 * (e.g. a Reshape whose shape is computed at run time). Callers that can fold constants catch it
 * and retry; the verifier skips the comparison for such nodes.
 */
export class NeedsConstantError extends TilecError {
  constructor(message: string, readonly inputIndex?: number) {
    super(message);
    this.name = 'NeedsConstantError';
  }
}

/** "Conv 'conv_2'": how every error names a node. */
export const nodeLabel = (node: { readonly op: string; readonly name: string }): string => `${node.op} '${node.name}'`;

export const FLOATS: readonly DType[] = ['float32', 'float64'];
export const Q8: readonly DType[] = ['int8', 'uint8'];
export const NUMERIC: readonly DType[] = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'int64'];
export const INDEX: readonly DType[] = ['int32', 'int64'];

export const vt = (dtype: DType, shape: readonly number[]): ValueType => ({ dtype, shape });

/**
 * What one inference rule sees: the node, the input types and the constant inputs, with helpers that
 * turn every malformed input into an error naming the node, the input position and its role.
 */
export class InferCtx {
  constructor(
    readonly node: Node,
    private readonly types: readonly (ValueType | undefined)[],
    private readonly constOf: (i: number) => Tensor | undefined,
  ) {}

  get who(): string { return nodeLabel(this.node); }

  fail(message: string): never { throw new TilecError(`${this.who}: ${message}`); }

  /** True when input i is given (a non-empty name). */
  has(i: number): boolean { return (this.node.inputs[i] ?? '') !== ''; }

  /** The type of required input i. */
  input(i: number, role: string): ValueType {
    if (!this.has(i)) this.fail(`missing required input ${i} (${role})`);
    const t = this.types[i];
    if (!t) this.fail(`input ${i} (${role}) '${this.node.inputs[i]}' has no known type`);
    return t;
  }

  /** The type of optional input i, or undefined when it is absent. */
  optional(i: number, role: string): ValueType | undefined {
    return this.has(i) ? this.input(i, role) : undefined;
  }

  /** The value of input i, which the output type depends on; NeedsConstantError when it is not constant. */
  constant(i: number, role: string): Tensor {
    this.input(i, role);
    const t = this.constOf(i);
    if (!t) throw new NeedsConstantError(`${this.who}: input ${i} (${role}) '${this.node.inputs[i]}' must be a constant to infer the output shape`, i);
    return t;
  }

  /** The value of input i when it happens to be constant (used for extra checks only). */
  maybeConstant(i: number): Tensor | undefined {
    return this.has(i) ? this.constOf(i) : undefined;
  }

  /** A constant 1-D int64 tensor read as integers (shapes, axes, pads). */
  intList(i: number, role: string): number[] {
    const t = this.constant(i, role);
    if (t.dtype !== 'int64') this.fail(`input ${i} (${role}) has dtype ${t.dtype}, expected int64`);
    if (t.shape.length !== 1) this.fail(`input ${i} (${role}) must be 1-D, got shape ${shapeStr(t.shape)}`);
    return Array.from(t.data);
  }

  dtype(t: ValueType, i: number, role: string, allowed: readonly DType[]): void {
    if (!allowed.includes(t.dtype)) this.fail(`input ${i} (${role}) has dtype ${t.dtype}, expected ${allowed.join(' or ')}`);
  }

  /** Input i must have the dtype of an earlier input (named in the message). */
  sameDtype(t: ValueType, i: number, role: string, ref: ValueType, refRole: string): void {
    if (t.dtype !== ref.dtype) this.fail(`input ${i} (${role}) has dtype ${t.dtype} but ${refRole} has dtype ${ref.dtype}; they must match`);
  }

  rank(t: ValueType, i: number, role: string, ok: (r: number) => boolean, expected: string): void {
    if (!ok(t.shape.length)) this.fail(`input ${i} (${role}) has rank ${t.shape.length} (shape ${shapeStr(t.shape)}), expected ${expected}`);
  }

  /** Normalizes an axis against `rank`, accepting [-rank, rank - 1] (or [-rank, rank] when `inclusiveEnd`). */
  axis(axis: number, rank: number, what = 'axis', inclusiveEnd = false): number {
    const hi = inclusiveEnd ? rank : rank - 1;
    if (!Number.isInteger(axis) || axis < -rank || axis > hi) this.fail(`${what} ${axis} is out of range [${-rank}, ${hi}] for rank ${rank}`);
    return axis < 0 ? axis + rank : axis;
  }

  /** Normalized, duplicate-free axes. */
  axes(axes: readonly number[], rank: number, what = 'axes'): number[] {
    const out = axes.map((a) => this.axis(a, rank, `${what} entry`));
    if (new Set(out).size !== out.length) this.fail(`${what} [${axes.join(',')}] name the same axis twice`);
    return out;
  }
}

/** The multidirectional (numpy) broadcast of several shapes. */
export function broadcastShapes(c: InferCtx, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let k = 1; k <= s.length; k++) {
      const d = s[s.length - k]!, o = out[rank - k]!;
      if (d === o || d === 1) continue;
      if (o === 1) { out[rank - k] = d; continue; }
      c.fail(`shapes ${shapes.map(shapeStr).join(' and ')} are not broadcastable (extents ${o} and ${d} at axis ${rank - k} of the result)`);
    }
  }
  return out;
}

/** True when `from` broadcasts to `to` without changing `to` (ONNX unidirectional broadcasting). */
export function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  for (let k = 1; k <= from.length; k++) {
    const d = from[from.length - k]!;
    if (d !== 1 && d !== to[to.length - k]) return false;
  }
  return true;
}

export const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
