import { describe, expect, it } from 'vitest';
import { CostModel, dramBytes, idealCycles, type CostCounters } from '../../backend/cost.js';
import { pickSchedule, type Timed } from '../../backend/gemm/choose.js';
import { presetTarget, type Target } from '../../backend/target.js';
import { gemmLowerBoundBytes, planGemm, type GemmSpec, type Schedule } from '../../backend/tile-gemm.js';
import { gemmLayer, hostLayer, totalsOf } from '../../backend/emit/report.js';

// The program-quality pieces of issue 6: the stationary-A MATMUL timing, the DRAM lower bound, how auto
// picks among near-fastest schedules, and the per-layer bound in the report.

const T4: Target = { ...presetTarget('default'), name: 't4', tile: 4, latency: { load: 10, matmul: 5, store: 3 } };

describe('MATMUL occupancy: B streams past a stationary A tile', () => {
  it('charges max(n, t) to switch A, n to keep it, and t again after a LOAD rewrites the slot', () => {
    const m = new CostModel(T4);
    m.matmul(0, 0, 1, 4, 2, 4, false); // first A: max(2, 4) = 4
    m.matmul(1, 0, 2, 4, 2, 4, false); // same A slot: 2
    m.matmul(2, 0, 3, 4, 1, 4, false); // same A slot: 1
    expect(m.counters.busy.compute).toBe(4 + 2 + 1);
    m.matmul(3, 5, 3, 4, 3, 4, false); // another A: max(3, 4) = 4
    expect(m.counters.busy.compute).toBe(11);
    m.load(5, 0, 4, 4, 4); // new weights in the stationary slot
    m.matmul(3, 5, 3, 4, 3, 4, true);
    expect(m.counters.busy.compute).toBe(15);
  });
});

const spec = (over: Partial<GemmSpec> = {}): GemmSpec => ({
  name: 'g', m: 3, n: 5, k: 7, a: { addr: 0, stride: 7 }, b: { addr: 1024, stride: 5 }, c: { addr: 4096, stride: 5 },
  bias: 8192, requant: { table: 12288, perRow: true, qmin: -128, qmax: 127 }, ...over,
});

describe('gemmLowerBoundBytes: every operand read once, the result written once', () => {
  it('counts A, B, bias, the requant table and C', () => {
    expect(gemmLowerBoundBytes(spec())).toBe(3 * 7 + 7 * 5 + 4 * 3 + 12 * 3 + 3 * 5);
    expect(gemmLowerBoundBytes(spec({ bias: undefined, requant: { table: 12288, perRow: false, qmin: -128, qmax: 127 } }))).toBe(21 + 35 + 12 + 15);
    // Raw int32 output, no table.
    expect(gemmLowerBoundBytes(spec({ bias: undefined, requant: undefined, c: { addr: 4096, stride: 20 } }))).toBe(21 + 35 + 4 * 15);
  });
});

const counters = (cycles: number, loadBytes: number): CostCounters => ({
  instructions: 0, loads: 0, preloads: 0, matmuls: 0, stores: 0, fences: 0, hostOps: 0, macs: 0,
  loadBytes, storeBytes: 0, tableBytes: 0, cycles, busy: { load: 0, compute: 0, store: 0 },
});
const sched = (ti: number): Schedule => ({ dataflow: 'output-stationary', ti, tj: 1, tk: 1, spadBuffers: 2, accBuffers: 2, reuse: true });
const timed = (ti: number, cycles: number, bytes: number): Timed => ({ schedule: sched(ti), counters: counters(cycles, bytes) });

describe('pickSchedule: cycles first, then DRAM within 0.5% of the fastest', () => {
  it('takes the leaner schedule only when it is nearly as fast and no slower than the ceiling', () => {
    const list = [timed(1, 100_000, 5000), timed(2, 100_400, 1000), timed(3, 101_000, 10)];
    expect(pickSchedule(list)!.schedule.ti).toBe(2); // 0.4% slower, 5x fewer bytes; 1% slower is out
    expect(pickSchedule(list, list[0])!.schedule.ti).toBe(1); // the greedy baseline bounds the cycles
    expect(pickSchedule([timed(1, 10, 7), timed(2, 9, 7)])!.schedule.ti).toBe(2); // equal bytes: fewer cycles
    expect(pickSchedule([timed(1, 10, 7), timed(2, 10, 7)])!.schedule.ti).toBe(1); // full tie: the first
    expect(pickSchedule([])).toBeUndefined();
  });
  it('never loses to the baseline on DRAM: a leaner fast pick gives way to the fastest that beats it on both', () => {
    const greedy = timed(9, 100_300, 2000);
    // Fastest is 3 (but 6000 bytes); 1 is within slack with 5000 bytes, still above greedy's 2000; 2 is out of
    // the slack but beats greedy on both.
    const list = [greedy, timed(3, 99_000, 6000), timed(1, 99_400, 5000), timed(2, 100_250, 1500)];
    expect(pickSchedule(list, greedy)!.schedule.ti).toBe(2);
    expect(pickSchedule([greedy, timed(3, 100_000, 6000)], greedy)!.schedule.ti).toBe(9);
  });
});

describe('planGemm on conv-shaped GEMMs of the default target', () => {
  // ResNet-50 layers: a 3x3 conv at 28x28 (compute-bound) and a 7x7 stage conv (n = 49 = 3 tiles + 1 column).
  for (const [m, n, k] of [[128, 784, 1152], [512, 49, 2048]] as const) {
    it(`${m}x${n}x${k}: within 2% of the ideal cycles, no worse than greedy on cycles or DRAM`, () => {
      const target = presetTarget('default');
      const s: GemmSpec = {
        name: 'conv', m, n, k, a: { addr: 0, stride: k }, b: { addr: 1 << 22, stride: n }, c: { addr: 1 << 24, stride: n },
        bias: 1 << 25, requant: { table: 1 << 26, perRow: true, qmin: -128, qmax: 127 },
      };
      const plan = planGemm(s, target);
      const ideal = idealCycles(m * n * k, target.tile);
      expect(plan.counters.cycles / ideal).toBeLessThan(1.02);
      expect(dramBytes(plan.counters)).toBeGreaterThanOrEqual(plan.lowerBoundBytes);
      expect(plan.counters.cycles).toBeLessThanOrEqual(plan.greedyCycles!);
      expect(dramBytes(plan.counters)).toBeLessThanOrEqual(plan.greedyDramBytes!);
      const layer = gemmLayer('conv', 'TileGemm', { m, n, k }, plan, target.tile);
      expect(layer).toMatchObject({ bound: 'compute', dram_lower_bound: plan.lowerBoundBytes, greedy_dram_bytes: plan.greedyDramBytes });
      const host = hostLayer('add', 'QAdd', 300, 120);
      expect(host).toMatchObject({ bound: 'host', dram_lower_bound: 300 });
      const totals = totalsOf(plan.counters, [layer, host], target.tile);
      expect(totals.dram_lower_bound).toBe(plan.lowerBoundBytes + 300);
      expect(totals.cycles_by_bound).toEqual({ compute: plan.counters.cycles, dma: 0, host: 120 });
    });
  }
});
