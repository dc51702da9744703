import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BenchContext, BenchSection } from '../section.js';

// The golden tile machine against onnxruntime-node (float), measured in the same child process so both see
// the same machine load: mnist-8 over the MNIST test images with one thread each, and light ResNet-50 at
// batch 1 (onnxruntime with 2 intra-op threads; the tile machine runs one inference on 2 threads too, with
// runtime/tile/parallel's ParallelProgramRunner, and its 1-thread time is reported beside). Compilation is outside the timing; the
// tile time includes quantizing the float input on entry and dequantizing the outputs on exit.

interface MnistChild { images: number; instructions: number; compile_ms: number; ort_ms: number; tile_ms: number; tile_ts_ms: number }
interface ResnetChild { input: string; instructions: number; compile_ms: number; ort_ms: number; tile_ms: number; tile_threads: number; tile_1thread_ms: number; two_threads_identical: boolean }

function runChild<T>(ctx: BenchContext, args: string[]): T {
  const child = path.join(ctx.benchDir, 'children', 'tile-runtime.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, ...args], { cwd: ctx.repoRoot, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`tile-runtime child failed (${args[0]}): ${r.stderr.trim() || `exit ${r.status}`}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

export const tileRuntime: BenchSection = {
  name: 'tile_runtime',
  title: 'Tile machine vs. onnxruntime-node (float)',
  run(ctx) {
    const data: Record<string, unknown> = {};
    const rows: string[][] = [];
    const mnist = ctx.shared('models/mnist-8/model.onnx'), mnistData = ctx.shared('data/mnist');
    if (mnist && mnistData) {
      ctx.log('  mnist-8, 10,000 images, 1 thread each...');
      const r = runChild<MnistChild>(ctx, ['mnist', mnist, mnistData]);
      const ratio = r.tile_ms / r.ort_ms;
      data.mnist8 = {
        images: r.images, instructions_per_image: r.instructions, threads: 1,
        ort_ms: round(r.ort_ms), tile_ms: round(r.tile_ms), tile_ts_kernels_ms_estimated: round(r.tile_ts_ms),
        ort_images_per_s: Math.round((1000 * r.images) / r.ort_ms), tile_images_per_s: Math.round((1000 * r.images) / r.tile_ms),
      };
      data.mnist8_runtime_ratio = round(ratio, 2);
      rows.push(['mnist-8 (10,000 images)', '1 / 1', `${round(r.ort_ms)} ms`, `${round(r.tile_ms)} ms`, round(ratio, 2).toFixed(2), '3']);
    }
    const resnet = ctx.shared('models/light/resnet50/model.onnx');
    if (resnet) {
      ctx.log('  light ResNet-50, batch 1 (compiling takes minutes)...');
      const r = runChild<ResnetChild>(ctx, ['resnet', resnet, '3']);
      // A two-thread run that differs from the one-thread golden run in any output byte or counter is a bug:
      // the headline then falls back to the one-thread time, and the bench says so.
      if (!r.two_threads_identical) ctx.log('  light ResNet-50: the two-thread run DIFFERS from the one-thread run (a bug); the ratio uses one thread');
      const threads = r.two_threads_identical ? r.tile_threads : 1, tileMs = r.two_threads_identical ? r.tile_ms : r.tile_1thread_ms;
      const ratio = tileMs / r.ort_ms;
      data.resnet50 = {
        instructions: r.instructions, ort_threads: 2, tile_threads: threads, ort_ms: round(r.ort_ms), tile_ms: round(tileMs),
        tile_1thread_ms: round(r.tile_1thread_ms), two_threads_identical: r.two_threads_identical, compile_ms: Math.round(r.compile_ms),
      };
      data.resnet50_runtime_ratio = round(ratio, 2);
      rows.push(['light ResNet-50 (batch 1, median of 3)', `2 / ${threads}`, `${round(r.ort_ms)} ms`, `${round(tileMs)} ms`, round(ratio, 2).toFixed(2), '10']);
    }
    return { data, table: { headers: ['model', 'threads ORT / tile', 'onnxruntime', 'tile machine', 'ratio', 'target'], rows } };
  },
};
