import type { HistogramData } from './histogram.js';

// What calibration measures, as plain data: runtime/calibrate.ts fills it by running the float graph, the
// quantization passes read it (ctx.options.calibration). It lives in ir/ because both sides import it.

/**
 * How an activation's quantization range is chosen from the calibration data (docs/quantization.md):
 * - seed: the seed quantizer: alpha = max|x| over the FIRST calibration batch only, step = 2·alpha/2^B;
 * - minmax: [min, max] over every batch (asymmetric);
 * - percentile: the lower and upper percentile of the histogram (asymmetric);
 * - mse: the clip range [lo, hi] with the smallest quantization mean squared error on the histogram;
 * - entropy: TensorRT's threshold of least KL divergence on the |x| histogram (symmetric, or [0, T]).
 */
export type CalibMethod = 'seed' | 'minmax' | 'percentile' | 'mse' | 'entropy';

export const CALIB_METHODS: readonly CalibMethod[] = ['seed', 'minmax', 'percentile', 'mse', 'entropy'];

/** Methods that choose the range from a histogram (the others need only running min/max). */
export const needsHistogram = (m: CalibMethod): boolean => m === 'percentile' || m === 'mse' || m === 'entropy';

/** Statistics of one float tensor over the calibration samples. Constant size, whatever the sample count. */
export interface TensorStats {
  /** Number of values observed (elements × samples). */
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /** max|x| over the first calibration batch only: the seed's alpha. */
  readonly firstBatchAbsMax: number;
  /** Present when the method needs one. */
  readonly histogram?: HistogramData;
}

export interface CalibrationStats {
  /** The method the statistics were collected for (a histogram method can also serve seed and minmax). */
  readonly method: CalibMethod;
  /** Samples per calibration batch (the seed's "first batch" is the first batchSize samples). */
  readonly batchSize: number;
  /** Samples actually run. */
  readonly samples: number;
  /** Batches started (the last one may be partial). */
  readonly batches: number;
  /** Per float tensor of the calibrated graph, by value name: graph inputs and every float node output. */
  readonly tensors: ReadonlyMap<string, TensorStats>;
  /** Where the statistics were read from when not calibrated just now (e.g. `calibration table 'T.json'`); errors name it. */
  readonly origin?: string;
}
