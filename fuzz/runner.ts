import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Limits } from '../cli/limits.js';
import { type FuzzCase, makeCase } from './case.js';
import type { Outcome } from './pipeline.js';
import type { Job, Reply } from './protocol.js';

// The fuzz loop: generates cases in order, runs each in a worker thread under a time bound, tallies the
// outcomes and saves a reproducer (the mutated model and a note) for every failure. One worker serves
// every case; only a hang (terminated) or a dead worker (out of memory) makes a new one. The counts
// depend only on (seed, cases, limits) — except that a case near the time bound may hang on a loaded
// machine and not on an idle one.

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_REPRO_DIR = path.join(REPO_ROOT, 'fuzz', 'repro');

/**
 * Limits for fuzz cases: far below the CLI defaults, so a mutation that inflates a model (a dim set to
 * 2^20, a huge pad) stops at a limit as a typed error instead of running for minutes.
 */
export const FUZZ_LIMITS: Limits = { maxModelBytes: 2 ** 20, maxTensorElements: 2 ** 16, maxTileOps: 2 ** 16, maxMemoryBytes: 2 ** 26 };

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface FuzzOptions {
  /** Cases 0..cases-1 of the seed (from `from` on). */
  readonly cases: number;
  readonly seed: number;
  /** First case index (default 0): a long run cut short resumes where it stopped, with the same cases. */
  readonly from?: number;
  /** Per-case time bound (default 10 s); past it the case is a hang. */
  readonly timeoutMs?: number;
  /** Where reproducers go (default fuzz/repro); null: do not write any. */
  readonly reproDir?: string | null;
  readonly limits?: Limits;
  /** Called after every case. */
  readonly onCase?: (index: number, outcome: CaseResult) => void;
}

export type CaseResult = Outcome | { readonly kind: 'hang'; readonly message: string };

export interface FuzzFailure {
  readonly case: number;
  readonly kind: 'crash' | 'hang' | 'mismatch';
  readonly stage?: string;
  readonly message: string;
  /** The reproducer's .onnx path, when written. */
  readonly repro?: string;
}

export interface FuzzSummary {
  readonly seed: number;
  readonly cases: number;
  readonly typed_errors: number;
  readonly successes: number;
  readonly crashes: number;
  readonly hangs: number;
  /** Compiled programs whose tile-machine result differs from the integer reference. */
  readonly mismatches: number;
  /** Typed errors by the stage that raised them (import, float, limits, calibrate, quantize, lower, emit). */
  readonly typed_by_stage: Readonly<Record<string, number>>;
  readonly failures: readonly FuzzFailure[];
  /** The failures grouped by kind, stage and message with numbers and names blanked: distinct bugs, most frequent first. */
  readonly distinct_failures: readonly { readonly signature: string; readonly count: number; readonly first: FuzzFailure }[];
  /** Wall time; the one field that varies between identical runs. */
  readonly elapsed_ms: number;
}

/** The worker's entry: tsx compiles the TypeScript worker in its own thread (workers do not inherit loader hooks). */
function workerSource(): string {
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json').replace(/package\.json$/, 'dist/esm/api/index.mjs')).href;
  const worker = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(worker)}, ${JSON.stringify(worker)}));`;
}

/** One worker thread, restarted on demand. */
class CaseWorker {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private settle: ((r: CaseResult | { kind: 'died'; message: string }) => void) | undefined;

  private start(): Promise<void> {
    const w = new Worker(workerSource(), { eval: true, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    this.worker = w;
    this.ready = new Promise<void>((resolve, reject) => {
      let started = false;
      w.on('message', (m: Reply) => {
        if (m.type === 'ready') { started = true; resolve(); return; }
        const settle = this.settle;
        this.settle = undefined;
        settle?.(m.outcome);
      });
      const died = (message: string): void => {
        if (this.worker === w) this.worker = undefined;
        if (!started) { reject(new Error(`fuzz worker failed to start: ${message}`)); return; }
        const settle = this.settle;
        this.settle = undefined;
        settle?.({ kind: 'died', message });
      };
      w.on('error', (e) => died(`${e.name}: ${e.message}${'code' in e ? ` (${String((e as { code: unknown }).code)})` : ''}`));
      w.on('exit', (code) => died(`worker exited with code ${code}`));
    });
    return this.ready;
  }

  async run(job: Job, timeoutMs: number): Promise<CaseResult> {
    if (!this.worker) await this.start();
    else await this.ready;
    const w = this.worker!;
    return new Promise<CaseResult>((resolve) => {
      const timer = setTimeout(() => {
        this.settle = undefined;
        this.worker = undefined;
        void w.terminate();
        resolve({ kind: 'hang', message: `no result within ${timeoutMs} ms` });
      }, timeoutMs);
      this.settle = (r) => {
        clearTimeout(timer);
        resolve(r.kind === 'died' ? { kind: 'crash', message: `the worker died: ${r.message}` } : r);
      };
      w.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

/** Writes `<dir>/<seed>-<case>.onnx` and a `.txt` with the outcome, the mutations and the options. */
export function saveReproducer(dir: string, seed: number, c: FuzzCase, r: CaseResult): string {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${seed}-${c.index}`);
  writeFileSync(`${base}.onnx`, c.bytes);
  const stage = 'stage' in r && r.stage ? r.stage : '';
  const stack = 'stack' in r && r.stack ? r.stack : '';
  writeFileSync(`${base}.txt`, [
    `tilec fuzz reproducer: seed ${seed}, case ${c.index}`,
    `kind: ${r.kind}`,
    `stage: ${stage}`,
    `message: ${r.message ?? ''}`,
    `seed model: ${c.base}`,
    'mutations:',
    ...c.steps.map((s) => `  - ${s}`),
    `options: ${JSON.stringify(c.options)}`,
    `replay: npm run fuzz -- --replay ${path.relative(REPO_ROOT, `${base}.onnx`)}   (or: --seed ${seed} --only ${c.index})`,
    'stack:',
    stack,
    '',
  ].join('\n'));
  return `${base}.onnx`;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const t0 = performance.now();
  const limits = o.limits ?? FUZZ_LIMITS;
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const reproDir = o.reproDir === undefined ? DEFAULT_REPRO_DIR : o.reproDir;
  const counts = { typed: 0, success: 0, crash: 0, hang: 0, mismatch: 0 };
  const byStage: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const worker = new CaseWorker();
  const workDir = mkdtempSync(path.join(tmpdir(), 'tilec-fuzz-'));
  try {
    for (let i = o.from ?? 0; i < o.cases; i++) {
      const c = makeCase(o.seed, i);
      const r = await worker.run({ index: i, bytes: c.bytes, options: c.options, limits, workDir }, timeoutMs);
      counts[r.kind]++;
      if (r.kind === 'typed') byStage[r.stage ?? '?'] = (byStage[r.stage ?? '?'] ?? 0) + 1;
      if (r.kind === 'crash' || r.kind === 'hang' || r.kind === 'mismatch') {
        const repro = reproDir === null ? undefined : saveReproducer(reproDir, o.seed, c, r);
        const stage = 'stage' in r ? r.stage : undefined;
        failures.push({ case: i, kind: r.kind, ...(stage ? { stage } : {}), message: r.message ?? '', ...(repro ? { repro } : {}) });
      }
      o.onCase?.(i, r);
    }
  } finally {
    await worker.close();
    rmSync(workDir, { recursive: true, force: true });
  }
  return {
    seed: o.seed, cases: Math.max(0, o.cases - (o.from ?? 0)), typed_errors: counts.typed, successes: counts.success,
    crashes: counts.crash, hangs: counts.hang, mismatches: counts.mismatch,
    typed_by_stage: Object.fromEntries(Object.entries(byStage).sort(([a], [b]) => (a < b ? -1 : 1))),
    failures, distinct_failures: groupFailures(failures), elapsed_ms: Math.round(performance.now() - t0),
  };
}

/** A failure with its case-specific details (numbers, quoted names) blanked, so one bug counts once. */
export const signature = (f: FuzzFailure): string =>
  `${f.kind} ${f.stage ?? ''}: ${f.message.replace(/'[^']*'/g, "'_'").replace(/\d+(\.\d+)?/g, 'N')}`;

function groupFailures(failures: readonly FuzzFailure[]): FuzzSummary['distinct_failures'] {
  const groups = new Map<string, { signature: string; count: number; first: FuzzFailure }>();
  for (const f of failures) {
    const key = signature(f);
    const g = groups.get(key);
    if (g) g.count++; else groups.set(key, { signature: key, count: 1, first: f });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.first.case - b.first.case);
}

/** True when the run found nothing: no crash, hang or mismatch. */
export const clean = (s: FuzzSummary): boolean => s.crashes === 0 && s.hangs === 0 && s.mismatches === 0;
