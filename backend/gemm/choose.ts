import type { Target } from '../target.js';
import type { PreloadSource, StoreMode, TileSink } from '../isa.js';
import type { GatherFootprint } from '../gather.js';
import { CostModel, type CostCounters } from '../cost.js';
import type { GemmDims, GemmSpec } from './spec.js';
import { emitSchedule } from './emit.js';
import { estimateCycles } from './search.js';
import type { Schedule } from './schedule.js';

// Choosing among candidate schedules in three rounds, each more exact and on fewer schedules:
// 1. shortlist by the closed-form estimate (all candidates; cheap), keeping the best few of every family so
//    no dataflow or buffering is dropped on the estimate's word alone;
// 2. time a prefix of each shortlisted schedule with the real cost model and extrapolate by MACs done
//    (schedules are periodic, so the prefix's rate is the whole's rate);
// 3. time the finalists in full. The caller adds the greedy baseline to round 3.

const SHORTLIST = 40;
const PER_FAMILY = 3;
/** Instructions timed per schedule in round 2. */
const PREFIX = 12_000;
/** Schedules timed in full in round 3 (one on huge GEMMs, where a full timing costs seconds). */
const FINALISTS = 2;
const HUGE_MATMULS = 100_000;

/** Thrown by PrefixSink to stop an emission early; never escapes this module. */
const PREFIX_DONE = Symbol('prefix done');

class PrefixSink implements TileSink {
  private count = 0;
  constructor(readonly model: CostModel, private readonly limit: number) {}
  private tick(): void { if (++this.count > this.limit) throw PREFIX_DONE; }
  load(spad: number, dram: number, stride: number, rows: number, cols: number): void { this.tick(); this.model.load(spad, dram, stride, rows, cols); }
  preload(acc: number, source: PreloadSource, dram: number, stride: number, rows: number, cols: number): void { this.tick(); this.model.preload(acc, source, dram, stride, rows, cols); }
  matmul(acc: number, a: number, b: number, m: number, n: number, k: number, accumulate: boolean): void { this.tick(); this.model.matmul(acc, a, b, m, n, k, accumulate); }
  store(acc: number, dram: number, stride: number, rows: number, cols: number, mode: StoreMode, table: number, perRow: boolean, qmin: number, qmax: number): void {
    this.tick(); this.model.store(acc, dram, stride, rows, cols, mode, table, perRow, qmin, qmax);
  }
  fence(): void { this.tick(); this.model.fence(); }
  loadIm2col(spad: number, desc: number, row0: number, col0: number, rows: number, cols: number, f: GatherFootprint): void {
    this.tick(); this.model.loadIm2col(spad, desc, row0, col0, rows, cols, f);
  }
}

export interface Timed {
  readonly schedule: Schedule;
  readonly counters: CostCounters;
}

/** A schedule's instructions timed alone, in full. */
export function timeFully(spec: GemmSpec, d: GemmDims, target: Target, schedule: Schedule): CostCounters {
  const model = new CostModel(target);
  emitSchedule(spec, d, schedule, model);
  return model.counters;
}

/** Extrapolated cycles from a prefix, and the full counters when the prefix was the whole schedule. */
function timePrefix(spec: GemmSpec, d: GemmDims, target: Target, schedule: Schedule, estimate: number): { cycles: number; full?: CostCounters } {
  const sink = new PrefixSink(new CostModel(target), PREFIX);
  try {
    emitSchedule(spec, d, schedule, sink);
  } catch (e) {
    if (e !== PREFIX_DONE) throw e;
    const c = sink.model.counters;
    return { cycles: c.macs > 0 ? (c.cycles * d.m * d.n * d.k) / c.macs : estimate };
  }
  return { cycles: sink.model.counters.cycles, full: sink.model.counters };
}

const family = (s: Schedule): string => `${s.dataflow}/${s.partials ?? ''}/${s.spadBuffers}/${s.accBuffers}`;

/**
 * The fastest of `candidates` after the three rounds, fully timed, with how many schedules the cost model
 * timed (in part or in full). Deterministic: ties keep the earlier candidate.
 */
export function chooseSchedule(spec: GemmSpec, d: GemmDims, target: Target, candidates: readonly Schedule[]): { best?: Timed; timed: number } {
  const estimated = candidates
    .map((schedule, i) => ({ schedule, i, estimate: estimateCycles(schedule, d, target, spec) }))
    .sort((x, y) => x.estimate - y.estimate || x.i - y.i);
  const shortlist = estimated.slice(0, SHORTLIST);
  const perFamily = new Map<string, number>();
  for (const e of estimated.slice(0, SHORTLIST)) perFamily.set(family(e.schedule), (perFamily.get(family(e.schedule)) ?? 0) + 1);
  for (const e of estimated.slice(SHORTLIST)) {
    const f = family(e.schedule), n = perFamily.get(f) ?? 0;
    if (n < PER_FAMILY) { shortlist.push(e); perFamily.set(f, n + 1); }
  }
  const round2 = shortlist
    .map((e, i) => ({ ...e, i, ...timePrefix(spec, d, target, e.schedule, e.estimate) }))
    .sort((x, y) => x.cycles - y.cycles || x.i - y.i);
  let best: Timed | undefined;
  for (const f of round2.slice(0, d.nI * d.nJ * d.nK > HUGE_MATMULS ? 1 : FINALISTS)) {
    const counters = f.full ?? timeFully(spec, d, target, f.schedule);
    if (!best || counters.cycles < best.counters.cycles) best = { schedule: f.schedule, counters };
  }
  return { best, timed: round2.length };
}
