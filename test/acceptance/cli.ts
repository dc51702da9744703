import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { main } from '../../cli/tilec.js';
import { REPO_ROOT } from '../helpers/shared.js';
import type { VerifyDoc } from '../../cli/commands/verify.js';

// The acceptance tests run tilec in-process (no process start, no tsx transform per call) exactly as a user
// would from the shell, and print one line per command with its wall time, so a CI log carries the
// measurements. Nothing asserts on time (conventions: performance lives in `npm run bench`).

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly seconds: number;
}

export async function tilec(...args: string[]): Promise<CliRun> {
  let out = '', err = '';
  const start = performance.now();
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  const seconds = (performance.now() - start) / 1000;
  console.log(`tilec ${args.map((a) => path.isAbsolute(a) ? path.basename(a) : a).join(' ')}: exit ${code}, ${seconds.toFixed(1)} s`);
  return { code, out, err, seconds };
}

/**
 * tilec as its own process (node + tsx, default heap), for a model that may exhaust memory: a crash then
 * fails this one test with node's message instead of killing the test worker and every test in it.
 */
export function tilecProcess(...args: string[]): Promise<CliRun> {
  const start = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'cli/tilec.ts'), ...args], { cwd: REPO_ROOT, env: { ...process.env, TILEC_DEBUG: '' } });
  let out = '', err = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => { out += t; });
  child.stderr.setEncoding('utf8').on('data', (t: string) => { err += t; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - start) / 1000;
      console.log(`tilec ${args.map((a) => path.isAbsolute(a) ? path.basename(a) : a).join(' ')} (process): exit ${code ?? signal}, ${seconds.toFixed(1)} s`);
      // Killed (e.g. SIGABRT when V8 runs out of heap): no exit code; say which signal in stderr.
      resolve({ code: code ?? -1, out, err: signal ? `${err}\n(tilec process killed by ${signal})` : err, seconds });
    });
  });
}

export type Runner = (...args: string[]) => Promise<CliRun>;

/** `tilec ... --json` that must succeed: its JSON document (stderr's end in the failure message otherwise). */
export async function tilecJson<T>(...args: string[]): Promise<T> {
  return jsonOf<T>(await tilec(...args, '--json'), args);
}

export async function tilecJsonWith<T>(run: Runner, ...args: string[]): Promise<T> {
  return jsonOf<T>(await run(...args, '--json'), args);
}

function jsonOf<T>(r: CliRun, args: readonly string[]): T {
  if (r.code !== 0) throw new Error(`tilec ${args.join(' ')} exited ${r.code}: ${r.err.trim().slice(-2000)}`);
  return JSON.parse(r.out) as T;
}

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `tilec-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The fields of `tilec verify --json` the acceptance criteria read (cli-contract.md). */
export type VerifyJson = Pick<VerifyDoc, 'samples' | 'float_top1' | 'int8_top1' | 'top1_agreement' | 'bit_exact' | 'mismatched_samples' | 'max_abs_error'>;

/** The fields of `tilec compile --json` the acceptance criteria read (cli-contract.md, cli/README.md). */
export interface CompileJson {
  readonly tile: number;
  readonly files: readonly string[];
  readonly layers: readonly { readonly name: string; readonly kind: 'tile' | 'host'; readonly macs: number }[];
  readonly totals: {
    readonly tile_ops: number; readonly macs: number; readonly dram_bytes: number;
    readonly cycles: number; readonly ideal_cycles: number; readonly utilization: number;
  };
}
