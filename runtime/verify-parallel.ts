import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { TilecError } from '../ir/errors.js';
import { workerScriptUrl } from '../ir/worker-url.js';
import type { TileProgram } from '../backend/program.js';
import { evaluateFloat } from './float/index.js';
import type { TileKernels } from './tile/machine.js';
import { ProgramRunner } from './tile/run-program.js';
import { type SampleOutcome, type VerifyResult, type VerifyRun, VerifyAccumulator, verifySamples } from './verify.js';
import type { WorkerInit } from './verify-worker.js';

// verify over worker threads: the main thread reads the samples and hands them out; each worker runs the
// float reference, the integer reference and the tile program on its samples; the main thread folds the
// outcomes strictly in sample order (VerifyAccumulator), so the result equals verifySamples' bit for bit.

export interface ParallelVerifyRun extends Omit<VerifyRun, 'runTile' | 'evaluate'> {
  /** The compiled tile program, run in each worker; absent: (3) is not run. */
  readonly program?: TileProgram;
  readonly kernels?: TileKernels;
  /** Worker threads (default: the available parallelism, at most 2 per the target machine's cores; 1 = this thread). */
  readonly threads?: number;
}

/** Samples handed to one worker before its earlier ones come back (keeps both cores busy, memory bounded). */
const IN_FLIGHT = 4;

export const defaultVerifyThreads = (): number => Math.max(1, Math.min(os.availableParallelism(), 2));

/**
 * Like verifySamples (evaluating with evaluateFloat and the tile program through ProgramRunner, as `tilec
 * verify` does), with the samples spread over worker threads. The result is identical to the single-threaded one.
 */
export async function verifySamplesParallel(run: ParallelVerifyRun): Promise<VerifyResult> {
  const threads = Math.min(run.threads ?? defaultVerifyThreads(), run.samples);
  if (threads <= 1) {
    const tile = run.program === undefined ? undefined : new ProgramRunner(run.program, run.kernels ? { kernels: run.kernels } : {});
    return verifySamples({ ...run, evaluate: evaluateFloat, ...(tile ? { runTile: (feeds) => tile.run(feeds).outputs } : {}) });
  }
  const acc = new VerifyAccumulator(run.float, run.quantized, run.labels, run.program !== undefined);
  const url = workerScriptUrl(import.meta.url, 'verify-worker');
  const workers = Array.from({ length: threads }, () => new Worker(url));
  const init: WorkerInit = { float: run.float, quantized: run.quantized, ...(run.program ? { program: run.program } : {}), ...(run.kernels ? { kernels: run.kernels } : {}) };
  for (const w of workers) w.postMessage({ init });
  try {
    return await new Promise<VerifyResult>((resolve, reject) => {
      const ready = new Map<number, SampleOutcome>();
      let nextToSend = 0, nextToFold = 0, failed = false;
      const send = (w: Worker): void => {
        if (nextToSend >= run.samples) return;
        const index = nextToSend++;
        w.postMessage({ sample: { index, feeds: [...run.feeds(index)] } });
      };
      const fail = (e: Error): void => { if (!failed) { failed = true; reject(e); } };
      for (const w of workers) {
        w.on('message', (m: { outcome: SampleOutcome } | { error: { message: string; tilec: boolean } }) => {
          if (failed) return;
          if ('error' in m) { fail(m.error.tilec ? new TilecError(m.error.message) : new Error(m.error.message)); return; }
          ready.set(m.outcome.index, m.outcome);
          try {
            for (let o = ready.get(nextToFold); o !== undefined; o = ready.get(nextToFold)) {
              ready.delete(nextToFold);
              acc.add(o);
              nextToFold++;
              run.onSample?.(nextToFold);
            }
            if (nextToFold === run.samples) { resolve(acc.result()); return; }
            send(w);
          } catch (e) {
            fail(e as Error);
          }
        });
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => { if (code !== 0) fail(new Error(`verify worker exited with code ${code}`)); });
      }
      try {
        for (let k = 0; k < IN_FLIGHT; k++) for (const w of workers) send(w);
      } catch (e) {
        fail(e as Error);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
