import { dramBytes, idealCycles, type CostCounters } from '../cost.js';
import type { GemmPlan } from '../tile-gemm.js';

// The per-layer report of an emitted program: the fields of `tilec compile --json` (cli-contract.md) for
// every step that emits instructions, plus how it was scheduled.

export interface LayerReport {
  /** The IR node's name (a host im2col that feeds a GEMM is `NODE:im2col`). */
  readonly name: string;
  readonly op: string;
  /** 'tile': a GEMM on the matrix unit; 'host': a HOST instruction. */
  readonly kind: 'tile' | 'host';
  /** C(m×n) = A(m×k)·B(k×n); 0 for host steps. */
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** MATMUL instructions. */
  readonly tile_ops: number;
  readonly macs: number;
  /** Tile steps: bytes the DMA queues move (loads, stores, requant tables); host steps: bytes read and written. */
  readonly dram_bytes: number;
  /** Tile steps: the GEMM timed alone under the cost model; host steps: the host cycle model. */
  readonly cycles: number;
  /** ceil(macs / t²) / cycles; 0 for host steps. */
  readonly utilization: number;
  /**
   * What limits the step under the cost model: 'compute' (the MATMUL queue is the busiest), 'dma' (the load
   * or store queue is busier than the array) or 'host' (a HOST instruction).
   */
  readonly bound: LayerBound;
  /** DRAM lower bound: every operand read once and the result written once (docs/lowering.md). */
  readonly dram_lower_bound: number;
  /** Tile steps: the schedule (e.g. "OS 4x2x8 spad×2 acc×2"), the strategy, the greedy baseline's cycles. */
  readonly schedule?: string;
  readonly strategy?: string;
  readonly greedy_cycles?: number;
  /** DRAM bytes of the greedy baseline's schedule. */
  readonly greedy_dram_bytes?: number;
  /** Why the requested strategy was not followed, if so. */
  readonly note?: string;
  /**
   * GEMMs whose B is gathered by LOAD_IM2COL: this layer's DRAM bytes with explicit im2col (host pass reading
   * x and writing the K×N matrix + the GEMM loading it, same schedule) and as emitted (= dram_bytes).
   */
  readonly im2col_dram_bytes?: Im2colBytes;
}

export type LayerBound = 'compute' | 'dma' | 'host';

/** 'compute' when the array is at least as busy as either DMA queue, else 'dma'. */
export function tileBound(c: CostCounters): 'compute' | 'dma' {
  return c.busy.compute >= Math.max(c.busy.load, c.busy.store) ? 'compute' : 'dma';
}

export interface Im2colBytes {
  readonly explicit: number;
  readonly implicit: number;
}

export interface EmitTotals {
  readonly tile_ops: number;
  readonly macs: number;
  /** DMA bytes of the whole program plus every host step's bytes. */
  readonly dram_bytes: number;
  /** The whole program under the cost model (what `tilec run` reports): layers overlap, so this can be
   * less than the sum of the layers' cycles. */
  readonly cycles: number;
  readonly ideal_cycles: number;
  readonly utilization: number;
  /** Σ of the layers' dram_lower_bound: the DRAM bytes of a program that moves every tensor once per step. */
  readonly dram_lower_bound: number;
  /** Cycles of the layers by bound (each layer timed alone; sums, so they may exceed `cycles`). */
  readonly cycles_by_bound: Readonly<Record<LayerBound, number>>;
  /** Cycles charged to HOST instructions. */
  readonly host_cycles: number;
  readonly instructions: number;
  /** Sums of the layers' `im2col_dram_bytes`, when some layer gathers. */
  readonly im2col_dram_bytes?: Im2colBytes;
}

export function gemmLayer(name: string, op: string, d: { m: number; n: number; k: number }, plan: GemmPlan, tile: number): LayerReport {
  const c = plan.counters;
  return {
    name, op, kind: 'tile', m: d.m, n: d.n, k: d.k,
    tile_ops: c.matmuls, macs: c.macs, dram_bytes: dramBytes(c), cycles: c.cycles,
    utilization: c.cycles > 0 ? idealCycles(c.macs, tile) / c.cycles : 0,
    bound: tileBound(c), dram_lower_bound: plan.lowerBoundBytes,
    schedule: plan.label, strategy: plan.strategy,
    ...(plan.greedyCycles !== undefined ? { greedy_cycles: plan.greedyCycles } : {}),
    ...(plan.greedyDramBytes !== undefined ? { greedy_dram_bytes: plan.greedyDramBytes } : {}),
    ...(plan.note !== undefined ? { note: plan.note } : {}),
  };
}

export function hostLayer(name: string, op: string, bytes: number, cycles: number): LayerReport {
  // A host step reads each operand once and writes each result once: it is at its lower bound.
  return { name, op, kind: 'host', m: 0, n: 0, k: 0, tile_ops: 0, macs: 0, dram_bytes: bytes, cycles, utilization: 0, bound: 'host', dram_lower_bound: bytes };
}

export function totalsOf(program: CostCounters, layers: readonly LayerReport[], tile: number): EmitTotals {
  let hostBytes = 0, hostCycles = 0, gathered = 0, explicit = 0, implicit = 0, lowerBound = 0;
  const byBound: Record<LayerBound, number> = { compute: 0, dma: 0, host: 0 };
  for (const l of layers) {
    lowerBound += l.dram_lower_bound;
    byBound[l.bound] += l.cycles;
    if (l.kind === 'host') { hostBytes += l.dram_bytes; hostCycles += l.cycles; }
    if (l.im2col_dram_bytes) { gathered++; explicit += l.im2col_dram_bytes.explicit; implicit += l.im2col_dram_bytes.implicit; }
  }
  const ideal = idealCycles(program.macs, tile);
  return {
    tile_ops: program.matmuls, macs: program.macs, dram_bytes: dramBytes(program) + hostBytes, cycles: program.cycles,
    ideal_cycles: ideal, utilization: program.cycles > 0 ? ideal / program.cycles : 0,
    dram_lower_bound: lowerBound, cycles_by_bound: byBound, host_cycles: hostCycles,
    instructions: program.instructions,
    ...(gathered > 0 ? { im2col_dram_bytes: { explicit, implicit } } : {}),
  };
}
