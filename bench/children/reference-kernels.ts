// Child process of the reference-kernels bench: times one model's forward pass through the float reference
// (runGraph + evaluateFloat) and, with --int, through the untiled integer reference (the realized int8 graph,
// calibrated on one seeded random sample). Prints one JSON line: milliseconds per sample (wall and CPU, after one
// untimed warm-up pass whose CPU time is reported separately), the share of the
// time per op type, and an FNV-1a hash of the bytes of every
// value computed for sample 0 (equal hashes = bit-identical results).
//   node --import tsx bench/children/reference-kernels.ts MODEL DATA_SPEC PASSES [--int] [--dump FILE]
// --dump writes ~512 evenly spaced elements of every value of sample 0 as JSON (before/after diffs).
import { writeFileSync } from 'node:fs';
import { IDENTITY_PREPROCESS } from '../../cli/compile-options.js';
import { loadFloatModel } from '../../cli/model.js';
import { realize } from '../../cli/quantize.js';
import { openSamples } from '../../cli/samples.js';
import type { Evaluate, Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { calibrate } from '../../runtime/calibrate.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';

const args = process.argv.slice(2);
const [model, spec, countText] = args as [string, string, string];
const int = args.includes('--int');
const dumpAt = args.indexOf('--dump');
const dump = dumpAt >= 0 ? args[dumpAt + 1] : undefined;

const float = loadFloatModel(model);
let graph: Graph = float;
if (int) {
  const calib = openSamples('random:1:0', float, IDENTITY_PREPROCESS);
  const stats = calibrate(float, calib.feeds, 1, { method: 'minmax' });
  graph = realize(float, stats, { bits: 8, perChannel: true, calibMethod: 'minmax', unsignedMapping: 'seed' });
}
const data = openSamples(spec, graph, IDENTITY_PREPROCESS, Number(countText));
// PASSES may exceed the samples the spec holds (a pb: directory holds one): the samples are then cycled.
const passes = Number(countText);

const perOp = new Map<string, number>();
const timed: Evaluate = (node, inputs) => {
  const t0 = performance.now();
  const out = evaluateFloat(node, inputs);
  perOp.set(node.op, (perOp.get(node.op) ?? 0) + performance.now() - t0);
  return out;
};

let hash = 0x811c9dc5;
const hashBytes = (t: Tensor): void => {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193) >>> 0;
};

// Every computed value, not only the outputs: the light models' constant weights make their final
// softmax uniform, so only the intermediates can show a changed sum.
const values: Record<string, number[]> = {};
const onValue = (name: string, t: Tensor): void => {
  hashBytes(t);
  if (!dump) return;
  const stride = Math.max(1, Math.floor(t.data.length / 512));
  const picked: number[] = [];
  for (let i = 0; i < t.data.length; i += stride) picked.push(t.data[i]!);
  values[name] = picked;
};
// One untimed pass first: the first sample also pays V8's compilation of every kernel, which a
// calibration or verify run over many samples pays once. It also hashes (and dumps) every value of
// sample 0, which the timed passes then do not pay for.
const cold0 = process.cpuUsage();
runGraph(graph, data.feeds(0), evaluateFloat, { onValue });
const cold = process.cpuUsage(cold0);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < passes; i++) {
  runGraph(graph, data.feeds(i % data.size), timed);
}
const ms = (performance.now() - t0) / passes;
// CPU time too: on a shared machine the wall clock also counts the other processes' turns.
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000 / passes;
if (dump) writeFileSync(dump, JSON.stringify(values));
const total = [...perOp.values()].reduce((a, b) => a + b, 0);
const ops = Object.fromEntries([...perOp].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([op, t]) => [op, Math.round((t / total) * 1000) / 10]));
process.stdout.write(`${JSON.stringify({ passes, ms_per_sample: Math.round(ms), cpu_ms_per_sample: Math.round(cpuMs), first_pass_cpu_ms: Math.round((cold.user + cold.system) / 1000), op_share_percent: ops, output_hash: hash.toString(16).padStart(8, '0') })}\n`);
