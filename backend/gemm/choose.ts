import type { Target } from '../target.js';
import { CostModel, INSTRUCTION_LIMIT, dramBytes, type CostCounters } from '../cost.js';
import { writtenPages } from './memo.js';
import type { GemmDims, GemmSpec } from './spec.js';
import { emitSchedule } from './emit.js';
import { estimateSchedule, estimateTerms } from './search.js';
import type { Schedule } from './schedule.js';

// Choosing among candidate schedules in four rounds, each more exact and on fewer schedules:
// 1. shortlist by the closed-form estimate (all candidates; cheap), keeping the best few of every family so
//    no dataflow or buffering is dropped on the estimate's word alone, and the few that move the least DRAM
//    among those estimated nearly as fast as the best;
// 2. time a short prefix of each shortlisted schedule with the real cost model and extrapolate cycles and
//    DRAM bytes by MACs done (schedules are periodic, so the prefix's rate is the whole's rate);
// 3. time a longer prefix of the best few of round 2, and of the few moving the least DRAM among those
//    within QUICK_SLACK of its fastest (a longer prefix dilutes the start-up, so the ranking sharpens);
// 4. time the finalists in full: the fastest (FINALISTS) and the one moving the least DRAM within
//    CYCLE_SLACK of the fastest. The caller adds the greedy baseline and picks with pickSchedule.
// Cycles come first; DRAM decides among schedules within CYCLE_SLACK of the fastest, because a compute-bound
// GEMM has many blockings that tie on cycles while one of them moves several times fewer bytes.
// Rounds 2 and 3 replaced one round of 12,000-instruction prefixes on every shortlisted schedule, and one
// finalist replaced two: about 40% less search time for at most +0.09% modeled cycles and +0.32% DRAM bytes
// on any of mnist-8 and the nine light models (docs/isa.md §7).

const SHORTLIST = 40;
const PER_FAMILY = 3;
/** Round 1 also keeps this many of the lowest estimated DMA among schedules estimated within EST_SLACK. */
const LOW_DMA = 8;
const EST_SLACK = 0.03;
/** A schedule this much slower than the fastest may still win on DRAM bytes. */
export const CYCLE_SLACK = 0.005;
/** Instructions timed per schedule in round 2. */
const QUICK_PREFIX = 2_000;
/** Round 3 times this many of round 2's fastest, and QUICK_LEAN of the least DRAM within QUICK_SLACK of it. */
const PROMOTED = 8;
const QUICK_LEAN = 4;
const QUICK_SLACK = 0.02;
/** Instructions timed per schedule in round 3. */
const PREFIX = 12_000;
/** Schedules timed in full in round 4 for speed. */
const FINALISTS = 1;

let spare: CostModel | undefined;

/**
 * A CostModel for `target` in its initial state: the same object every call, reset (schedules are timed one
 * at a time, and reset() hands out new counters, so counters returned earlier keep their values).
 */
export function freshCostModel(target: Target): CostModel {
  if (spare === undefined || spare.target !== target) spare = new CostModel(target);
  else spare.reset();
  return spare;
}

/** freshCostModel tracking DRAM hazards only where `spec` writes (exact for a GEMM timed alone: memo.ts writtenPages). */
export function gemmCostModel(spec: GemmSpec, target: Target): CostModel {
  const model = freshCostModel(target);
  model.trackOnly(writtenPages(spec));
  return model;
}

export interface Timed {
  readonly schedule: Schedule;
  readonly counters: CostCounters;
}

/** A schedule's instructions timed alone, in full. */
export function timeFully(spec: GemmSpec, d: GemmDims, target: Target, schedule: Schedule): CostCounters {
  const model = gemmCostModel(spec, target);
  emitSchedule(spec, d, schedule, model);
  return model.counters;
}

/** Extrapolated cycles and DRAM bytes from a prefix, and the full counters when the prefix was the whole schedule. */
function timePrefix(spec: GemmSpec, d: GemmDims, target: Target, schedule: Schedule, estimate: number, prefix: number): { cycles: number; dram: number; full?: CostCounters } {
  const model = gemmCostModel(spec, target);
  model.limitInstructions(prefix);
  try {
    emitSchedule(spec, d, schedule, model);
  } catch (e) {
    if (e !== INSTRUCTION_LIMIT) throw e;
    const c = model.counters;
    const scale = c.macs > 0 ? (d.m * d.n * d.k) / c.macs : 0;
    return { cycles: c.macs > 0 ? c.cycles * scale : estimate, dram: c.macs > 0 ? dramBytes(c) * scale : Infinity };
  }
  const c = model.counters;
  return { cycles: c.cycles, dram: dramBytes(c), full: c };
}

/** The schedule's dataflow × partials × buffering family, as a small integer. */
const family = (s: Schedule): number =>
  (((s.dataflow === 'output-stationary' ? 0 : s.partials === 'spill' ? 2 : 1) * 2 + s.spadBuffers - 1) * 2) + s.accBuffers - 1;

/**
 * The schedule to keep among fully timed ones: the least DRAM among those within CYCLE_SLACK of the fastest
 * and no slower than `baseline` (ties: fewer cycles, then the earlier one). With a baseline (the greedy
 * schedule, which must be in `timed`), a pick that would move more DRAM than the baseline gives way to the
 * fastest schedule no worse than the baseline on both counts (the baseline itself at worst), so the result
 * never loses to the baseline on cycles or on DRAM bytes.
 */
export function pickSchedule(timed: readonly Timed[], baseline?: Timed): Timed | undefined {
  if (timed.length === 0) return undefined;
  const fastest = Math.min(...timed.map((t) => t.counters.cycles));
  const ceiling = baseline ? baseline.counters.cycles : Infinity;
  const limit = Math.min(fastest * (1 + CYCLE_SLACK), Math.max(ceiling, fastest));
  let best: Timed | undefined;
  for (const t of timed) {
    if (t.counters.cycles > limit) continue;
    if (!best) { best = t; continue; }
    const dt = dramBytes(t.counters), db = dramBytes(best.counters);
    if (dt < db || (dt === db && t.counters.cycles < best.counters.cycles)) best = t;
  }
  if (!baseline || !best || dramBytes(best.counters) <= dramBytes(baseline.counters)) return best;
  let dominating = baseline;
  for (const t of timed) {
    if (t.counters.cycles <= ceiling && dramBytes(t.counters) <= dramBytes(baseline.counters) && t.counters.cycles < dominating.counters.cycles) dominating = t;
  }
  return dominating;
}

/**
 * The finalists of the three rounds, fully timed, and how many schedules the cost model timed (in part or in
 * full). Deterministic: ties keep the earlier candidate. `timeFull` times a finalist in full (default
 * timeFully; the caller may answer from timings it already has, which must be timeFully's counters).
 */
export function chooseSchedule(spec: GemmSpec, d: GemmDims, target: Target, candidates: readonly Schedule[],
  timeFull: (schedule: Schedule) => CostCounters = (schedule) => timeFully(spec, d, target, schedule)): { finalists: Timed[]; timed: number } {
  const terms = estimateTerms(d, target, spec);
  const estimated = candidates
    .map((schedule, i) => {
      const e = estimateSchedule(schedule, d, target, spec, terms);
      return { schedule, i, cycles: e.cycles, dma: e.dma };
    })
    .sort((x, y) => x.cycles - y.cycles || x.i - y.i);
  const shortlist = estimated.slice(0, SHORTLIST);
  const picked = new Set(shortlist.map((e) => e.i));
  const perFamily = new Map<number, number>();
  for (const e of shortlist) perFamily.set(family(e.schedule), (perFamily.get(family(e.schedule)) ?? 0) + 1);
  for (const e of estimated.slice(SHORTLIST)) {
    const f = family(e.schedule), n = perFamily.get(f) ?? 0;
    if (n < PER_FAMILY) { shortlist.push(e); picked.add(e.i); perFamily.set(f, n + 1); }
  }
  if (estimated.length > 0) {
    const near = estimated.filter((e) => e.cycles <= estimated[0]!.cycles * (1 + EST_SLACK) && !picked.has(e.i));
    near.sort((x, y) => x.dma - y.dma || x.i - y.i);
    shortlist.push(...near.slice(0, LOW_DMA));
  }
  const round2 = timeRound(spec, d, target, shortlist, QUICK_PREFIX);
  const promoted = new Set(round2.slice(0, PROMOTED).map((r) => r.i));
  const near = round2.filter((r) => r.cycles <= round2[0]!.cycles * (1 + QUICK_SLACK) && !promoted.has(r.i));
  near.sort((x, y) => x.dram - y.dram || x.i - y.i);
  for (const r of near.slice(0, QUICK_LEAN)) promoted.add(r.i);
  // A schedule round 2 timed whole keeps its full counters; only the others are timed again.
  const round3 = timeRound(spec, d, target, shortlist.filter((_, i) => promoted.has(i)), PREFIX,
    new Map(round2.filter((r) => r.full !== undefined).map((r) => [r.schedule, r])));
  const chosen = round3.slice(0, FINALISTS);
  if (round3.length > 0) {
    let lean: (typeof round3)[number] | undefined;
    for (const r of round3) {
      if (r.cycles > round3[0]!.cycles * (1 + CYCLE_SLACK)) continue;
      if (!lean || r.dram < lean.dram) lean = r;
    }
    if (lean && !chosen.includes(lean)) chosen.push(lean);
  }
  const finalists = chosen.map((f) => ({ schedule: f.schedule, counters: f.full ?? timeFull(f.schedule) }));
  return { finalists, timed: round2.length };
}

interface Round { readonly schedule: Schedule; readonly i: number; readonly cycles: number; readonly dram: number; readonly full?: CostCounters }

/**
 * Each schedule timed on its first `prefix` instructions (or taken from `whole`, timed in full already), fastest
 * first; `i` is the schedule's position in `list` (ties keep the earlier one).
 */
function timeRound(spec: GemmSpec, d: GemmDims, target: Target, list: readonly { schedule: Schedule; cycles: number }[], prefix: number,
  whole: ReadonlyMap<Schedule, Round> = new Map()): Round[] {
  return list
    .map((e, i) => {
      const known = whole.get(e.schedule);
      const t = known !== undefined ? { cycles: known.cycles, dram: known.dram, full: known.full } : timePrefix(spec, d, target, e.schedule, e.cycles, prefix);
      return { schedule: e.schedule, i, ...t };
    })
    .sort((x, y) => x.cycles - y.cycles || x.i - y.i);
}
