import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BenchContext, BenchSection } from '../section.js';

// Calibration keeps running statistics, never activations: its peak memory must not grow with the number
// of samples. Each case runs in its own child process (fresh heap) and reports process.memoryUsage().rss
// sampled during calibration and resourceUsage().maxRSS (the high-water mark).

interface ChildResult {
  samples: number; method: string; tensors: number; seconds: number;
  rss_before_calibration_mb: number; rss_peak_mb: number; heap_used_peak_mb: number; max_rss_mb: number;
  array_buffers_before_mb: number; array_buffers_peak_mb: number;
}

interface Case { model: string; label: string; spec: string; method: string; counts: number[] }

function runChild(ctx: BenchContext, c: Case, count: number): ChildResult {
  const child = path.join(ctx.benchDir, 'children', 'calibrate-memory.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, c.model, c.spec, String(count), c.method], {
    cwd: ctx.repoRoot, encoding: 'utf8', maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`calibration child failed for ${c.label} (${count} samples): ${r.stderr.trim() || `exit ${r.status}`}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

export const calibrationMemory: BenchSection = {
  name: 'calibration_memory',
  title: 'Calibration peak memory vs. sample count',
  slow: true,
  run(ctx) {
    const mnist = ctx.shared('models/mnist-8/model.onnx');
    const mnistData = ctx.shared('data/mnist');
    const resnet = ctx.shared('models/light/resnet50/model.onnx');
    const cases: Case[] = [];
    if (mnist && mnistData) {
      for (const method of ['minmax', 'entropy']) {
        cases.push({ model: mnist, label: `mnist-8 ${method}`, spec: `mnist:${mnistData}`, method, counts: [1000, 10000] });
      }
    }
    if (resnet) cases.push({ model: resnet, label: 'light ResNet-50 minmax', spec: 'random:8:0', method: 'minmax', counts: [2, 4, 8] });
    const rows = cases.map((c) => {
      const runs = c.counts.map((n) => { ctx.log(`  ${c.label}: ${n} samples...`); return runChild(ctx, c, n); });
      const first = runs[0]!, last = runs.at(-1)!;
      return {
        case: c.label,
        runs,
        // What "no growth" means: the peak with many samples minus the peak with few.
        rss_peak_growth_mb: Math.round((last.rss_peak_mb - first.rss_peak_mb) * 10) / 10,
        max_rss_growth_mb: Math.round((last.max_rss_mb - first.max_rss_mb) * 10) / 10,
        array_buffers_peak_growth_mb: Math.round((last.array_buffers_peak_mb - first.array_buffers_peak_mb) * 10) / 10,
      };
    });
    const table = rows.flatMap((r) => r.runs.map((x) => [
      r.case, String(x.samples), x.seconds.toFixed(1), x.rss_before_calibration_mb.toFixed(1), x.rss_peak_mb.toFixed(1),
      x.max_rss_mb.toFixed(1), x.array_buffers_peak_mb.toFixed(1),
      x === r.runs.at(-1) ? `${r.rss_peak_growth_mb >= 0 ? '+' : ''}${r.rss_peak_growth_mb.toFixed(1)}` : '',
    ]));
    return {
      data: { cases: rows },
      table: { headers: ['case', 'samples', 'seconds', 'RSS before MB', 'RSS peak MB', 'maxRSS MB', 'buffers peak MB', 'RSS peak growth MB'], rows: table },
    };
  },
};
