import type { Tensor } from '../../ir/tensor.js';
import { fail } from '../../ir/errors.js';
import { who, expectDtype } from './kernel.js';
import { INDEX_DTYPES } from './dtypes.js';

type Named = { op: string; name: string };

/**
 * Wraps a negative axis into [0, rank). With `inclusive` the valid range is [-rank, rank] (Flatten's axis
 * may name the position after the last dim); out-of-range axes are an error naming the node.
 */
export function normalizeAxis(node: Named, role: string, axis: number, rank: number, inclusive = false): number {
  const hi = inclusive ? rank : rank - 1;
  if (!Number.isInteger(axis) || axis < -rank || axis > hi) fail(`${who(node)}: ${role} ${axis} is out of range for rank ${rank} (expected ${-rank}..${hi})`);
  return axis < 0 ? axis + rank : axis;
}

/** Normalizes a list of axes and rejects duplicates (after wrapping, so [1,-2] on rank 3 is a duplicate). */
export function normalizeAxes(node: Named, role: string, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(node, role, a, rank));
  if (new Set(out).size !== out.length) fail(`${who(node)}: ${role} [${axes.join(',')}] names an axis twice (rank ${rank})`);
  return out;
}

/** The values of a 1-D (or scalar) int64/int32 tensor such as a shape, axes or pads input. */
export function intsOf(node: Named, t: Tensor, role: string): number[] {
  expectDtype(node, t, role, INDEX_DTYPES);
  if (t.shape.length > 1) fail(`${who(node)}: ${role} must be 1-D, got shape [${t.shape.join(',')}]`);
  return Array.from(t.data);
}

/** The single value of a scalar (or one-element) tensor such as Clip's min or Pad's constant_value. */
export function scalarOf(node: Named, t: Tensor, role: string): number {
  if (t.data.length !== 1) fail(`${who(node)}: ${role} must be a scalar, got shape [${t.shape.join(',')}]`);
  return t.data[0]!;
}
