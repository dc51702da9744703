import { fail } from '../errors.js';
import { DEFAULT_HISTOGRAM_BINS, Histogram } from './histogram.js';
import type { TensorStats } from './stats.js';

// The running statistics of one tensor. Everything is a running reduction (count, min, max, the first
// batch's max|x|) or a fixed-size histogram, so observing a million samples takes the memory of one.

export interface ObserverOptions {
  /** Keep a histogram (percentile, mse, entropy). */
  readonly histogram: boolean;
  /** Histogram bins (a multiple of 4); default DEFAULT_HISTOGRAM_BINS. */
  readonly bins?: number;
}

export class TensorObserver {
  private count = 0;
  private min = Infinity;
  private max = -Infinity;
  private firstBatchAbsMax = 0;
  private readonly histogram: Histogram | undefined;

  /** `who` names the tensor in errors. */
  constructor(private readonly who: string, opts: ObserverOptions) {
    this.histogram = opts.histogram ? new Histogram(opts.bins ?? DEFAULT_HISTOGRAM_BINS) : undefined;
  }

  /**
   * Adds one sample's values; `batch` is the index of the calibration batch the sample belongs to
   * (only batch 0 feeds the seed's alpha). Non-finite values are an error: no range can contain them.
   */
  observe(data: ArrayLike<number>, batch: number): void {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (v !== v) fail(`calibration: ${this.who} has NaN at element ${i}; a float model that computes NaN cannot be quantized`);
    }
    if (data.length === 0) return;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      fail(`calibration: ${this.who} holds an infinite value (range [${lo}, ${hi}]); a float model that overflows cannot be quantized`);
    }
    const absMax = Math.max(-lo, hi);
    this.count += data.length;
    if (lo < this.min) this.min = lo;
    if (hi > this.max) this.max = hi;
    if (batch === 0 && absMax > this.firstBatchAbsMax) this.firstBatchAbsMax = absMax;
    this.histogram?.add(data, absMax);
  }

  /** The statistics so far, as independent plain data. */
  stats(): TensorStats {
    const empty = this.count === 0;
    return {
      count: this.count,
      min: empty ? 0 : this.min,
      max: empty ? 0 : this.max,
      firstBatchAbsMax: this.firstBatchAbsMax,
      ...(this.histogram ? { histogram: this.histogram.snapshot() } : {}),
    };
  }
}
