import { GatherFootprints } from '../gather.js';
import { im2colGeometry } from '../../ir/im2col.js';
import { presetTarget } from '../target.js';
import type { Target } from '../target.js';
import type { GemmSpec } from '../tile-gemm.js';

// Made-up GEMMs that a planning worker started early plans and throws away (plan-worker.ts): a plain one and a
// gathered 3×3 conv, so that the search, the cost model and the gather footprints are compiled by the JIT
// before the real GEMMs arrive. Small: a few tens of milliseconds.

export function warmUpSpecs(): { spec: GemmSpec; target: Target }[] {
  const target = presetTarget('default');
  const requant = { table: 1 << 21, perRow: true, qmin: -128, qmax: 127 };
  const geo = im2colGeometry([1, 16, 14, 14], { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], padValue: 0, channelStart: 0, channels: 16 }, 'warm-up');
  const plain: GemmSpec = {
    name: 'warm-up', m: 64, n: 196, k: 128, a: { addr: 0, stride: 128 }, b: { addr: 1 << 22, stride: 196 }, bias: 1 << 20,
    c: { addr: 1 << 23, stride: 196 }, requant, scratch: { addr: 1 << 24, bytes: 4 * 64 * 196 },
  };
  const gathered: GemmSpec = {
    name: 'warm-up-conv', m: 32, n: geo.cols, k: geo.rows, a: { addr: 0, stride: geo.rows }, b: { addr: 1 << 22, stride: geo.cols }, bias: 1 << 20,
    c: { addr: 1 << 23, stride: geo.cols }, requant, gather: { gather: 'im2col', descriptor: 1 << 25, footprints: new GatherFootprints(geo, 1 << 22, target.tile) },
  };
  return [{ spec: plain, target }, { spec: gathered, target }];
}
