import type { BenchSection } from '../section.js';
import { compileRuns, type ChildRun } from './compile-runs.js';

// Program quality on the default target, for tilec's schedules and for the Gemmini-style greedy baseline
// (the same model compiled with --loop-order greedy: output-stationary, square blocks grown to fill the
// memories, no search; backend/gemm/search.ts greedySchedule), both with implicit im2col (--im2col implicit:
// patches gathered by LOAD_IM2COL instead of a host Im2Col pass); tilec with --im2col explicit is
// shown next to them:
//   cycles / ideal: the whole program's modeled cycles (host steps included) over ceil(MACs / t²);
//   DRAM / lower bound: every byte the program moves over the bytes of a program that moves every tensor
//     once per step (each step reads each operand once and writes its result once; docs/lowering.md).
// Where cycles go: the layers' cycles summed by what bounds them (compute, dma, host).

export interface Quality {
  cycles: number; ideal_cycles: number; cycles_over_ideal: number;
  dram_bytes: number; dram_lower_bound: number; dram_over_lower_bound: number;
  cycles_by_bound: Record<string, number> | null;
}

/** Cycles / ideal and DRAM / lower bound of one compile, or null when it failed or predates dram_lower_bound. */
export function quality(r: ChildRun): Quality | null {
  const t = r.report?.totals;
  if (r.code !== 0 || !t || t.dram_lower_bound === undefined) return null;
  return {
    cycles: t.cycles, ideal_cycles: t.ideal_cycles, cycles_over_ideal: round(t.cycles / t.ideal_cycles),
    dram_bytes: t.dram_bytes, dram_lower_bound: t.dram_lower_bound, dram_over_lower_bound: round(t.dram_bytes / t.dram_lower_bound),
    cycles_by_bound: t.cycles_by_bound ? { ...t.cycles_by_bound } : null,
  };
}

const round = (v: number): number => Math.round(v * 1000) / 1000;
const ratio = (q: Quality | null, f: 'cycles_over_ideal' | 'dram_over_lower_bound'): string => (q ? q[f].toFixed(3) : 'failed');
const share = (q: Quality | null, b: string): string => {
  if (!q?.cycles_by_bound) return '';
  const all = Object.values(q.cycles_by_bound).reduce((a, v) => a + v, 0);
  return all > 0 ? `${Math.round((100 * (q.cycles_by_bound[b] ?? 0)) / all)}%` : '';
};

export const programQuality: BenchSection = {
  name: 'quality',
  title: 'Program quality on the default target: tilec vs the greedy baseline',
  run(ctx) {
    const models = compileRuns(ctx).models.map((m) => ({
      model: m.label, configuration: '--im2col implicit', tilec: quality(m.uncalibrated), baseline: quality(m.greedy), tilec_explicit_im2col: quality(m.explicit),
    }));
    const r50 = models.find((m) => m.model === 'resnet50');
    return {
      data: { models },
      table: {
        headers: ['model', 'cycles/ideal', 'greedy cycles/ideal', 'DRAM/bound', 'greedy DRAM/bound', 'compute-bound', 'dma-bound', 'host',
          'explicit im2col: cycles/ideal', 'DRAM/bound'],
        rows: models.map((m) => [m.model, ratio(m.tilec, 'cycles_over_ideal'), ratio(m.baseline, 'cycles_over_ideal'),
          ratio(m.tilec, 'dram_over_lower_bound'), ratio(m.baseline, 'dram_over_lower_bound'),
          share(m.tilec, 'compute'), share(m.tilec, 'dma'), share(m.tilec, 'host'),
          ratio(m.tilec_explicit_im2col, 'cycles_over_ideal'), ratio(m.tilec_explicit_im2col, 'dram_over_lower_bound')]),
      },
      summary: {
        quality_configuration: 'default target, --im2col implicit',
        resnet50_cycles_over_ideal: r50?.tilec?.cycles_over_ideal ?? null,
        resnet50_dram_over_lower_bound: r50?.tilec?.dram_over_lower_bound ?? null,
        resnet50_explicit_im2col_cycles_over_ideal: r50?.tilec_explicit_im2col?.cycles_over_ideal ?? null,
        resnet50_explicit_im2col_dram_over_lower_bound: r50?.tilec_explicit_im2col?.dram_over_lower_bound ?? null,
        baseline: {
          resnet50_cycles_over_ideal: r50?.baseline?.cycles_over_ideal ?? null,
          resnet50_dram_over_lower_bound: r50?.baseline?.dram_over_lower_bound ?? null,
        },
      },
    };
  },
};
