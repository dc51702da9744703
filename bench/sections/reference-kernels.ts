import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BenchContext, BenchSection } from '../section.js';

// Speed of the reference runtime (runtime/float and runtime/int through runGraph): the float forward pass
// that calibration and `tilec verify` run per sample, and the untiled integer reference verify compares the
// tile machine with. Each case runs in its own child process (bench/children/reference-kernels.ts), which
// reports wall and CPU milliseconds per sample after a warm-up pass (on a shared machine the CPU time is the
// steadier figure),
// the op types taking the most time, and a hash of every computed value (equal hashes across commits =
// bit-identical results).

interface ChildResult {
  passes: number; ms_per_sample: number; cpu_ms_per_sample: number; first_pass_cpu_ms: number;
  op_share_percent: Record<string, number>; output_hash: string;
}

interface Case { label: string; model: string; spec: string; passes: number; int: boolean }

function runChild(ctx: BenchContext, c: Case): ChildResult {
  const child = path.join(ctx.benchDir, 'children', 'reference-kernels.ts');
  const args = ['--import', 'tsx', child, c.model, c.spec, String(c.passes), ...(c.int ? ['--int'] : [])];
  const r = spawnSync(process.execPath, args, { cwd: ctx.repoRoot, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`reference-kernels child failed for ${c.label}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

export const referenceKernels: BenchSection = {
  name: 'reference_kernels',
  title: 'Reference runtime per sample (float interpreter, untiled integer reference)',
  run(ctx) {
    const cases: Case[] = [];
    const mnist = ctx.shared('models/mnist-8/model.onnx'), mnistData = ctx.shared('data/mnist');
    if (mnist && mnistData) cases.push({ label: 'mnist-8 float', model: mnist, spec: `mnist:${mnistData}`, passes: 1000, int: false });
    for (const name of ['resnet50', 'vgg19']) {
      const model = ctx.shared(`models/light/${name}/model.onnx`), dir = ctx.shared(`models/light/${name}`);
      if (!model || !dir) continue;
      cases.push({ label: `light ${name} float`, model, spec: `pb:${dir}`, passes: name === 'vgg19' ? 2 : 3, int: false });
      // Quantized on one seeded random sample, as `tilec verify --calib random:1` would.
      if (name === 'resnet50') cases.push({ label: `light ${name} int8 reference`, model, spec: `pb:${dir}`, passes: 3, int: true });
    }
    const rows = cases.map((c) => {
      ctx.log(`  ${c.label}: ${c.passes} pass(es)...`);
      return { case: c.label, ...runChild(ctx, c) };
    });
    const table = rows.map((r) => [
      r.case, String(r.passes), String(r.ms_per_sample), String(r.cpu_ms_per_sample), String(r.first_pass_cpu_ms),
      Object.entries(r.op_share_percent).slice(0, 3).map(([op, p]) => `${op} ${p}%`).join(', '), r.output_hash,
    ]);
    return {
      data: { cases: rows },
      table: { headers: ['case', 'passes', 'ms/sample', 'CPU ms/sample', 'first pass CPU ms (warm-up, hashing)', 'top ops', 'values hash'], rows: table },
    };
  },
};
