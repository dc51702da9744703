import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LOOP_ORDERS, TARGET_PRESETS, accumulatorSlots, presetTarget, scratchpadSlots, withTile, type LoopOrder, type Target } from '../../backend/target.js';
import { decodeCode } from '../../backend/program.js';
import { footprint, gemmDims, planGemm, timeSchedule, type Schedule } from '../../backend/tile-gemm.js';
import { TileMachine } from '../../runtime/tile/machine.js';
import { buildGemm, outputOf, type GemmCase } from './gemm-fixture.js';

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67];

/** Runs the fixture's program on the machine and returns C without row padding, plus the counters. */
function run(c: GemmCase, target: Target, choice?: LoopOrder | Schedule) {
  const f = buildGemm(c, target, choice);
  const machine = new TileMachine(f.program, { overflow: 'fault' });
  const counters = machine.run();
  const out = machine.readTensor('C');
  return { f, counters, got: outputOf(out.data, c.m, c.n, out.shape[1]!), want: Array.from(f.expected) };
}

/** Every tile op's operands are at most t on every side, like the seed's tmul asserts. */
function expectTileBounded(code: Uint8Array, t: number): void {
  for (const ins of decodeCode(code, 'instruction ')) {
    const sides = ins.op === 'MATMUL' ? [ins.m, ins.n, ins.k] : ins.op === 'LOAD' || ins.op === 'PRELOAD' || ins.op === 'STORE' ? [ins.rows, ins.cols] : [];
    for (const s of sides) {
      expect(s).toBeGreaterThanOrEqual(1);
      expect(s).toBeLessThanOrEqual(t);
    }
  }
}

/** A dimension worth testing against tile size t: the edges 1, t-1, t, t+1, 2t+1, primes, or anything small. */
const dimArb = (t: number): fc.Arbitrary<number> => fc.oneof(
  fc.constantFrom(1, Math.max(1, t - 1), t, t + 1, 2 * t + 1),
  fc.constantFrom(...PRIMES),
  fc.integer({ min: 1, max: 3 * t + 5 }),
);

const caseArb = fc.record({
  preset: fc.constantFrom(...TARGET_PRESETS.keys()),
  strategy: fc.constantFrom(...LOOP_ORDERS),
  t: fc.integer({ min: 1, max: 33 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  bias: fc.boolean(),
  perRow: fc.boolean(),
  raw: fc.boolean(),
  scratch: fc.boolean(),
  pad: fc.integer({ min: 0, max: 3 }),
  clamp: fc.tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: -128, max: 127 })),
}).chain((r) => fc.tuple(dimArb(r.t), dimArb(r.t), dimArb(r.t)).map(([m, n, k]) => {
  // Keep each case quick: a bounded number of tile ops and MACs.
  const tiles = (x: number): number => Math.ceil(x / r.t);
  while (k > 1 && (tiles(m) * tiles(n) * tiles(k) > 1200 || m * n * k > 150_000)) k = Math.ceil(k / 2);
  while (n > 1 && (tiles(m) * tiles(n) * tiles(k) > 1200 || m * n * k > 150_000)) n = Math.ceil(n / 2);
  return { ...r, m, n, k };
}));

describe('tiled GEMM on the tile machine equals the untiled int8 GEMM + bias + requantize, bit for bit', () => {
  it('random shapes, tile sizes 1..33, every preset and strategy', () => {
    fc.assert(fc.property(caseArb, (r) => {
      const target = withTile(presetTarget(r.preset), r.t);
      const [lo, hi] = r.clamp[0] <= r.clamp[1] ? r.clamp : [r.clamp[1], r.clamp[0]];
      const c: GemmCase = { m: r.m, n: r.n, k: r.k, seed: r.seed, bias: r.bias, perRow: r.perRow, raw: r.raw, scratch: r.scratch, pad: r.pad, qmin: lo, qmax: hi };
      const { f, counters, got, want } = run(c, target, r.strategy);
      expect(got).toEqual(want);
      expectTileBounded(f.program.code, r.t);
      // The machine's cycles are the cost model's: the tiler optimized the number the machine reports.
      expect(counters).toEqual(f.plan!.counters);
      expect(counters.macs).toBe(r.m * r.n * r.k);
      const fp = footprint(f.plan!.schedule, gemmDims(c, r.t));
      expect(fp.spadSlots).toBeLessThanOrEqual(scratchpadSlots(target));
      expect(fp.accSlots).toBeLessThanOrEqual(accumulatorSlots(target));
      if (r.strategy === 'auto' || r.strategy === 'output-stationary') expect(counters.cycles).toBeLessThanOrEqual(f.plan!.greedyCycles!);
    }), { seed: 20240611, numRuns: 150 });
  });

  // Every schedule family, including the ones the search rarely picks, on edge-heavy shapes.
  const schedules: Schedule[] = [];
  for (const dataflow of ['output-stationary', 'weight-stationary'] as const) {
    for (const partials of dataflow === 'output-stationary' ? [undefined] : (['resident', 'spill'] as const)) {
      for (const [ti, tj, tk] of [[1, 1, 1], [2, 3, 2], [3, 1, 4], [5, 5, 5]]) {
        for (const spadBuffers of [1, 2] as const) for (const accBuffers of [1, 2] as const) for (const reuse of [true, false]) {
          schedules.push({ dataflow, ti: ti!, tj: tj!, tk: tk!, spadBuffers, accBuffers, reuse, ...(partials ? { partials } : {}) });
        }
      }
    }
  }
  const unlimited = presetTarget('seed');
  for (const [m, n, k, t] of [[13, 9, 17, 4], [4, 4, 4, 4], [1, 19, 8, 3], [22, 1, 1, 5]] as const) {
    it(`every schedule family on ${m}x${n}x${k}, t=${t}`, () => {
      const target = withTile(unlimited, t);
      for (const s of schedules) {
        for (const bias of [false, true]) {
          const c: GemmCase = { m, n, k, seed: m * 1000 + n * 10 + k, bias, perRow: true, scratch: true, pad: 1 };
          const { f, got, want } = run(c, target, s);
          expect(got, JSON.stringify(s)).toEqual(want);
          expectTileBounded(f.program.code, t);
        }
      }
    });
  }
});

describe('schedule search', () => {
  it("'auto' is never slower than the greedy baseline under the cost model (larger shapes)", () => {
    fc.assert(fc.property(
      fc.constantFrom('default', 'tiny'), fc.constantFrom(4, 8, 16),
      fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 600 }),
      (preset, t, m, n, k) => {
        const target = withTile(presetTarget(preset), t);
        const spec = { name: 'g', m, n, k, a: { addr: 0, stride: k }, b: { addr: 0, stride: n }, c: { addr: 0, stride: n }, bias: 0, requant: { table: 0, perRow: true, qmin: -128, qmax: 127 } };
        const plan = planGemm(spec, target);
        expect(plan.counters.cycles).toBeLessThanOrEqual(plan.greedyCycles!);
        expect(plan.counters).toEqual(timeSchedule(spec, target, plan.schedule));
        const greedy = planGemm(spec, target, { strategy: 'greedy' });
        expect(greedy.counters.cycles).toBe(plan.greedyCycles);
      },
    ), { seed: 77, numRuns: 25 });
  });

  it('is deterministic', () => {
    const spec = { name: 'g', m: 100, n: 196, k: 288, a: { addr: 0, stride: 288 }, b: { addr: 0, stride: 196 }, c: { addr: 0, stride: 196 }, requant: { table: 0, perRow: false, qmin: -128, qmax: 127 } };
    const target = presetTarget('tiny');
    expect(planGemm(spec, target)).toEqual(planGemm(spec, target));
  });

  it('reuses a resident A block instead of reloading it (K fits in one block)', () => {
    // nI = nK = 3 tiles, nJ = 4: with ti = 3, tk = 3 the single A block stays resident for every j block.
    const target = withTile(presetTarget('seed'), 4);
    const s: Schedule = { dataflow: 'output-stationary', ti: 3, tj: 1, tk: 3, spadBuffers: 2, accBuffers: 2, reuse: true };
    const { counters } = run({ m: 12, n: 16, k: 12, seed: 5 }, target, s);
    expect(counters.loadBytes).toBe(12 * 12 + 12 * 16);
    const noReuse = run({ m: 12, n: 16, k: 12, seed: 5 }, target, { ...s, reuse: false });
    expect(noReuse.counters.loadBytes).toBe(4 * 12 * 12 + 12 * 16);
  });

  it('double buffering overlaps loads with compute', () => {
    const target = presetTarget('tiny');
    const s: Schedule = { dataflow: 'output-stationary', ti: 2, tj: 2, tk: 2, spadBuffers: 1, accBuffers: 1, reuse: true };
    const single = run({ m: 64, n: 64, k: 64, seed: 1 }, target, s).counters;
    const double = run({ m: 64, n: 64, k: 64, seed: 1 }, target, { ...s, spadBuffers: 2, accBuffers: 2 }).counters;
    expect(double.loadBytes).toBe(single.loadBytes);
    expect(double.cycles).toBeLessThan(single.cycles);
  });

  it("falls back to output-stationary with a note when no weight-stationary schedule fits", () => {
    // tiny: 16 accumulator slots, so a row panel of 40 tiles cannot stay resident, and there is no scratch.
    const spec = { name: 'wide', m: 8, n: 320, k: 8, a: { addr: 0, stride: 8 }, b: { addr: 0, stride: 320 }, c: { addr: 0, stride: 1280 } };
    const plan = planGemm(spec, presetTarget('tiny'), { strategy: 'weight-stationary' });
    expect(plan.schedule.dataflow).toBe('output-stationary');
    expect(plan.note).toMatch(/^no weight-stationary schedule fits/);
  });
});
