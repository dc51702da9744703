// int8 top-1 of mnist-8 on the 10,000 MNIST test images for every calibration method × per-tensor/per-channel
// weights × 8, 6 and 4 bits (calibrated on the same images, as `tilec verify ... --calib mnist:...` does).
//   npx tsx bench/quant-sweep.ts [--json]      (about half an hour on 2 cores; writes bench/quant-sweep.json)
// Calibration statistics do not depend on bits or weight granularity, so each method calibrates once.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CALIB_METHODS, IDENTITY_PREPROCESS } from '../cli/compile-options.js';
import { loadFloatModel } from '../cli/model.js';
import { calibrateSamples, realize } from '../cli/quantize.js';
import { openSamples } from '../cli/samples.js';
import { formatTable } from '../cli/table.js';
import { evaluateFloat } from '../runtime/float/index.js';
import { runGraph } from '../runtime/interpreter.js';
import { argmax } from '../runtime/metrics.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const shared = path.resolve(benchDir, '../../shared');
const modelFile = path.join(shared, 'models/mnist-8/model.onnx');
const spec = `mnist:${path.join(shared, 'data/mnist')}`;
const json = process.argv.includes('--json');

const float = loadFloatModel(modelFile);
const data = openSamples(spec, float, IDENTITY_PREPROCESS);
const labels = data.labels!;
const out = float.outputs[0]!;

function top1(g: typeof float): number {
  let correct = 0;
  for (let i = 0; i < data.size; i++) if (argmax(runGraph(g, data.feeds(i), evaluateFloat).get(out)!.data) === labels[i]) correct++;
  return correct / data.size;
}

const rows: { method: string; weights: string; bits: number; int8_top1: number }[] = [];
process.stderr.write(`float top-1 ${top1(float)}\n`);
for (const method of CALIB_METHODS) {
  const stats = calibrateSamples(float, data, { calibMethod: method });
  for (const perChannel of [false, true]) {
    for (const bits of [8, 6, 4]) {
      const g = realize(float, stats, { bits, perChannel, calibMethod: method, unsignedMapping: 'seed' });
      const row = { method, weights: perChannel ? 'per-channel' : 'per-tensor', bits, int8_top1: top1(g) };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
}
writeFileSync(path.join(benchDir, 'quant-sweep.json'), `${JSON.stringify({ model: modelFile, data: spec, samples: data.size, rows }, null, 2)}\n`);
if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  process.stdout.write(formatTable(['method', 'weights', 'bits', 'int8 top-1'],
    rows.map((r) => [r.method, r.weights, String(r.bits), `${(100 * r.int8_top1).toFixed(2)}%`]), new Set([2, 3])));
}
