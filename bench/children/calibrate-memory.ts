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
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
let heapPeak = process.memoryUsage().heapUsed;
const t0 = performance.now();
const stats = calibrate(g, data.feeds, data.size, {
  method,
  // RSS after every node, so the peak inside a forward pass (all live activations) is seen too;
  // process.memoryUsage.rss() is cheap (no heap walk).
  evaluate: (node, inputs) => {
    const out = evaluateFloat(node, inputs);
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
    return out;
  },
  onProgress: () => {
    const heap = process.memoryUsage().heapUsed;
    if (heap > heapPeak) heapPeak = heap;
  },
});
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({
  samples: stats.samples,
  method,
  tensors: stats.tensors.size,
  seconds: Math.round(seconds * 100) / 100,
  rss_before_calibration_mb: mb(rssBefore),
  rss_peak_mb: mb(rssPeak),
  heap_used_peak_mb: mb(heapPeak),
  // resourceUsage().maxRSS is in KiB: the process's true high-water mark, between our samples too.
  max_rss_mb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
})}\n`);
