import type { Evaluate, Graph } from '../ir/graph.js';
import { isFloat } from '../ir/dtype.js';
import { fail } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import { type CalibMethod, type CalibrationStats, CALIB_METHODS, type TensorStats, TensorObserver, needsHistogram } from '../ir/quant/index.js';
import { evaluateFloat } from './float/index.js';
import { runGraph } from './interpreter.js';

// Calibration: runs the float graph on sample inputs and keeps, per float tensor, running statistics (count,
// min, max, the first batch's max|x|) and, for the histogram methods, a fixed-size histogram. No activation is
// ever stored, so memory is the graph's live activations plus a constant per tensor, however many samples run.

/** Samples as an iterable of feeds (one tensor per graph input), or a function from index to feeds. */
export type SampleSource = Iterable<ReadonlyMap<string, Tensor>> | ((index: number) => ReadonlyMap<string, Tensor>);

/**
 * Samples per calibration batch unless told otherwise. The seed quantizer fixes alpha on its first training
 * batch; 32 is a common training batch size, and small enough that the first batch is cheap to run.
 */
export const DEFAULT_CALIB_BATCH_SIZE = 32;

export interface CalibrateOptions {
  readonly method: CalibMethod;
  /** Samples per batch; default DEFAULT_CALIB_BATCH_SIZE. The seed method reads only the first batch. */
  readonly batchSize?: number;
  /** Histogram bins (a multiple of 4), for percentile/mse/entropy; default DEFAULT_HISTOGRAM_BINS. */
  readonly bins?: number;
  /** Node evaluator; default the float reference (runtime/float). */
  readonly evaluate?: Evaluate;
  /** Called after every sample with (samples done, samples to run); the CLI draws its progress bar from it. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Runs up to `count` samples through `g` and returns per-tensor statistics for every graph input and every
 * float node output. With method 'seed' only the first batch runs: the seed fixes alpha = max|x| there and
 * never looks at later data, so running more would change nothing.
 */
export function calibrate(g: Graph, samples: SampleSource, count: number, opts: CalibrateOptions): CalibrationStats {
  const batchSize = opts.batchSize ?? DEFAULT_CALIB_BATCH_SIZE;
  if (!CALIB_METHODS.includes(opts.method)) fail(`calibration method '${String(opts.method)}' is unknown (expected ${CALIB_METHODS.join(', ')})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`calibration batch size must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(count) || count < 1) fail(`calibration needs at least one sample, got a count of ${count}`);
  const total = opts.method === 'seed' ? Math.min(count, batchSize) : count;
  const evaluate = opts.evaluate ?? evaluateFloat;
  const observerOpts = { histogram: needsHistogram(opts.method), bins: opts.bins };

  const observers = new Map<string, TensorObserver>();
  let batch = 0;
  const observe = (name: string, t: Tensor): void => {
    if (!isFloat(t.dtype)) return;
    let o = observers.get(name);
    if (!o) { o = new TensorObserver(`tensor '${name}'`, observerOpts); observers.set(name, o); }
    o.observe(t.data, batch);
  };

  let done = 0;
  for (const feeds of sampleIterator(samples, total)) {
    batch = Math.floor(done / batchSize);
    for (const name of g.inputs) {
      const t = feeds.get(name);
      if (t) observe(name, t); // a missing feed is reported by runGraph
    }
    runGraph(g, feeds, evaluate, { onValue: observe });
    done++;
    opts.onProgress?.(done, total);
  }
  if (done === 0) fail('calibration got no samples: the sample source is empty');

  const tensors = new Map<string, TensorStats>();
  for (const [name, o] of observers) tensors.set(name, o.stats());
  return { method: opts.method, batchSize, samples: done, batches: Math.ceil(done / batchSize), tensors };
}

function* sampleIterator(samples: SampleSource, total: number): Generator<ReadonlyMap<string, Tensor>> {
  if (typeof samples === 'function') {
    for (let i = 0; i < total; i++) yield samples(i);
    return;
  }
  const it = samples[Symbol.iterator]();
  try {
    for (let i = 0; i < total; i++) {
      const r = it.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    it.return?.();
  }
}
