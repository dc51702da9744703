import { binWidth, histogramTotal, type HistogramData } from './histogram.js';

// Clip-range selection from a histogram: the percentile, MSE and entropy (KL) methods. Pure functions of the
// histogram; the choice of parameters from the range is in params.ts. Bin centres stand for the values in a
// bin, which is accurate when bins are much narrower than a quantization step (4096 bins over [-R, R] are
// about 8x narrower than an 8-bit step over the same range).

/** A clip range; always lo <= 0 <= hi (real 0 must be a code). */
export interface ClipRange { readonly lo: number; readonly hi: number }

/** Forces 0 into a range and keeps it within the observed [min, max] where that is tighter. */
function settle(lo: number, hi: number, min: number, max: number): ClipRange {
  return { lo: Math.min(0, Math.max(lo, min)), hi: Math.max(0, Math.min(hi, max)) };
}

/**
 * The (100 - p)th and p-th percentiles of the histogrammed values, interpolated linearly inside a bin,
 * then widened to contain 0 and narrowed to [min, max]. p = 100 gives [min(min, 0), max(max, 0)].
 */
export function percentileRange(h: HistogramData, p: number, min: number, max: number): ClipRange {
  const n = h.counts.length, w = binWidth(h);
  const tail = histogramTotal(h) * (1 - p / 100);
  if (h.halfRange === 0) return { lo: 0, hi: 0 };
  let lo = min, hi = max;
  for (let i = 0, cum = 0; i < n; i++) {
    const c = h.counts[i]!;
    if (c > 0 && cum + c >= tail) { lo = -h.halfRange + w * (i + (tail - cum) / c); break; }
    cum += c;
  }
  for (let i = n - 1, cum = 0; i >= 0; i--) {
    const c = h.counts[i]!;
    if (c > 0 && cum + c >= tail) { hi = -h.halfRange + w * (i + 1 - (tail - cum) / c); break; }
    cum += c;
  }
  return settle(lo, hi, min, max);
}

/** A quantizer as the MSE search sees it: code = clamp(round(x / scale) + zeroPoint, qmin, qmax). */
export interface GridQuant { readonly scale: number; readonly zeroPoint: number; readonly qmin: number; readonly qmax: number }

/** Σ count·(x − dequant(quant(x)))² over the bin centres: the histogram's squared quantization error. */
export function histogramSquaredError(h: HistogramData, q: GridQuant): number {
  const n = h.counts.length, w = binWidth(h);
  let err = 0;
  for (let i = 0; i < n; i++) {
    const c = h.counts[i]!;
    if (c === 0) continue;
    const x = -h.halfRange + (i + 0.5) * w;
    let code = Math.round(x / q.scale) + q.zeroPoint;
    code = code < q.qmin ? q.qmin : code > q.qmax ? q.qmax : code;
    const d = x - q.scale * (code - q.zeroPoint);
    err += c * d * d;
  }
  return err;
}

export const MSE_GRID = 128;

/**
 * The clip range [lo, hi] whose quantizer (`quantOf`) has the least squared error on the histogram. Candidates
 * are lo = min·j/G and hi = max·k/G (G = MSE_GRID); the search is coordinate descent from [min, max]: the best
 * lo for the current hi, then the best hi for that lo, until neither moves (a one-sided tensor only moves hi).
 */
export function mseRange(h: HistogramData, min: number, max: number, quantOf: (r: ClipRange) => GridQuant): ClipRange {
  const lo0 = Math.min(0, min), hi0 = Math.max(0, max);
  if (h.halfRange === 0 || (lo0 === 0 && hi0 === 0)) return { lo: lo0, hi: hi0 };
  const errOf = (lo: number, hi: number): number => histogramSquaredError(h, quantOf({ lo, hi }));
  let best = { lo: lo0, hi: hi0 }, bestErr = errOf(lo0, hi0);
  for (let round = 0; round < 8; round++) {
    const before = best;
    if (lo0 < 0) {
      for (let j = 1; j <= MSE_GRID; j++) {
        const lo = (lo0 * j) / MSE_GRID;
        if (best.hi === 0 && lo === 0) continue;
        const e = errOf(lo, best.hi);
        if (e < bestErr) { bestErr = e; best = { lo, hi: best.hi }; }
      }
    }
    if (hi0 > 0) {
      for (let k = 1; k <= MSE_GRID; k++) {
        const hi = (hi0 * k) / MSE_GRID;
        if (best.lo === 0 && hi === 0) continue;
        const e = errOf(best.lo, hi);
        if (e < bestErr) { bestErr = e; best = { lo: best.lo, hi }; }
      }
    }
    if (best === before) break;
  }
  return best;
}

/** Folds the signed histogram into one of |x| with half as many bins over [0, R]. */
export function absHistogram(h: HistogramData): Float64Array {
  const mid = h.counts.length / 2;
  const a = new Float64Array(mid);
  for (let k = 0; k < mid; k++) a[k] = h.counts[mid + k]! + h.counts[mid - 1 - k]!;
  return a;
}

const KL_EPS = 1e-4;

/** Moves a little mass onto the empty bins so that log ratios stay finite (MXNet's smoothing of the KL search). */
function smooth(d: Float64Array): void {
  let zeros = 0;
  for (let j = 0; j < d.length; j++) if (d[j] === 0) zeros++;
  const nonZeros = d.length - zeros;
  if (zeros === 0 || nonZeros === 0) return;
  const take = (KL_EPS * zeros) / nonZeros;
  for (let j = 0; j < d.length; j++) d[j] = d[j] === 0 ? KL_EPS : d[j]! - take;
}

/** KL(P || Q) of two unnormalized distributions over the same bins. */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0, sq = 0;
  for (let j = 0; j < p.length; j++) { sp += p[j]!; sq += q[j]!; }
  let kl = 0;
  for (let j = 0; j < p.length; j++) {
    const pj = p[j]! / sp;
    if (pj > 0) kl += pj * Math.log(pj / (q[j]! / sq));
  }
  return kl;
}

/** At most this many thresholds are tried (evenly spaced); the search is quadratic in the bin count. */
export const ENTROPY_MAX_CANDIDATES = 512;

/**
 * TensorRT's entropy calibration: the |x| threshold T whose `levels`-level quantization of the clipped
 * distribution loses the least information, i.e. minimises KL(P || Q) where P is the |x| histogram cut at T
 * (the mass beyond T added to the last bin) and Q is P's bins merged `levels` at a time and spread back evenly
 * over the bins that were non-empty. levels is 2^(B-1) for a symmetric signed range (TensorRT's 128 for int8)
 * and 2^B for a one-sided [0, T]. The bin at 0 counts as its neighbour (exact zeros cost nothing, see below).
 * Returns the upper edge of the last kept bin.
 */
export function entropyThreshold(h: HistogramData, levels: number): number {
  if (h.halfRange === 0) return 0;
  const abs = absHistogram(h);
  let n = abs.length;
  while (n > 0 && abs[n - 1] === 0) n--;
  const w = binWidth(h);
  if (n <= levels) return n * w;
  // Real 0 is a code of every range we build, so exact zeros (dead ReLUs, padding, black pixels) are
  // reproduced exactly whatever T is: their count must not choose T. Left in, a spike at 0 dominates the
  // KL, because Q spreads it evenly over the non-empty bins of its level; the search then prefers any T
  // whose first level holds nothing but the spike. On discrete data (mnist's integer pixels, one occupied
  // bin per integer) that is T = `levels` integers: [0, 16] at 4 bits, [0, 64] at 6, with top-1 collapsing.
  // As NVIDIA's pytorch-quantization does, the zero bin takes its neighbour's count instead.
  abs[0] = abs[1]!;
  const p = new Float64Array(n), q = new Float64Array(n);
  const stride = Math.max(1, Math.ceil((n - levels + 1) / ENTROPY_MAX_CANDIDATES));
  let bestKl = Infinity, bestI = n;
  for (let i = levels; i <= n; i += stride) {
    const pi = p.subarray(0, i), qi = q.subarray(0, i);
    pi.set(abs.subarray(0, i));
    let outliers = 0;
    for (let j = i; j < n; j++) outliers += abs[j]!;
    pi[i - 1] += outliers;
    for (let g = 0; g < levels; g++) {
      const start = Math.floor((g * i) / levels), end = Math.floor(((g + 1) * i) / levels);
      let sum = 0, nonZero = 0;
      for (let j = start; j < end; j++) { sum += abs[j]!; if (pi[j]! > 0) nonZero++; }
      for (let j = start; j < end; j++) qi[j] = pi[j]! > 0 && nonZero > 0 ? sum / nonZero : 0;
    }
    smooth(pi);
    smooth(qi);
    const kl = klDivergence(pi, qi);
    if (kl < bestKl) { bestKl = kl; bestI = i; }
  }
  return bestI * w;
}
