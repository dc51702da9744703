import type { GemmDims } from './spec.js';

// A schedule is one way to walk a GEMM: a dataflow (which operand stays put), a blocking (how many tiles
// of each dimension one block holds) and how many buffers each memory is split into.

export type Dataflow = 'output-stationary' | 'weight-stationary';

export interface Schedule {
  /**
   * output-stationary: block loops i, j, k (the seed's order); a block of C stays in the accumulator across
   *   all of K and is stored once, requantized.
   * weight-stationary: block loops i, k, j; a block of A (the weights) stays in the scratchpad while every
   *   column block of B streams past it. C partial sums either stay in the accumulator for the whole row
   *   panel ('resident') or go to DRAM scratch as raw int32 between K blocks ('spill').
   */
  readonly dataflow: Dataflow;
  /** Tiles per block along M, N, K. */
  readonly ti: number;
  readonly tj: number;
  readonly tk: number;
  /** 2 = ping-pong halves: the next block loads while this one computes. */
  readonly spadBuffers: 1 | 2;
  /** 2 = ping-pong halves: the next block accumulates while this one is stored. */
  readonly accBuffers: 1 | 2;
  /** weight-stationary only. */
  readonly partials?: 'resident' | 'spill';
  /** Skip a LOAD when the block is still resident in a buffer half (false only for the seed's literal loop). */
  readonly reuse: boolean;
}

export interface Footprint {
  readonly spadSlots: number;
  readonly accSlots: number;
  /** DRAM scratch bytes for spilled partial sums. */
  readonly scratchBytes: number;
}

export function footprint(s: Schedule, d: GemmDims): Footprint {
  const spadSlots = s.spadBuffers * (s.ti * s.tk + s.tk * s.tj);
  if (s.dataflow === 'output-stationary') return { spadSlots, accSlots: s.accBuffers * s.ti * s.tj, scratchBytes: 0 };
  if (s.partials === 'resident') return { spadSlots, accSlots: s.accBuffers * s.ti * d.nJ, scratchBytes: 0 };
  return { spadSlots, accSlots: s.accBuffers * s.ti * s.tj, scratchBytes: Math.min(s.ti * d.t, d.m) * d.n * 4 };
}

/** "OS 4x2x8 db" style label for reports and test names. */
export function scheduleLabel(s: Schedule): string {
  const flow = s.dataflow === 'output-stationary' ? 'OS' : `WS-${s.partials}`;
  const bufs = `spad×${s.spadBuffers} acc×${s.accBuffers}`;
  return `${flow} ${s.ti}x${s.tj}x${s.tk} ${bufs}${s.reuse ? '' : ' no-reuse'}`;
}

/** True when both describe the same walk (so they emit the same instructions). */
export const sameSchedule = (x: Schedule, y: Schedule): boolean => x.dataflow === y.dataflow && x.ti === y.ti && x.tj === y.tj
  && x.tk === y.tk && x.spadBuffers === y.spadBuffers && x.accBuffers === y.accBuffers && x.partials === y.partials && x.reuse === y.reuse;
