import type { TensorRef } from '../../../backend/host-ops.js';
import { dtypeBytes } from '../../../backend/program.js';
import { numel } from '../../../ir/tensor.js';

// Byte regions of the tensors an operand block names, for the host ops' fast paths (docs/host-ops.md,
// "Fast paths"): which bytes an operand occupies, and whether two operands share any.

/** Bytes a tensor occupies in DRAM. */
export const refBytes = (ref: TensorRef): number => numel(ref.shape) * dtypeBytes(ref.dtype);

/** True when the two operands share no byte. */
export function disjoint(a: TensorRef, b: TensorRef): boolean {
  return a.addr + refBytes(a) <= b.addr || b.addr + refBytes(b) <= a.addr;
}

/** True when both name the same dtype and shape. */
export function sameLayout(a: TensorRef, b: TensorRef): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}
