import { encodeGatherDescriptor } from '../../../backend/gather.js';
import { CodeBuilder, type TileProgram } from '../../../backend/program.js';
import type { Target } from '../../../backend/target.js';

// Seeded random tile programs for the parallel runtime's tests: every instruction kind but HOST, over one
// DRAM where STOREs write what later LOADs, gathers and PRELOADs read (so cross-worker hazards are common):
// constant int8 data, a constant gather descriptor whose x lies in the written area, a requant table, and a
// written area of int8 activations and spilled int32 sums.

export const target = (tile: number): Target => ({
  name: 'par', tile, scratchpadBytes: 8 * tile * tile, accumulatorBytes: 4 * 4 * tile * tile, dramBytesPerCycle: 16,
  latency: { load: 7, matmul: 3, store: 5 }, loopOrder: 'auto', unlimitedMemory: false,
});

export interface RandomCase { readonly tile: number; readonly seed: number; readonly ops: number }

export function randomProgram({ tile: t, seed, ops }: RandomCase): TileProgram {
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
  const below = (n: number): number => next() % n;
  const tt = t * t;
  const data = new Uint8Array(4 * tt);
  for (let i = 0; i < data.length; i++) data[i] = below(256);
  const descAt = data.length + (4 - (data.length % 4)) % 4;
  // The written area: gathers read x = its first 2·(t+2)² bytes as [1, 2, t+2, t+2].
  const side = t + 2;
  const desc = encodeGatherDescriptor({ x: 0, xShape: [1, 2, side, side], attrs: { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], padValue: -3, channelStart: 0, channels: 2 } });
  const tableAt = descAt + desc.length + 64;
  const entries = new Int32Array(3 * t);
  for (let r = 0; r < t; r++) { entries[3 * r] = 0x40000000 + (next() >>> 2); entries[3 * r + 1] = below(20) - 10; entries[3 * r + 2] = below(40) - 20; }
  const area = tableAt + entries.byteLength + 4, areaBytes = 8 * 4 * tt;
  // Patch x to the written area.
  new DataView(desc.buffer, desc.byteOffset).setUint32(0, area, true);
  const rows = (): number => 1 + below(t), cols = (): number => 1 + below(t);
  const c = new CodeBuilder();
  for (let i = 0; i < ops; i++) {
    const kind = below(12);
    if (kind <= 1) {
      const r = rows(), n = cols(), fromArea = below(2) === 1, stride = n + below(3);
      const span = (r - 1) * stride + n;
      c.load(below(8), fromArea ? area + below(areaBytes - span + 1) : below(data.length - span + 1), stride, r, n);
    } else if (kind === 2) {
      // The im2col matrix is 18×t²: rows 2·9 taps, columns t² positions.
      const r = rows(), n = cols();
      c.loadIm2col(below(8), descAt, below(18 - Math.min(r, 18) + 1), below(tt - n + 1), Math.min(r, 18), n);
    } else if (kind === 3) {
      const r = rows(), n = cols(), src = below(3);
      if (src === 0) c.preload(below(4), 'zero', 0, 0, r, n);
      else {
        const stride = 4 * (n + below(2)), span = (r - 1) * stride + 4 * n;
        c.preload(below(4), src === 1 ? 'broadcast' : 'tile', area + 4 * below(Math.floor((areaBytes - span) / 4) + 1), stride, r, n);
      }
    } else if (kind <= 8) {
      c.matmul(below(4), below(8), below(8), rows(), cols(), 1 + below(t), below(3) !== 0);
    } else if (kind <= 10) {
      const r = rows(), n = cols(), raw = below(2) === 1;
      const rowBytes = raw ? 4 * n : n, stride = rowBytes + (raw ? 4 : 1) * below(3), span = (r - 1) * stride + rowBytes;
      const addr = raw ? area + 4 * below(Math.floor((areaBytes - span) / 4) + 1) : area + below(areaBytes - span + 1);
      const lo = below(256) - 128, hi = below(256) - 128;
      c.store(below(4), addr, stride, r, n, raw ? 'raw32' : 'requant', tableAt, below(2) === 1, Math.min(lo, hi), Math.max(lo, hi));
    } else c.fence();
  }
  return {
    target: target(t), dramBytes: area + areaBytes, tensors: [], hostData: new Uint8Array(0), code: c.bytes(),
    constants: [
      { name: 'data', kind: 'bytes', addr: 0, data },
      { name: 'desc', kind: 'int32', addr: descAt, data: desc },
      { name: 'table', kind: 'requant', addr: tableAt, data: new Uint8Array(entries.buffer) },
    ],
  };
}
