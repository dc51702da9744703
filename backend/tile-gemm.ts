import { invariant } from '../ir/errors.js';
import type { LoopOrder, Target } from './target.js';
import type { TileSink } from './isa.js';
import { DramByteCounter, dramBytes, type CostCounters } from './cost.js';
import { REQUANT_ENTRY_BYTES } from './isa.js';
import { checkGemmSpec, gemmDims, type GemmSpec } from './gemm/spec.js';
import { sameSchedule, scheduleLabel, type Dataflow, type Schedule } from './gemm/schedule.js';
import type { TimingMemo } from './gemm/memo.js';
import { emitSchedule } from './gemm/emit.js';
import { SEED_SCHEDULE, candidateSchedules, greedySchedule } from './gemm/search.js';
import { chooseSchedule, pickSchedule, timeFully } from './gemm/choose.js';

// GEMM tiling: C = requant(A·B + bias) as tile instructions. A strategy picks a schedule; 'auto' searches
// every schedule that fits (backend/gemm/choose.ts), times the finalists and the greedy baseline in full with
// the real cost model, and keeps the fastest, so it is never slower than greedy. docs/isa.md, "GEMM tiling".

export type { GemmSpec, MatrixRef, GatheredRef, RequantRef, GemmDims } from './gemm/spec.js';
export { gemmDims } from './gemm/spec.js';
export type { Schedule, Dataflow, Footprint } from './gemm/schedule.js';
export { footprint, scheduleLabel } from './gemm/schedule.js';
export { TimingMemo } from './gemm/memo.js';
export { SEED_SCHEDULE, greedySchedule, candidateSchedules } from './gemm/search.js';

export interface TileGemmOptions {
  /** Overrides target.loopOrder. */
  readonly strategy?: LoopOrder;
  /** Full timings shared by the GEMMs of one program (backend/gemm/memo.ts); same counters, less work. */
  readonly memo?: TimingMemo;
}

export interface GemmPlan {
  readonly name: string;
  readonly strategy: LoopOrder;
  readonly schedule: Schedule;
  /** e.g. "OS 4x2x8 spad×2 acc×2". */
  readonly label: string;
  /** This GEMM's instructions timed alone under the cost model. */
  readonly counters: CostCounters;
  /** How many schedules the cost model timed to choose this one. */
  readonly timed: number;
  /** Cycles of the greedy baseline, when it was timed. */
  readonly greedyCycles?: number;
  /** DRAM bytes of the greedy baseline (dramBytes of its counters), when it was timed. */
  readonly greedyDramBytes?: number;
  /** gemmLowerBoundBytes(spec): what any schedule must move. */
  readonly lowerBoundBytes: number;
  /** Why the requested strategy could not be followed, if so. */
  readonly note?: string;
}

/**
 * The DRAM lower bound of one GEMM: every operand read once and the result written once — A (m·k), B (k·n,
 * or for a gathered B the bytes of the conv input slice it is gathered from), the bias (4m), the requant
 * table and C (m·n int8, or 4·m·n raw int32). docs/lowering.md, "DRAM lower bound".
 */
export function gemmLowerBoundBytes(spec: GemmSpec): number {
  let b = spec.k * spec.n;
  if (spec.gather) {
    const g = spec.gather.footprints.geo;
    b = g.batch * g.channels * g.spatial.reduce((p, v) => p * v, 1);
  }
  const bias = spec.bias !== undefined ? 4 * spec.m : 0;
  const table = spec.requant ? (spec.requant.perRow ? spec.m : 1) * REQUANT_ENTRY_BYTES : 0;
  const c = spec.m * spec.n * (spec.requant ? 1 : 4);
  return spec.m * spec.k + b + bias + table + c;
}

/** Emits a given schedule. */
export function emitGemm(spec: GemmSpec, target: Target, schedule: Schedule, sink: TileSink): void {
  checkGemmSpec(spec);
  emitSchedule(spec, gemmDims(spec, target.tile), schedule, sink);
}

/** A schedule's instructions timed alone under the cost model (answered from `memo` when it has them). */
export function timeSchedule(spec: GemmSpec, target: Target, schedule: Schedule, memo?: TimingMemo): CostCounters {
  const time = (): CostCounters => timeFully(spec, gemmDims(spec, target.tile), target, schedule);
  return memo !== undefined && memo.target === target ? memo.counters(spec, schedule, time) : time();
}

/** DRAM bytes a schedule moves (dramBytes of timeSchedule's counters), counted without timing it. */
export function scheduleDramBytes(spec: GemmSpec, target: Target, schedule: Schedule): number {
  const counter = new DramByteCounter();
  emitSchedule(spec, gemmDims(spec, target.tile), schedule, counter);
  return counter.bytes;
}

/** Chooses a schedule for the strategy (default: the target's loopOrder, else 'auto'). Emits nothing. */
export function planGemm(spec: GemmSpec, target: Target, options: TileGemmOptions = {}): GemmPlan {
  checkGemmSpec(spec);
  const strategy = options.strategy ?? target.loopOrder ?? 'auto';
  const d = gemmDims(spec, target.tile);
  const plan = (schedule: Schedule, counters: CostCounters, timed: number, extra: Partial<GemmPlan> = {}): GemmPlan =>
    ({ name: spec.name, strategy, schedule, label: scheduleLabel(schedule), counters, timed, lowerBoundBytes: gemmLowerBoundBytes(spec), ...extra });

  const memo = options.memo;
  if (strategy === 'seed') return plan(SEED_SCHEDULE, timeSchedule(spec, target, SEED_SCHEDULE, memo), 1);
  const greedy = greedySchedule(d, target, spec);
  const greedyCounters = timeSchedule(spec, target, greedy, memo);
  const greedyExtra = { greedyCycles: greedyCounters.cycles, greedyDramBytes: dramBytes(greedyCounters) };
  if (strategy === 'greedy') return plan(greedy, greedyCounters, 1, greedyExtra);

  const flows: Dataflow[] = strategy === 'output-stationary' ? ['output-stationary']
    : strategy === 'weight-stationary' ? ['weight-stationary'] : ['output-stationary', 'weight-stationary'];
  let candidates = candidateSchedules(d, target, spec, flows);
  let note: string | undefined;
  if (candidates.length === 0) {
    note = `no ${strategy} schedule fits (the accumulator cannot hold a row panel of ${d.nJ} tiles and no scratch was given); used output-stationary`;
    candidates = candidateSchedules(d, target, spec, ['output-stationary']);
  }
  // A finalist equal to the greedy schedule reuses its timing (the same instructions, the same counters).
  const timeFull = (s: Schedule): CostCounters => sameSchedule(s, greedy) ? greedyCounters : timeSchedule(spec, target, s, memo);
  const { finalists, timed } = chooseSchedule(spec, d, target, candidates, timeFull);
  // The greedy baseline competes whenever its dataflow is allowed and bounds the pick, so 'auto' never
  // loses to greedy on cycles or on DRAM bytes; otherwise the least DRAM within CYCLE_SLACK of the fastest.
  const greedyAllowed = strategy !== 'weight-stationary' || note !== undefined;
  const greedyTimed = { schedule: greedy, counters: greedyCounters };
  const best = greedyAllowed ? pickSchedule([greedyTimed, ...finalists], greedyTimed) : pickSchedule(finalists);
  invariant(best, `GEMM '${spec.name}': no schedule fits the target`);
  return plan(best.schedule, best.counters, timed + 1, { ...greedyExtra, ...(note ? { note } : {}) });
}

/** Plans and emits one GEMM into `sink`; returns the plan. */
export function tileGemm(spec: GemmSpec, target: Target, sink: TileSink, options: TileGemmOptions = {}): GemmPlan {
  const p = planGemm(spec, target, options);
  emitSchedule(spec, gemmDims(spec, target.tile), p.schedule, sink);
  return p;
}
