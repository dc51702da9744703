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
  /** Tile steps: the schedule (e.g. "OS 4x2x8 spad×2 acc×2"), the strategy, the greedy baseline's cycles. */
  readonly schedule?: string;
  readonly strategy?: string;
  readonly greedy_cycles?: number;
  /** Why the requested strategy was not followed, if so. */
  readonly note?: string;
  /**
   * GEMMs whose B is gathered by LOAD_IM2COL: this layer's DRAM bytes with explicit im2col (host pass reading
   * x and writing the K×N matrix + the GEMM loading it, same schedule) and as emitted (= dram_bytes).
   */
  readonly im2col_dram_bytes?: Im2colBytes;
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
    schedule: plan.label, strategy: plan.strategy,
    ...(plan.greedyCycles !== undefined ? { greedy_cycles: plan.greedyCycles } : {}),
    ...(plan.note !== undefined ? { note: plan.note } : {}),
  };
}

export function hostLayer(name: string, op: string, bytes: number, cycles: number): LayerReport {
  return { name, op, kind: 'host', m: 0, n: 0, k: 0, tile_ops: 0, macs: 0, dram_bytes: bytes, cycles, utilization: 0 };
}

export function totalsOf(program: CostCounters, layers: readonly LayerReport[], tile: number): EmitTotals {
  let hostBytes = 0, hostCycles = 0, gathered = 0, explicit = 0, implicit = 0;
  for (const l of layers) {
    if (l.kind === 'host') { hostBytes += l.dram_bytes; hostCycles += l.cycles; }
    if (l.im2col_dram_bytes) { gathered++; explicit += l.im2col_dram_bytes.explicit; implicit += l.im2col_dram_bytes.implicit; }
  }
  const ideal = idealCycles(program.macs, tile);
  return {
    tile_ops: program.matmuls, macs: program.macs, dram_bytes: dramBytes(program) + hostBytes, cycles: program.cycles,
    ideal_cycles: ideal, utilization: program.cycles > 0 ? ideal / program.cycles : 0, host_cycles: hostCycles,
    instructions: program.instructions,
    ...(gathered > 0 ? { im2col_dram_bytes: { explicit, implicit } } : {}),
  };
}
