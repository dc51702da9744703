import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CostModel, DRAM_PAGE_BYTES, DramByteCounter, dramBytes, type CostCounters } from '../../backend/cost.js';
import { GatherFootprints, RelativeFootprints, gatherFootprint } from '../../backend/gather.js';
import { gemmCostModel } from '../../backend/gemm/choose.js';
import { TimingMemo, pageClusters, timingKey, writtenPages } from '../../backend/gemm/memo.js';
import type { TileSink } from '../../backend/isa.js';
import { presetTarget, withTile } from '../../backend/target.js';
import {
  candidateSchedules, gemmDims, greedySchedule, planGemm, scheduleDramBytes, timeSchedule, type GemmSpec, type Schedule,
} from '../../backend/tile-gemm.js';
import { emitSchedule } from '../../backend/gemm/emit.js';
import { im2colGeometry } from '../../ir/im2col.js';
import { rng } from './gemm-fixture.js';

// The tiler's timing shortcuts must give exactly the counters of the plain cost model: a reused (reset)
// model, DRAM tracking limited to the written pages, the timing memo across page-aligned moves, the
// DRAM byte counter, and footprints shared between GEMMs of one gather geometry.

const T8 = withTile(presetTarget('tiny'), 4);
const T16 = presetTarget('default');

/** The plain cost model's counters: a new model, every DRAM page tracked. */
function plainCounters(spec: GemmSpec, target: typeof T8, s: Schedule): CostCounters {
  const model = new CostModel(target);
  emitSchedule(spec, gemmDims(spec, target.tile), s, model);
  return model.counters;
}

/** A few schedules of every family (and greedy), so each dataflow and buffering is timed. */
function someSchedules(spec: GemmSpec, target: typeof T8): Schedule[] {
  const d = gemmDims(spec, target.tile);
  const all = candidateSchedules(d, target, spec, ['output-stationary', 'weight-stationary']);
  const picked = all.filter((_, i) => i % Math.max(1, Math.floor(all.length / 6)) === 0);
  return [greedySchedule(d, target, spec), ...picked];
}

interface Placement {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly bias: number;
  readonly table: number;
  readonly scratch: number;
}

/** A GEMM spec with the operands at the given addresses (A, B, C int8 with padded strides). */
function specAt(m: number, n: number, k: number, pad: number, at: Placement, gather?: GemmSpec['gather']): GemmSpec {
  return {
    name: 'g', m, n, k,
    a: { addr: at.a, stride: k + pad },
    b: { addr: at.b, stride: n + pad },
    ...(gather ? { gather } : {}),
    c: { addr: at.c, stride: n + pad },
    bias: at.bias,
    requant: { table: at.table, perRow: true, qmin: -128, qmax: 127 },
    scratch: { addr: at.scratch, bytes: m * n * 4 },
  };
}

/** Operands packed one after another from `base` with `gap` bytes between them (so some share pages). */
function packed(m: number, n: number, k: number, pad: number, base: number, gap: number, order: readonly (keyof Placement)[]): Placement {
  const size: Record<keyof Placement, number> = {
    a: m * (k + pad), b: k * (n + pad), c: m * (n + pad), bias: 4 * m, table: 12 * m, scratch: 4 * m * n,
  };
  const at: Partial<Record<keyof Placement, number>> = {};
  let addr = base;
  for (const o of order) {
    addr = Math.ceil(addr / 4) * 4;
    at[o] = addr;
    addr += size[o] + gap;
  }
  return at as Placement;
}

const orderArb = fc.shuffledSubarray(['a', 'b', 'c', 'bias', 'table', 'scratch'] as (keyof Placement)[], { minLength: 6, maxLength: 6 });

describe('CostModel.reset', () => {
  it('a reset model times like a new one (after timing something else)', () => {
    const spec = specAt(20, 40, 24, 3, packed(20, 40, 24, 3, 5000, 7, ['a', 'b', 'c', 'bias', 'table', 'scratch']));
    const reused = new CostModel(T8);
    for (const s of someSchedules(spec, T8)) {
      emitSchedule(spec, gemmDims(spec, 4), greedySchedule(gemmDims(spec, 4), T8, spec), reused);
      reused.reset();
      emitSchedule(spec, gemmDims(spec, 4), s, reused);
      expect(reused.counters).toEqual(plainCounters(spec, T8, s));
    }
  });
});

describe('tracking DRAM hazards only on the written pages', () => {
  it('gives the plain counters for random shapes and placements (operands sharing pages included)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: 1 << 16 }), fc.integer({ min: 0, max: 3000 }), orderArb,
      (m, n, k, pad, base, gap, order) => {
        const spec = specAt(m, n, k, pad, packed(m, n, k, pad, base, gap, order));
        for (const s of someSchedules(spec, T8)) {
          expect(timeSchedule(spec, T8, s)).toEqual(plainCounters(spec, T8, s));
        }
      },
    ), { seed: 6101, numRuns: 40 });
  });

  it('gives the plain counters for a gathered B (conv input x between the other operands)', () => {
    const geo = im2colGeometry([1, 3, 9, 11], { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 1, 1, 1], dilations: [1, 1], padValue: 0, channelStart: 0, channels: 3 }, 'conv');
    const at = packed(8, geo.cols, geo.rows, 0, 3000, 100, ['a', 'c', 'b', 'bias', 'table', 'scratch']);
    const spec = specAt(8, geo.cols, geo.rows, 0, at, { gather: 'im2col', descriptor: 0, footprints: new GatherFootprints(geo, at.b, 4) });
    for (const s of someSchedules(spec, T8)) expect(timeSchedule(spec, T8, s)).toEqual(plainCounters(spec, T8, s));
  });

  it('refuses a STORE outside the tracked pages (a wrong window is a bug, not a silent error)', () => {
    const spec = specAt(8, 8, 8, 0, packed(8, 8, 8, 0, 1 << 20, 0, ['a', 'b', 'c', 'bias', 'table', 'scratch']));
    const model = gemmCostModel(spec, T8);
    expect(() => model.store(0, 0, 8, 4, 4, 'raw32', 0, false, 0, 0)).toThrow(/outside the tracked DRAM range/);
  });

  it('covers the whole pages of C and of scratch', () => {
    const spec = specAt(8, 8, 8, 0, packed(8, 8, 8, 0, 5000, 3000, ['a', 'b', 'c', 'bias', 'table', 'scratch']));
    const ranges = writtenPages(spec);
    expect(ranges).toHaveLength(2);
    for (const [first, last] of ranges) {
      expect(first % DRAM_PAGE_BYTES).toBe(0);
      expect((last + 1) % DRAM_PAGE_BYTES).toBe(0);
    }
    expect(ranges[0]![0]).toBeLessThanOrEqual(spec.c.addr);
    expect(ranges[0]![1]).toBeGreaterThanOrEqual(spec.c.addr + 8 * 8 - 1);
    expect(ranges[1]![0]).toBeLessThanOrEqual(spec.scratch!.addr);
    expect(ranges[1]![1]).toBeGreaterThanOrEqual(spec.scratch!.addr + spec.scratch!.bytes - 1);
  });
});

describe('timing memo', () => {
  it('equal keys give equal counters: page clusters moved by whole pages, untracked operands moved anywhere', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 1, max: 50 }),
      (m, n, k, aBase, pagesApart, aShift, moveBy) => {
        // Read-only A/bias/table packed together far below; C, B and scratch far above.
        const low = packed(m, n, k, 1, aBase, 0, ['a', 'bias', 'table']);
        const high = packed(m, n, k, 1, (8 << 20) + 17, 300, ['c', 'b', 'scratch']);
        const at: Placement = { ...low, c: high.c, b: high.b, scratch: high.scratch };
        // The high cluster(s) move by whole pages; the low one by any byte count.
        const d = moveBy * DRAM_PAGE_BYTES * pagesApart;
        const moved: Placement = { a: at.a + aShift, bias: at.bias + aShift, table: at.table + aShift, c: at.c + d, b: at.b + d, scratch: at.scratch + d };
        const x = specAt(m, n, k, 1, at), y = specAt(m, n, k, 1, moved);
        expect(timingKey(y)).toBe(timingKey(x));
        const memo = new TimingMemo(T8);
        for (const s of someSchedules(x, T8)) {
          const fromX = timeSchedule(x, T8, s, memo);
          expect(fromX).toEqual(plainCounters(x, T8, s));
          expect(timeSchedule(y, T8, s, memo)).toEqual(plainCounters(y, T8, s));
        }
        expect(memo.hits).toBeGreaterThan(0);
      },
    ), { seed: 6102, numRuns: 25 });
  });

  it('a move that changes which operands share a page changes the key', () => {
    const at = packed(8, 8, 8, 0, 1 << 20, 0, ['c', 'scratch', 'b', 'a', 'bias', 'table']);
    const apart: Placement = { ...at, scratch: at.scratch + 3 * DRAM_PAGE_BYTES + 4 };
    expect(pageClusters(specAt(8, 8, 8, 0, at))).not.toEqual(pageClusters(specAt(8, 8, 8, 0, apart)));
    expect(timingKey(specAt(8, 8, 8, 0, at))).not.toBe(timingKey(specAt(8, 8, 8, 0, apart)));
  });

  it('planGemm with a memo gives the plan without one', () => {
    const memo = new TimingMemo(T16);
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const m = 16 + Math.floor(r() * 80), n = 16 + Math.floor(r() * 200), k = 16 + Math.floor(r() * 120);
      for (const shift of [0, 64 * DRAM_PAGE_BYTES]) {
        const spec = specAt(m, n, k, 0, packed(m, n, k, 0, (1 << 20) + shift, 1000, ['a', 'bias', 'table', 'b', 'c', 'scratch']));
        expect(planGemm(spec, T16, { memo })).toEqual(planGemm(spec, T16));
      }
    }
    expect(memo.hits).toBeGreaterThan(0);
  });
});

describe('DramByteCounter', () => {
  it('counts dramBytes of the cost model for every schedule', () => {
    const geo = im2colGeometry([1, 2, 7, 6], { kernel_shape: [2, 3], strides: [1, 1], pads: [0, 1, 1, 0], dilations: [1, 1], padValue: 0, channelStart: 0, channels: 2 }, 'conv');
    const at = packed(6, geo.cols, geo.rows, 0, 100, 50, ['a', 'b', 'c', 'bias', 'table', 'scratch']);
    const gathered = specAt(6, geo.cols, geo.rows, 0, at, { gather: 'im2col', descriptor: 0, footprints: new GatherFootprints(geo, at.b, 4) });
    const plain = specAt(13, 29, 11, 2, packed(13, 29, 11, 2, 0, 0, ['a', 'b', 'c', 'bias', 'table', 'scratch']));
    for (const spec of [gathered, plain]) {
      for (const s of someSchedules(spec, T8)) expect(scheduleDramBytes(spec, T8, s)).toBe(dramBytes(plainCounters(spec, T8, s)));
    }
    const sink: TileSink = new DramByteCounter();
    sink.preload(0, 'zero', 0, 0, 4, 4);
    expect((sink as DramByteCounter).bytes).toBe(0);
  });
});

describe('footprints shared by one gather geometry', () => {
  it('equal gatherFootprint for every tile, whatever x', () => {
    const geo = im2colGeometry([1, 3, 8, 9], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2], padValue: 0, channelStart: 1, channels: 2 }, 'conv');
    const t = 4;
    const shared = new RelativeFootprints(geo, t);
    const scratch = new Int32Array(t * t);
    for (const x of [0, 1000, 77_777]) {
      const f = new GatherFootprints(geo, x, t, shared);
      for (let r0 = 0; r0 < geo.rows; r0 += t) {
        for (let c0 = 0; c0 < geo.cols; c0 += t) {
          const rows = Math.min(t, geo.rows - r0), cols = Math.min(t, geo.cols - c0);
          expect(f.at(r0, c0, rows, cols)).toEqual(gatherFootprint(geo, x, r0, c0, rows, cols, scratch));
        }
      }
    }
  });
});
