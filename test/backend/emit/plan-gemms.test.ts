import { afterEach, describe, expect, it } from 'vitest';
import { presetTarget, withTile } from '../../../backend/target.js';
import { GatherFootprints } from '../../../backend/gather.js';
import { encodeTbin } from '../../../backend/tbin.js';
import { TimingMemo, planGemm, type GemmSpec } from '../../../backend/tile-gemm.js';
import { PlanWorker, livePlanWorkers, planGemms, planOrder, planWorkersExited, startPlanWorker } from '../../../backend/emit/plan-gemms.js';
import { emitProgram } from '../../../backend/emit/index.js';
import { fromWire, toWire } from '../../../backend/emit/plan-wire.js';
import { im2colGeometry } from '../../../ir/im2col.js';
import type { Graph } from '../../../ir/graph.js';
import { tensor } from '../../../ir/tensor.js';
import { GraphBuilder, expectBitExact, int32s, int8s, q8, quantize, randomRequant, rng } from './fixture.js';

// GEMM planning on a worker thread (backend/emit/plan-gemms.ts): the same plans and the same program bytes as
// planning on the main thread, failures surfacing as the one-thread path's errors, and no worker left running.

const target = presetTarget('default');

/** A GEMM at hand-placed addresses; `gathered`: B gathered by LOAD_IM2COL from a 1×2×6×6 input, 3×3 pad 1. */
function spec(name: string, m: number, n: number, k: number, gathered = false): GemmSpec {
  const base = { name, m, n, k, a: { addr: 0, stride: k }, bias: 1 << 20, requant: { table: 1 << 21, perRow: true, qmin: -128, qmax: 127 } };
  if (!gathered) return { ...base, b: { addr: 1 << 22, stride: n }, c: { addr: 1 << 23, stride: n }, scratch: { addr: 1 << 24, bytes: 4 * m * n } };
  const geo = im2colGeometry([1, 2, 6, 6], { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], padValue: -3, channelStart: 0, channels: 2 }, name);
  return {
    ...base, n: geo.cols, k: geo.rows, a: { addr: 0, stride: geo.rows }, b: { addr: 1 << 22, stride: geo.cols }, c: { addr: 1 << 23, stride: geo.cols },
    gather: { gather: 'im2col', descriptor: 1 << 25, footprints: new GatherFootprints(geo, 1 << 22, target.tile) },
  };
}

const specs = [spec('g0', 40, 70, 50), spec('g1', 96, 33, 200), spec('conv', 24, 0, 0, true), spec('g3', 17, 129, 64)];
const sequential = () => specs.map((s) => planGemm(s, target, { memo: new TimingMemo(target) }));

afterEach(async () => {
  await planWorkersExited();
  expect(livePlanWorkers()).toBe(0);
});

describe('planning GEMMs on a worker thread', () => {
  it('a spec crosses to the worker and back as plain data, gathered footprints rebuilt alike', () => {
    const back = fromWire(structuredClone(specs.map(toWire)), target.tile);
    const g = back[2]!.gather!.footprints, want = specs[2]!.gather!.footprints;
    expect(g).toBeInstanceOf(GatherFootprints);
    expect([g.x, g.geo]).toEqual([want.x, want.geo]);
    expect(g.at(16, 16, 2, 16)).toEqual(want.at(16, 16, 2, 16));
    expect(back.map((s) => planGemm(s, target))).toEqual(specs.map((s) => planGemm(s, target)));
  });

  it('the worker plans every GEMM as the main thread would, and exits', () => {
    const worker = new PlanWorker();
    try {
      const plans = planGemms(specs, target, { memo: new TimingMemo(target), worker, mainPlans: false });
      expect(worker.planned).toBe(specs.length);
      expect(plans).toEqual(sequential());
    } finally {
      worker.terminate();
    }
  });

  it('main thread and worker sharing the GEMMs give the same plans; order is largest first', () => {
    expect(planOrder(specs, target.tile)).toEqual([1, 3, 0, 2]);
    const worker = new PlanWorker();
    try {
      expect(planGemms(specs, target, { memo: new TimingMemo(target), worker })).toEqual(sequential());
    } finally {
      worker.terminate();
    }
  });

  it('a GEMM the worker fails on throws the one-thread error, from the main thread', () => {
    const bad = { ...spec('bad', 8, 8, 8), c: { addr: 3, stride: 5 } };
    let want = '';
    try { planGemm(bad, target); } catch (e) { want = (e as Error).message; }
    expect(want).toMatch(/GEMM 'bad'/);
    const worker = new PlanWorker();
    try {
      expect(() => planGemms([specs[0]!, bad], target, { memo: new TimingMemo(target), worker, mainPlans: false })).toThrow(want);
    } finally {
      worker.terminate();
    }
  });

  it('on one thread: the plans of program order though planned smallest first, and the first failure in program order', () => {
    expect(planGemms(specs, target, { memo: new TimingMemo(target) })).toEqual(sequential());
    // 'late' is planned first (smallest), but 'early' comes first in the program: its error is the one raised.
    const early = { ...spec('early', 64, 64, 64), c: { addr: 3, stride: 5 } }, late = { ...spec('late', 8, 8, 8), c: { addr: 3, stride: 5 } };
    expect(planOrder([early, late], target.tile)).toEqual([0, 1]);
    expect(() => planGemms([early, late], target, { memo: new TimingMemo(target) })).toThrow(/GEMM 'early'/);
  });

  it('a worker started early warms up, then plans the GEMMs it is given like the main thread', () => {
    const worker = startPlanWorker(2)!;
    try {
      expect(planGemms(specs, target, { memo: new TimingMemo(target), worker, mainPlans: false })).toEqual(sequential());
      expect(worker.planned).toBe(specs.length);
    } finally {
      worker.terminate();
    }
    expect(startPlanWorker(1)).toBeUndefined();
  });

  it('emitProgram: planThreads 2 gives the program and report of planThreads 1', () => {
    const g = twoGemms();
    const t = withTile(target, 4);
    const one = expectBitExact(g, t, { planThreads: 1 });
    const two = expectBitExact(g, t, { planThreads: 2 });
    const early = expectBitExact(g, t, { planThreads: 2, planWorker: startPlanWorker(2)! });
    for (const e of [two, early]) {
      expect(encodeTbin(e.program)).toEqual(encodeTbin(one.program));
      expect(e.report).toEqual(one.report);
      expect(e.totals).toEqual(one.totals);
    }
  });

  it('emitProgram ends a worker it was given and does not need (one thread, or one GEMM shape)', () => {
    const g = twoGemms();
    expect(encodeTbin(emitProgram(g, target, { planThreads: 1, planWorker: startPlanWorker(2)! }).program)).toEqual(encodeTbin(emitProgram(g, target, { planThreads: 1 }).program));
    expect(() => emitProgram({ ...g, nodes: [] }, target, { planWorker: startPlanWorker(2)! })).toThrow();
  });
});

/** Quantize -> TileGemm (37×9×13) -> TileGemm (20×9×37) -> Dequantize. */
function twoGemms(): Graph {
  const r = rng(5);
  const b = new GraphBuilder();
  const x = b.node('Quantize', [b.input('x', 'float32', [13, 9])], quantize(1 / 64), { quant: q8(1 / 64) });
  const w1 = b.init('w1', tensor('int8', [37, 13], int8s(r, 37 * 13)), q8(0.01));
  const b1 = b.init('b1', tensor('int32', [37], int32s(r, 37, 5000)), { scale: [0.01 / 64], zeroPoint: [0], bits: 32 });
  const h = b.node('TileGemm', [w1, x, b1], { ...randomRequant(r, 37, true), gather: 'none' }, { quant: q8(0.05) });
  const w2 = b.init('w2', tensor('int8', [20, 37], int8s(r, 20 * 37)), q8(0.02));
  const h2 = b.node('TileGemm', [w2, h, ''], { ...randomRequant(r, 20, false), gather: 'none' }, { quant: q8(0.1, -2) });
  const y = b.node('Dequantize', [h2], { scale: 0.1, zeroPoint: -2 }, { outputs: ['y'] });
  return b.build([y]);
}
