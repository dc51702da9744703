import type { HostOperands } from '../../../backend/host-ops.js';
import type { Node } from '../../../ir/ops.js';
import { numel, tensor } from '../../../ir/tensor.js';
import { evaluateFloat } from '../../float/index.js';
import type { HostGather } from './im2col-gather.js';
import { disjoint, refBytes, sameLayout } from './region.js';
import { lookupBytesWasm, lookupF32Wasm } from './wasm/kernels.js';

// Host ops that map each int8 code to a result by a rule that depends only on the block's attributes (and,
// per channel, on the element's channel along axis 1): Requantize (int8 -> int8) and Dequantize (int8 ->
// float32). Their table — every code's result, per channel — is the reference kernel's own output on an
// input holding every code once per channel, so a lookup is the kernel's result by construction. The table
// is built when the block has converted as many elements as it has entries (until then the generic path
// runs), and belongs to the block for every later run; the lookups run in WebAssembly (wasm/kernels.wat).

/** Results of the kernel of `node` for each of the 256 codes in each of `channels` channels (axis 1). */
function kernelTable(node: Node, channels: number): Float64Array | undefined {
  const codes = new Int8Array(channels * 256);
  for (let i = 0; i < codes.length; i++) codes[i] = (i & 0xff) - 128;
  try {
    const y = evaluateFloat(node, [tensor('int8', [1, channels, 256], codes)])[0];
    if (y === undefined || y.data.length !== codes.length) return undefined;
    return Float64Array.from(y.data);
  } catch {
    return undefined;
  }
}

/** Writes y from x by a table of every code's result per channel: (dram, elements, elements per channel run). */
type Lookup = (dram: Uint8Array, n: number, inner: number) => boolean;

/**
 * A lookup host op for int8 x with `channels` channels along axis 1 (1: one rule for the tensor): the
 * generic path until the block has converted table-size elements, then the lookup `make` builds from the
 * kernel's table (false from it: this run takes the generic path).
 */
function lookup(node: Node, x: { addr: number; shape: readonly number[] }, channels: number, y: { addr: number; bytes: number }, make: (table: Float64Array) => Lookup): HostGather | undefined {
  const n = numel(x.shape);
  if (channels < 1 || n === 0) return undefined;
  const inner = channels === 1 ? n : n / (x.shape[0]! * channels);
  if (!Number.isInteger(inner)) return undefined;
  const entries = channels * 256;
  let write: Lookup | undefined, converted = 0, failed = false;
  return {
    run(dram) {
      if (failed || x.addr + n > dram.length || y.addr + y.bytes > dram.length) return false;
      if (write === undefined) {
        converted += n;
        if (converted < entries) return false;
        const table = kernelTable(node, channels);
        if (table === undefined) { failed = true; return false; }
        write = make(table);
      }
      return write(dram, n, inner);
    },
  };
}

/** Requantize on int8 (per tensor, or per channel along axis 1) as a table lookup, or undefined. */
export function requantizeTable(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || o.outputs.length !== 1 || !x || !y || x.dtype !== 'int8' || !sameLayout(x, y)) return undefined;
  // Element i is read before it is written, so y may be x exactly, never in part.
  if (x.addr !== y.addr && !disjoint(x, y)) return undefined;
  const multipliers = (node as unknown as { attrs: { multiplier?: unknown } }).attrs.multiplier;
  if (!Array.isArray(multipliers)) return undefined;
  const channels = multipliers.length !== 1 ? x.shape[1] ?? 0 : 1;
  const xs = x.addr, ys = y.addr;
  return lookup(node, x, channels, { addr: ys, bytes: refBytes(y) }, (table) => {
    // The kernel's entry c·256 + 128 + q (code q of channel c) at c·256 + the byte of q.
    const bytes = Uint8Array.from(table, (_, i) => table[(i & ~0xff) | (((i & 0xff) + 128) & 0xff)]! & 0xff);
    return (dram, n, inner) => {
      lookupBytesWasm(bytes, dram.subarray(xs, xs + n), dram.subarray(ys, ys + n), inner, channels);
      return true;
    };
  });
}

/** Dequantize of int8 codes to float32 as a lookup in the kernel's 256 results, or undefined. */
export function dequantizeTable(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || o.outputs.length !== 1 || !x || !y || x.dtype !== 'int8' || y.dtype !== 'float32') return undefined;
  if (!sameLayout(x, { ...y, dtype: 'int8' }) || !disjoint(x, y)) return undefined;
  const xs = x.addr, ys = y.addr;
  return lookup(node, x, 1, { addr: ys, bytes: refBytes(y) }, (table) => {
    // The kernel's entry 128 + q (code q) at the byte of q.
    const values = Float32Array.from({ length: 256 }, (_, u) => table[((u + 128) & 0xff)]!);
    return (dram, n) => {
      lookupF32Wasm(values, dram.subarray(xs, xs + n), dram.subarray(ys, ys + 4 * n));
      return true;
    };
  });
}
