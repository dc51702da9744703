import type { BenchSection } from '../section.js';
import { compileRuns, type ChildRun } from './compile-runs.js';

// Compile wall time and peak RSS per model, with and without calibration, next to onnxruntime-node's
// InferenceSession.create on the same model. Each figure is one child process (bench/children/).

const fig = (r: ChildRun): { ms: number | null; rss_mb: number | null; runs_ms?: readonly number[]; error?: string } =>
  r.code === 0 ? { ms: r.wall_ms ?? null, rss_mb: r.peak_rss_mb ?? null, ...(r.runs_ms ? { runs_ms: r.runs_ms } : {}) }
    : { ms: null, rss_mb: null, error: r.error ?? `exit ${r.code}` };

const cell = (v: number | null, unit = ''): string => (v === null ? 'failed' : `${v.toLocaleString('en-US')}${unit}`);

export const compileTime: BenchSection = {
  name: 'compile',
  title: 'Compile time and peak memory (one child process per figure)',
  run(ctx) {
    const runs = compileRuns(ctx);
    const models = runs.models.map((m) => ({
      model: m.label,
      with_calibration: fig(m.calibrated),
      without_calibration: fig(m.uncalibrated),
      onnxruntime_create: fig(m.ort),
    }));
    const r50 = models.find((m) => m.model === 'resnet50');
    return {
      data: {
        without_calibration_means: `${runs.uncalibratedMode === 'calib-table' ? 'compile from the calibration table saved by the calibrated compile (--calib-table)' : 'this tilec has no --calib-table: calibrated on one random sample (--calib random:1)'}; the median of ${runs.uncalibratedRuns} runs (runs_ms), peak RSS the largest`,
        models,
      },
      table: {
        headers: ['model', 'compile ms', 'peak RSS MB', `no-calib ms (${runs.uncalibratedMode})`, 'no-calib RSS MB', 'ort create ms', 'ort RSS MB'],
        rows: models.map((m) => [m.model, cell(m.with_calibration.ms), cell(m.with_calibration.rss_mb), cell(m.without_calibration.ms),
          cell(m.without_calibration.rss_mb), cell(m.onnxruntime_create.ms), cell(m.onnxruntime_create.rss_mb)]),
      },
      summary: {
        // The compile target is "without calibration"; the calibrated figures sit beside them.
        resnet50_compile_ms: r50?.without_calibration.ms ?? null,
        resnet50_compile_peak_rss_mb: r50?.without_calibration.rss_mb ?? null,
        resnet50_compile_calibrated_ms: r50?.with_calibration.ms ?? null,
        resnet50_compile_calibrated_peak_rss_mb: r50?.with_calibration.rss_mb ?? null,
        resnet50_ort_create_ms: r50?.onnxruntime_create.ms ?? null,
      },
    };
  },
};
