import { fail } from '../../../ir/errors.js';
import { numel, type Tensor } from '../../../ir/tensor.js';
import { dtypeBytes, hex } from '../../../backend/program.js';
import { tensorBytes, tensorFromBytes, type TensorRef } from '../../../backend/host-ops.js';

// Host operations see DRAM as the tile machine holds it: one byte array. These read and write whole
// tensors at the places their operand block names (docs/host-ops.md), checking that they fit.

function span(dram: Uint8Array, ref: TensorRef, what: string): [number, number] {
  const end = ref.addr + numel(ref.shape) * dtypeBytes(ref.dtype);
  if (end > dram.length) fail(`${what} (${ref.dtype}[${ref.shape.join(',')}] at ${hex(ref.addr)}) ends at ${hex(end)}, beyond the DRAM size ${dram.length}`);
  return [ref.addr, end];
}

/** A copy of the tensor `ref` names. */
export function readTensorAt(dram: Uint8Array, ref: TensorRef, what: string): Tensor {
  const [start, end] = span(dram, ref, what);
  return tensorFromBytes(ref.dtype, ref.shape, dram.subarray(start, end));
}

/** Writes `t` where `ref` says; its dtype and shape must be the ones `ref` promises. */
export function writeTensorAt(dram: Uint8Array, ref: TensorRef, t: Tensor, what: string): void {
  const same = t.dtype === ref.dtype && t.shape.length === ref.shape.length && t.shape.every((d, i) => d === ref.shape[i]);
  if (!same) fail(`${what} came out as ${t.dtype}[${t.shape.join(',')}] but the operand block says ${ref.dtype}[${ref.shape.join(',')}]`);
  const [start] = span(dram, ref, what);
  dram.set(tensorBytes(t), start);
}
