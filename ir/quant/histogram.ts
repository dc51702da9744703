import { invariant } from '../errors.js';

// A value histogram whose memory never grows: a fixed number of equal bins over [-R, R], symmetric about 0.
// R is set by the first non-zero data and only ever doubles. Doubling keeps every old bin edge on the new
// grid (bin width 2R/n becomes 4R/n and 0 stays an edge), so two neighbouring old bins merge exactly into
// one new bin: no interpolation, no second pass over the data. Any range that grows across batches (the
// first batch saw [-1.2, 3], a later one 7.5) is handled this way, at the price of resolution: after growth
// the data occupies at least the upper half of each side's bins. (A value exactly at the old edge R was in the
// closed last bin [R - w, R] and stays in the merged bin below R: an error of one old bin width, at most.)

/** The plain data of a histogram, as calibration hands it to the quantization passes. */
export interface HistogramData {
  /** R: the bins cover [-R, R]. 0 while every value seen was 0 (then all of them are in the bin above 0). */
  readonly halfRange: number;
  /** counts[i] = number of values in [-R + i·w, -R + (i+1)·w), w = 2R / counts.length; the last bin includes R. */
  readonly counts: Float64Array;
}

export const DEFAULT_HISTOGRAM_BINS = 4096;

/** Bin width of a histogram (0 while the range is unknown). */
export const binWidth = (h: HistogramData): number => (2 * h.halfRange) / h.counts.length;

/** Centre of bin i. */
export const binCenter = (h: HistogramData, i: number): number => -h.halfRange + (i + 0.5) * binWidth(h);

/** Total number of values counted. */
export function histogramTotal(h: HistogramData): number {
  let n = 0;
  for (let i = 0; i < h.counts.length; i++) n += h.counts[i]!;
  return n;
}

export class Histogram implements HistogramData {
  readonly counts: Float64Array;
  private half = 0;

  /**
   * `bins` equal bins, a multiple of 4 (0 is a bin edge, and doubling merges the halves' pairs). `halfRange` fixes
   * the initial range (e.g. from a first pass over the data); by default the first non-zero data sets it.
   */
  constructor(bins: number = DEFAULT_HISTOGRAM_BINS, halfRange = 0) {
    invariant(Number.isInteger(bins) && bins >= 4 && bins % 4 === 0, `histogram bins must be a multiple of 4 and >= 4, got ${bins}`);
    invariant(halfRange >= 0 && Number.isFinite(halfRange), `histogram range must be finite and >= 0, got ${halfRange}`);
    this.counts = new Float64Array(bins);
    this.half = halfRange;
  }

  get halfRange(): number { return this.half; }

  /**
   * Counts `data`, whose largest |value| is `absMax` (the caller already scanned it). Values must be finite.
   * The range first becomes absMax, later it doubles until absMax fits.
   */
  add(data: ArrayLike<number>, absMax: number): void {
    const n = this.counts.length;
    if (absMax > this.half) this.grow(absMax);
    if (this.half === 0) { this.counts[n / 2] += data.length; return; } // all zeros so far: the bin [0, w)
    const k = n / (2 * this.half), mid = n / 2, last = n - 1;
    const counts = this.counts;
    for (let i = 0; i < data.length; i++) {
      const b = Math.floor(data[i]! * k + mid);
      counts[b < 0 ? 0 : b > last ? last : b]++;
    }
  }

  private grow(absMax: number): void {
    if (this.half === 0) {
      // Zeros counted before the range was known sit in the bin [0, w) of the new range as well.
      this.half = absMax;
      return;
    }
    const n = this.counts.length, quarter = n / 4;
    // Rare (at most a few dozen times per tensor over a whole calibration), so a scratch copy is fine.
    const old = new Float64Array(n);
    while (this.half < absMax) {
      old.set(this.counts);
      this.counts.fill(0);
      // Old bins 2m and 2m+1 are the halves of new bin n/4 + m; the outer quarters of the new range are empty.
      for (let m = 0; m < n / 2; m++) this.counts[quarter + m] = old[2 * m]! + old[2 * m + 1]!;
      this.half *= 2;
    }
  }

  /** An independent copy (calibration returns snapshots, never its live accumulators). */
  snapshot(): HistogramData {
    return { halfRange: this.half, counts: Float64Array.from(this.counts) };
  }
}
