import type { Target } from '../target.js';
import { accumulatorSlots, scratchpadSlots } from '../target.js';
import { REQUANT_ENTRY_BYTES } from '../isa.js';
import type { GemmDims, GemmSpec } from './spec.js';
import { footprint, type Dataflow, type Schedule } from './schedule.js';

// The schedules the tiler considers, the Gemmini-style greedy baseline, and a closed-form cycle estimate
// used only to rank candidates before the real cost model (backend/cost.ts) times the best few.

/** The seed's mmul_tiling, literally: one tile per block, one buffer, every operand reloaded every time. */
export const SEED_SCHEDULE: Schedule = { dataflow: 'output-stationary', ti: 1, tj: 1, tk: 1, spadBuffers: 1, accBuffers: 1, reuse: false };

export function fits(s: Schedule, d: GemmDims, target: Target, spec: GemmSpec): boolean {
  const f = footprint(s, d);
  if (f.spadSlots > scratchpadSlots(target) || f.accSlots > accumulatorSlots(target)) return false;
  return f.scratchBytes === 0 || (spec.scratch !== undefined && f.scratchBytes <= spec.scratch.bytes);
}

/**
 * The baseline after Gemmini's tiled_matmul_auto: output-stationary, double-buffered when the memories allow,
 * start from square I×J blocks filling the accumulator and the largest K that fits, then grow J, I and K by
 * one tile in turn while the block still fits. No search, no cost model.
 */
export function greedySchedule(d: GemmDims, target: Target, spec: GemmSpec): Schedule {
  const spad = scratchpadSlots(target), acc = accumulatorSlots(target);
  const buffers: 1 | 2 = spad >= 4 && acc >= 2 ? 2 : 1;
  const make = (ti: number, tj: number, tk: number): Schedule =>
    ({ dataflow: 'output-stationary', ti, tj, tk, spadBuffers: buffers, accBuffers: buffers, reuse: true });
  const side = Math.max(1, Math.floor(Math.sqrt(acc / buffers)));
  let ti = Math.min(d.nI, side), tj = Math.min(d.nJ, side);
  let tk = Math.min(d.nK, Math.max(1, Math.floor(spad / buffers / (ti + tj))));
  while (!fits(make(ti, tj, tk), d, target, spec)) {
    if (tk > 1) tk--; else if (ti >= tj && ti > 1) ti--; else if (tj > 1) tj--; else break;
  }
  for (;;) {
    let grew = false;
    if (tj < d.nJ && fits(make(ti, tj + 1, tk), d, target, spec)) { tj++; grew = true; }
    if (ti < d.nI && fits(make(ti + 1, tj, tk), d, target, spec)) { ti++; grew = true; }
    if (tk < d.nK && fits(make(ti, tj, tk + 1), d, target, spec)) { tk++; grew = true; }
    if (!grew) break;
  }
  return make(ti, tj, tk);
}

/** Block sizes worth trying along a dimension of n tiles: 1, 2, 3, 4, 6, 8, 12..., n, and n/2, n/3, n/4 rounded up. */
function blockSizes(n: number): number[] {
  const out = new Set<number>([n, Math.ceil(n / 2), Math.ceil(n / 3), Math.ceil(n / 4)]);
  for (let p = 1; p <= n; p *= 2) {
    out.add(p);
    if (3 * p <= n) out.add(3 * p);
  }
  return [...out].filter((v) => v >= 1 && v <= n).sort((x, y) => x - y);
}

/** Every schedule of the given dataflows that fits the target, in a fixed order. */
export function candidateSchedules(d: GemmDims, target: Target, spec: GemmSpec, dataflows: readonly Dataflow[]): Schedule[] {
  const out: Schedule[] = [];
  const is = blockSizes(d.nI), js = blockSizes(d.nJ), ks = blockSizes(d.nK);
  const buffers: (1 | 2)[] = [2, 1];
  for (const dataflow of dataflows) {
    const partials: ('resident' | 'spill' | undefined)[] = dataflow === 'output-stationary' ? [undefined] : ['resident', 'spill'];
    for (const p of partials) {
      for (const ti of is) for (const tj of js) for (const tk of ks) {
        for (const sb of buffers) for (const ab of buffers) {
          const s: Schedule = { dataflow, ti, tj, tk, spadBuffers: sb, accBuffers: ab, reuse: true, ...(p ? { partials: p } : {}) };
          if (fits(s, d, target, spec)) out.push(s);
        }
      }
    }
  }
  return out;
}

/** Σ over the tiles of an r×c matrix (t×t tiles, edge tiles smaller) of f(rows, cols). */
function overTiles(r: number, c: number, t: number, f: (rows: number, cols: number) => number): number {
  const fullR = Math.floor(r / t), edgeR = r - fullR * t;
  const fullC = Math.floor(c / t), edgeC = c - fullC * t;
  let sum = fullR * fullC * f(t, t);
  if (edgeR) sum += fullC * f(edgeR, t);
  if (edgeC) sum += fullR * f(t, edgeC);
  if (edgeR && edgeC) sum += f(edgeR, edgeC);
  return sum;
}

/**
 * A closed-form cycle estimate of a schedule under the cost model, from the exact queue occupancies:
 * with two buffers a step's loads overlap the previous step's compute but expose about half the load and
 * matmul latencies (a buffer half is refilled only after the step before last finished reading it); with one
 * buffer they serialize. The same reasoning applies to accumulator halves and stores. Only shortlists
 * candidates; the chosen schedule is timed by the real model.
 */
export function estimateCycles(s: Schedule, d: GemmDims, target: Target, spec: GemmSpec): number {
  return estimateSchedule(s, d, target, spec).cycles;
}

/**
 * estimateCycles, and the DMA queues' total occupancy (load + store cycles, a proxy for the DRAM bytes the
 * schedule moves: gathered loads are counted as if B were in DRAM).
 */
export function estimateSchedule(s: Schedule, d: GemmDims, target: Target, spec: GemmSpec, g: EstimateTerms = estimateTerms(d, target, spec)): { cycles: number; dma: number } {
  const t = d.t, lat = target.latency;
  const nIb = Math.ceil(d.nI / s.ti), nJb = Math.ceil(d.nJ / s.tj), nKb = Math.ceil(d.nK / s.tk);
  const os = s.dataflow === 'output-stationary';
  const spill = !os && s.partials === 'spill';
  const aTimes = !s.reuse ? nJb : os ? (nKb <= s.spadBuffers ? 1 : nJb) : 1;
  const bTimes = s.reuse && nJb * nKb <= s.spadBuffers ? 1 : nIb;
  let load = g.aOnce * aTimes + g.bOnce * bTimes;
  if (spec.bias !== undefined) load += g.biasLoad;
  let store = g.store;
  if (spill) {
    const partial = g.partial * (nKb - 1);
    load += partial;
    store += partial;
  }
  // Per A tile and column block: the block's columns stream, at least t cycles to switch A (cost.ts MATMUL).
  // Every block but the last streams tj·t columns (>= t); the last streams the rest.
  const width = s.tj * t;
  const streamed = (nJb - 1) * width + Math.max(t, d.n - (nJb - 1) * width);
  const compute = d.nI * d.nK * streamed;
  const steps = nIb * nJb * nKb;
  const outs = os ? nIb * nJb : spill ? steps : nIb;
  const c = compute / steps, l = load / steps;
  const inner = s.spadBuffers === 2 ? Math.max(c, l + (lat.load + lat.matmul) / 2) : c + l + lat.load + lat.matmul;
  const co = compute / outs, so = store / outs;
  const outer = s.accBuffers === 2 ? Math.max(co, so + (lat.matmul + lat.store) / 2) : co + so + lat.matmul + lat.store;
  const firstLoad = overTiles(Math.min(d.m, s.ti * t), Math.min(d.k, s.tk * t), t, g.xfer)
    + overTiles(Math.min(d.k, s.tk * t), Math.min(d.n, s.tj * t), t, g.xfer);
  return { cycles: Math.max(steps * inner, outs * outer, load, compute, store) + firstLoad + lat.load + lat.matmul + lat.store, dma: load + store };
}

/** The parts of estimateSchedule that depend on the GEMM only (computed once for all its candidates). */
export interface EstimateTerms {
  /** Transfer cycles of one tile of r×c bytes. */
  readonly xfer: (rows: number, cols: number) => number;
  readonly aOnce: number;
  readonly bOnce: number;
  readonly biasLoad: number;
  readonly store: number;
  /** Load (and store) cycles of one round of spilled partial sums. */
  readonly partial: number;
}

export function estimateTerms(d: GemmDims, target: Target, spec: GemmSpec): EstimateTerms {
  const t = d.t, bw = target.dramBytesPerCycle;
  const xferBytes = (bytes: number): number => Math.max(1, Math.ceil(bytes / bw));
  const xfer = (r: number, c: number): number => xferBytes(r * c);
  const tableBytes = spec.requant ? (spec.requant.perRow ? (r: number) => r * REQUANT_ENTRY_BYTES : () => REQUANT_ENTRY_BYTES) : () => 0;
  const outBytes = spec.requant ? 1 : 4;
  return {
    xfer,
    aOnce: overTiles(d.m, d.k, t, xfer),
    bOnce: overTiles(d.k, d.n, t, xfer),
    biasLoad: overTiles(d.m, d.n, t, (r) => xferBytes(4 * r)),
    store: overTiles(d.m, d.n, t, (r, c) => xferBytes(r * c * outBytes + tableBytes(r))),
    partial: overTiles(d.m, d.n, t, (r, c) => xferBytes(4 * r * c)),
  };
}
