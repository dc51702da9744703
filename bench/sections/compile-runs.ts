import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from '../section.js';

// The compiles both the compile-time section and the program-quality section read, run once per bench run
// (memoized), each in its own child process (bench/children/compile.ts) so its peak RSS is its own:
//   calibrated: the default compile (default --calib), saving the calibration table when tilec can;
//   uncalibrated: the same compile from that saved table (--calib-table: no float inference), or, when this
//     tilec has no --calib-table, from one random sample (--calib random:1), labelled as such; run
//     UNCALIBRATED_RUNS times, the run of median wall time kept (the headline figure: on a shared 2-core VM one
//     run can be 20% off either way), peak RSS the largest of the runs; with the default
//     implicit im2col (conv patches gathered by LOAD_IM2COL, no host Im2Col pass) it is the program-quality
//     configuration;
//   explicit: the uncalibrated compile with --im2col explicit (the materialized matrix and host Im2Col steps);
//   greedy: the uncalibrated compile with --loop-order greedy, the Gemmini-style baseline tiling;
//   ort: onnxruntime-node's InferenceSession.create on the same model.

export interface ChildRun {
  readonly code: number;
  readonly wall_ms?: number;
  /** When the figure is a median: every run's wall time, in run order. */
  readonly runs_ms?: readonly number[];
  readonly peak_rss_mb?: number;
  readonly error?: string;
  /** The `tilec compile --json` document (the fields the bench reads). */
  readonly report?: CompileReport;
}

export interface CompileReport {
  readonly compile_ms: number;
  readonly totals: {
    readonly cycles: number; readonly ideal_cycles: number; readonly dram_bytes: number;
    readonly dram_lower_bound?: number; readonly host_cycles: number; readonly macs: number;
    readonly cycles_by_bound?: Readonly<Record<string, number>>;
  };
  readonly layers: readonly { readonly kind: string; readonly bound?: string; readonly cycles: number }[];
}

export interface ModelRuns {
  readonly label: string;
  readonly model: string;
  readonly calibrated: ChildRun;
  readonly uncalibrated: ChildRun;
  readonly explicit: ChildRun;
  readonly greedy: ChildRun;
  readonly ort: ChildRun;
}

export interface CompileRuns {
  /** How "uncalibrated" was compiled: 'calib-table' or 'random:1' (this tilec has no --calib-table). */
  readonly uncalibratedMode: 'calib-table' | 'random:1';
  /** Runs behind each uncalibrated figure (the median is reported). */
  readonly uncalibratedRuns: number;
  readonly models: readonly ModelRuns[];
}

/** The light models, in the order the tables list them (../shared/models/light/NAME/model.onnx). */
export const LIGHT_MODELS = ['resnet50', 'densenet121', 'inception_v1', 'inception_v2', 'shufflenet', 'squeezenet', 'bvlc_alexnet', 'zfnet512', 'vgg19'];
const QUICK_LIGHT = ['resnet50'];
/** Runs of the uncalibrated compile per model; the median is reported. */
const UNCALIBRATED_RUNS = 3;
/** A compile that takes longer than this is reported as failed rather than stalling the bench. */
const CHILD_TIMEOUT_MS = 8 * 60_000;

function child(ctx: BenchContext, script: string, args: readonly string[]): ChildRun {
  const r = spawnSync(process.execPath, ['--max-old-space-size=6144', '--import', 'tsx', path.join(ctx.benchDir, 'children', script), ...args], {
    cwd: ctx.repoRoot, encoding: 'utf8', maxBuffer: 1 << 28, timeout: CHILD_TIMEOUT_MS,
  });
  const last = r.stdout?.trim().split('\n').at(-1);
  if (r.status === 0 && last) {
    try { return JSON.parse(last) as ChildRun; } catch { /* reported below */ }
  }
  const why = r.error ? r.error.message : r.stderr?.trim().split('\n').at(-1) ?? `exit ${r.status}`;
  return { code: r.status ?? -1, error: why };
}

/** The run of median wall time, with every run's wall time and the largest peak RSS; a failed run is the result. */
function median(runs: readonly ChildRun[]): ChildRun {
  const failed = runs.find((r) => r.code !== 0);
  if (failed) return failed;
  const sorted = [...runs].sort((x, y) => (x.wall_ms ?? 0) - (y.wall_ms ?? 0));
  const peak = Math.max(...runs.map((r) => r.peak_rss_mb ?? 0));
  return { ...sorted[Math.floor(sorted.length / 2)]!, runs_ms: runs.map((r) => r.wall_ms ?? 0), peak_rss_mb: peak };
}

function supportsCalibTable(ctx: BenchContext): boolean {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ctx.repoRoot, 'cli', 'tilec.ts'), 'compile', '--help'], { cwd: ctx.repoRoot, encoding: 'utf8' });
  return (r.stdout ?? '').includes('--calib-table');
}

let memo: CompileRuns | undefined;

export function compileRuns(ctx: BenchContext): CompileRuns {
  if (memo) return memo;
  const cases: { label: string; model: string }[] = [];
  const mnist = ctx.shared('models/mnist-8/model.onnx');
  if (mnist) cases.push({ label: 'mnist-8', model: mnist });
  for (const name of ctx.quick ? QUICK_LIGHT : LIGHT_MODELS) {
    const m = ctx.shared(`models/light/${name}/model.onnx`);
    if (m) cases.push({ label: name, model: m });
  }
  const useTable = supportsCalibTable(ctx);
  const models = cases.map(({ label, model }): ModelRuns => {
    const out = (kind: string): string => path.join(ctx.tmpDir, `${label}-${kind}`);
    const table = path.join(ctx.tmpDir, `${label}.calib.json`);
    ctx.log(`  ${label}: compile with calibration...`);
    const calibrated = child(ctx, 'compile.ts', [model, '-o', out('calib'), ...(useTable ? ['--save-calib-table', table] : [])]);
    const noCalib = useTable && existsSync(table) ? ['--calib-table', table] : ['--calib', 'random:1'];
    ctx.log(`  ${label}: compile without calibration (${noCalib.join(' ')})...`);
    const uncalibrated = median(Array.from({ length: UNCALIBRATED_RUNS }, (_, k) => {
      const dir = out(`nocalib-${k}`);
      const run = child(ctx, 'compile.ts', [model, '-o', dir, ...noCalib]);
      // Nothing reads the files (the report comes on the child's stdout), and VGG-19 writes ~1 GB per run.
      rmSync(dir, { recursive: true, force: true });
      return run;
    }));
    ctx.log(`  ${label}: compile with explicit im2col...`);
    const explicit = child(ctx, 'compile.ts', [model, '-o', out('explicit'), ...noCalib, '--im2col', 'explicit']);
    ctx.log(`  ${label}: compile with implicit im2col and the greedy baseline tiling...`);
    const greedy = child(ctx, 'compile.ts', [model, '-o', out('greedy'), ...noCalib, '--im2col', 'implicit', '--loop-order', 'greedy']);
    ctx.log(`  ${label}: onnxruntime-node InferenceSession.create...`);
    const ort = child(ctx, 'ort-create.ts', [model]);
    for (const [what, r] of [['calibrated', calibrated], ['uncalibrated', uncalibrated], ['explicit', explicit], ['greedy', greedy], ['ort', ort]] as const) {
      if (r.code !== 0) ctx.log(`  ${label}: ${what} failed: ${r.error ?? `exit ${r.code}`}`);
    }
    return { label, model, calibrated, uncalibrated, explicit, greedy, ort };
  });
  memo = { uncalibratedMode: useTable ? 'calib-table' : 'random:1', uncalibratedRuns: UNCALIBRATED_RUNS, models };
  return memo;
}
