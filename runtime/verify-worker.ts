import { parentPort } from 'node:worker_threads';
import { TilecError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { TileProgram } from '../backend/program.js';
import { evaluateFloat } from './float/index.js';
import type { TileKernels } from './tile/machine.js';
import { ProgramRunner } from './tile/run-program.js';
import { SampleEvaluator } from './verify.js';

// A verify worker (runtime/verify-parallel.ts): receives the graphs and the program once, then samples'
// feeds, and answers each with its SampleOutcome. It evaluates with evaluateFloat, as `tilec verify` does.

export interface WorkerInit { readonly float: Graph; readonly quantized: Graph; readonly program?: TileProgram; readonly kernels?: TileKernels }
export interface WorkerSample { readonly index: number; readonly feeds: readonly (readonly [string, Tensor])[] }

const port = parentPort;
if (port !== null) {
  let evaluator: SampleEvaluator | undefined;
  port.on('message', (m: { init: WorkerInit } | { sample: WorkerSample }) => {
    try {
      if ('init' in m) {
        const { float, quantized, program, kernels } = m.init;
        const tile = program === undefined ? undefined : new ProgramRunner(program, kernels ? { kernels } : {});
        evaluator = new SampleEvaluator(float, quantized, evaluateFloat, tile === undefined ? undefined : (feeds) => tile.run(feeds).outputs);
        return;
      }
      const o = evaluator!.run(m.sample.index, new Map(m.sample.feeds));
      port.postMessage({ outcome: o }, [o.sums.buffer as ArrayBuffer, o.outputErrors.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ error: { message: e instanceof Error ? e.message : String(e), tilec: e instanceof TilecError } });
    }
  });
}
