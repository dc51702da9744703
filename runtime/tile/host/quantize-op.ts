import type { HostOperands } from '../../../backend/host-ops.js';
import { quantizeF32 } from '../../../ir/arith.js';
import { checkQuantizeAttrs } from '../../../ir/infer/qattrs.js';
import type { Node, QuantizeAttrs } from '../../../ir/ops.js';
import type { HostGather } from './im2col-gather.js';
import { disjoint, refBytes, sameLayout } from './region.js';
import { quantizeF32Wasm, quantizeWasmApplies } from './wasm/kernels.js';

// The Quantize host op (float32 -> int8, the exit of a float island) directly over DRAM: the reference
// kernel's (runtime/int/Quantize.ts) ir/arith quantizeF32 per element with the block's attributes, reading
// x through a float32 view — in WebAssembly SIMD (wasm/kernels.wat, the same arithmetic) when it applies. Bad attributes, other dtypes, overlapping operands and an x not 4-byte aligned
// take the generic path (the kernel, which reports any error).

const quantizeCode = quantizeF32;

export function quantizeFastPath(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || o.outputs.length !== 1 || !x || !y || x.dtype !== 'float32' || y.dtype !== 'int8') return undefined;
  if (!sameLayout({ ...x, dtype: 'int8' }, y) || !disjoint(x, y)) return undefined;
  const a = (node as unknown as { attrs: QuantizeAttrs }).attrs;
  try {
    checkQuantizeAttrs((message) => { throw new Error(message); }, a);
  } catch {
    return undefined;
  }
  const { scale, zeroPoint, qmin, qmax } = a;
  const n = refBytes(y), xs = x.addr, ys = y.addr, simd = quantizeWasmApplies(scale, zeroPoint, qmin, qmax);
  return {
    run(dram) {
      if (xs + 4 * n > dram.length || ys + n > dram.length || (dram.byteOffset + xs) % 4 !== 0) return false;
      const xf = new Float32Array(dram.buffer, dram.byteOffset + xs, n);
      const out = new Int8Array(dram.buffer, dram.byteOffset + ys, n);
      if (simd) quantizeF32Wasm(xf, scale, zeroPoint, qmin, qmax, out);
      else for (let i = 0; i < n; i++) out[i] = quantizeCode(xf[i]!, scale, zeroPoint, qmin, qmax);
      return true;
    },
  };
}
