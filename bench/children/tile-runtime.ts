// Child process of the tile-runtime bench: times one model on the tile machine and on onnxruntime-node in the
// same process, and prints one JSON line. Compilation happens before and outside the timing; the tile time
// covers ProgramRunner.run per sample: quantizing the float input on entry, the tile program, dequantizing
// the outputs on exit (what `tilec run` does per sample). ResNet-50 runs on two threads (ParallelProgramRunner),
// its one-thread time beside it.
//   node --import tsx bench/children/tile-runtime.ts mnist MODEL MNIST_DIR [LIMIT]
//   node --import tsx bench/children/tile-runtime.ts resnet MODEL [REPEATS]
import * as ort from 'onnxruntime-node';
import { IDENTITY_PREPROCESS, resolveCompileOptions } from '../../cli/compile-options.js';
import { openSamples } from '../../cli/samples.js';
import { PASS_NAMES, compileModel } from '../../cli/session.js';
import type { Tensor } from '../../ir/tensor.js';
import { ProgramRunner } from '../../runtime/tile/run-program.js';
import { ParallelProgramRunner } from '../../runtime/tile/parallel/runner.js';
import type { TileKernels } from '../../runtime/tile/machine.js';

const [kind, model, ...rest] = process.argv.slice(2) as [string, string, ...string[]];
const quiet = { line: (): void => {}, print: (): void => {} };

function ortFeeds(feeds: ReadonlyMap<string, Tensor>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [name, t] of feeds) out[name] = new ort.Tensor('float32', t.data as Float32Array, [...t.shape]);
  return out;
}

/** Wall-clock milliseconds of `f` (synchronous). */
function timeSync(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const compiled = compileModel(model, resolveCompileOptions({}, PASS_NAMES), quiet);
  const compileMs = performance.now() - t0;
  const instructions = compiled.program.code.length / 32;
  if (kind === 'mnist') {
    const [dir, limitText] = rest as [string, string | undefined];
    const data = openSamples(`mnist:${dir}`, compiled.float, IDENTITY_PREPROCESS, limitText === undefined ? undefined : Number(limitText));
    const feeds = Array.from({ length: data.size }, (_, i) => data.feeds(i));
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    const ortInputs = feeds.map(ortFeeds);
    for (let i = 0; i < Math.min(100, ortInputs.length); i++) await session.run(ortInputs[i]!); // warm-up
    const o0 = performance.now();
    for (const f of ortInputs) await session.run(f);
    const ortMs = performance.now() - o0;
    const tile: Record<string, number> = {};
    for (const kernels of ['wasm', 'ts'] as TileKernels[]) {
      const runner = new ProgramRunner(compiled.program, { kernels });
      const n = kernels === 'ts' ? Math.min(1000, feeds.length) : feeds.length; // the reference path on a tenth
      for (let i = 0; i < Math.min(20, n); i++) runner.run(feeds[i]!);
      tile[kernels] = timeSync(() => { for (let i = 0; i < n; i++) runner.run(feeds[i]!); }) * (feeds.length / n);
    }
    process.stdout.write(`${JSON.stringify({ images: feeds.length, instructions, compile_ms: compileMs, ort_ms: ortMs, tile_ms: tile.wasm, tile_ts_ms: tile.ts })}\n`);
    return;
  }
  const repeats = Number(rest[0] ?? 3);
  const input = compiled.float.inputs[0]!;
  const feeds = openSamples('random:1:0', compiled.float, IDENTITY_PREPROCESS).feeds(0);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential' });
  const inputs = ortFeeds(feeds);
  for (let i = 0; i < 3; i++) await session.run(inputs);
  const ortTimes: number[] = [];
  for (let i = 0; i < Math.max(repeats, 10); i++) { const s = performance.now(); await session.run(inputs); ortTimes.push(performance.now() - s); }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const timeRuns = (runner: { run(f: typeof feeds): unknown }): number => {
    runner.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) times.push(timeSync(() => runner.run(feeds)));
    return median(times);
  };
  const single = new ProgramRunner(compiled.program);
  const oneThreadMs = timeRuns(single);
  // One inference on two threads, like onnxruntime's two intra-op threads (runtime/tile/parallel).
  const parallel = await ParallelProgramRunner.create(compiled.program, { threads: 2 });
  const tileMs = timeRuns(parallel);
  // The figure only counts if the two-thread run is the golden run: same output bytes and counters.
  const identical = JSON.stringify(summarize(parallel.run(feeds))) === JSON.stringify(summarize(single.run(feeds)));
  await parallel.close();
  process.stdout.write(`${JSON.stringify({ input, instructions, compile_ms: compileMs, ort_ms: median(ortTimes), tile_ms: tileMs, tile_threads: parallel.threads, tile_1thread_ms: oneThreadMs, two_threads_identical: identical })}\n`);
}

/** Output bytes (as hex) and counters of one run, for comparing two runners. */
function summarize(r: { outputs: ReadonlyMap<string, Tensor>; counters: unknown }): unknown {
  const outs = [...r.outputs].map(([name, t]) => [name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')]);
  return { outs, counters: r.counters };
}

await main();
