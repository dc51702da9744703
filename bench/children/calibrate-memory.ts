// Child process of the calibration-memory bench: calibrates one model on N samples and prints one JSON line
// with its memory. Run in a fresh process per measurement so one case's heap cannot hide another's peak.
//   node --import tsx bench/children/calibrate-memory.ts MODEL SPEC COUNT METHOD
import { IDENTITY_PREPROCESS } from '../../cli/compile-options.js';
import { loadFloatModel } from '../../cli/model.js';
import { openSamples } from '../../cli/samples.js';
import type { CalibMethod } from '../../ir/quant/index.js';
import { calibrate } from '../../runtime/calibrate.js';
import { evaluateFloat } from '../../runtime/float/index.js';

const [model, spec, countText, method] = process.argv.slice(2) as [string, string, string, CalibMethod];
const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

const g = loadFloatModel(model);
const data = openSamples(spec, g, IDENTITY_PREPROCESS, Number(countText));
const before = process.memoryUsage();
let rssPeak = before.rss, heapPeak = before.heapUsed, buffersPeak = before.arrayBuffers;
const t0 = performance.now();
const stats = calibrate(g, data.feeds, data.size, {
  method,
  // Memory after every node, so the peak inside a forward pass (all live activations) is seen too.
  // Activations are typed arrays: they count in arrayBuffers (external memory), not in heapUsed.
  evaluate: (node, inputs) => {
    const out = evaluateFloat(node, inputs);
    const m = process.memoryUsage();
    if (m.rss > rssPeak) rssPeak = m.rss;
    if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
    if (m.arrayBuffers > buffersPeak) buffersPeak = m.arrayBuffers;
    return out;
  },
});
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({
  samples: stats.samples,
  method,
  tensors: stats.tensors.size,
  seconds: Math.round(seconds * 100) / 100,
  rss_before_calibration_mb: mb(before.rss),
  rss_peak_mb: mb(rssPeak),
  heap_used_peak_mb: mb(heapPeak),
  array_buffers_before_mb: mb(before.arrayBuffers),
  array_buffers_peak_mb: mb(buffersPeak),
  // resourceUsage().maxRSS is in KiB: the process's true high-water mark, between our samples too.
  max_rss_mb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
})}\n`);
