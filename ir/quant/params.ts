import { fail } from '../errors.js';
import { type LinearQuant, type UnsignedMapping, qRange, roundHalfEven, seedQuantParams, seedStep } from '../arith.js';
import { type ClipRange, entropyThreshold, mseRange, percentileRange } from './range.js';
import type { CalibMethod, TensorStats } from './stats.js';

// From statistics to (scale, zeroPoint) over signed B-bit codes [Qn, Qp] = [-2^(B-1), 2^(B-1)-1]: the one
// place each calibration method is turned into quantization parameters. Scales are float32 (as ONNX stores
// them, docs/arithmetic.md §1); zero points are integers in [Qn, Qp] and always the code of real 0.
//
// Choices (docs/quantization.md):
// - seed: exactly the seed quantizer (ir/arith seedQuantParams): symmetric step 2·alpha/2^B with
//   alpha = max|x| of the first batch; known non-negative tensors take the always_pos offset (zero point Qn).
// - minmax, percentile, mse: asymmetric [lo, hi] ranges over all 2^B codes (affineQuant). A non-negative
//   tensor then gets lo = 0 and zero point Qn by itself; a skewed signed tensor wastes no codes.
// - entropy: TensorRT's symmetric threshold T, [-T, T] with zero point 0 (scale T/Qp, so +T is a code), or
//   [0, T] over all codes when the tensor is one-sided (known non-negative, or never negative in the data).

/**
 * Parameters of an asymmetric range [lo, hi] (lo <= 0 <= hi, not both 0) over all 2^B codes:
 * scale = f32((hi - lo) / (2^B - 1)), zeroPoint = Qn - round(lo / scale), within [Qn, Qp].
 */
export function affineQuant(range: ClipRange, bits: number): LinearQuant {
  const [qmin, qmax] = qRange(bits, true);
  const { lo, hi } = range;
  if (!(lo <= 0 && hi >= 0 && hi > lo)) fail(`quantization range [${lo}, ${hi}] must contain 0 and be non-empty`);
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const z = qmin - roundHalfEven(lo / scale);
  return { scale, zeroPoint: z < qmin ? qmin : z > qmax ? qmax : z, qmin, qmax };
}

/** Symmetric [-T, T] with zero point 0 and scale f32(T / Qp): +T and -T are codes, Qn is spare. */
export function symmetricQuant(threshold: number, bits: number): LinearQuant {
  const [qmin, qmax] = qRange(bits, true);
  if (!(threshold > 0) || !Number.isFinite(threshold)) fail(`symmetric quantization threshold must be positive and finite, got ${threshold}`);
  return { scale: Math.fround(threshold / qmax), zeroPoint: 0, qmin, qmax };
}

export interface ActivationQuantOptions {
  readonly method: CalibMethod;
  readonly bits: number;
  /** Known non-negative from the graph (a ReLU output, a max-pool of one, ...): the seed's always_pos. */
  readonly nonNegative: boolean;
  /** How the seed method maps always-positive tensors (ir/arith UnsignedMapping). */
  readonly unsignedMapping: UnsignedMapping;
  /** The percentile method's p (default 99.99). */
  readonly percentile: number;
}

export const DEFAULT_PERCENTILE = 99.99;

/**
 * A tensor that was exactly 0 on every calibration sample (a dead ReLU, a zero branch) has no range; any scale
 * represents it exactly. It gets scale 1 and the zero point its method would give a tiny positive range.
 */
function deadTensorQuant(o: ActivationQuantOptions): LinearQuant {
  const [qmin, qmax] = qRange(o.bits, true);
  const oneSided = o.method === 'seed' ? o.nonNegative : true;
  return { scale: 1, zeroPoint: oneSided ? qmin : 0, qmin, qmax };
}

/** The quantization parameters of one activation from its calibration statistics. `who` names it in errors. */
export function activationQuant(s: TensorStats, o: ActivationQuantOptions, who: string): LinearQuant {
  const q = chooseActivationQuant(s, o, who);
  // A range so small that its float32 scale underflows (e.g. Clip(0, 1e-45)) has no int8 representation.
  if (!(q.scale > 0 && Number.isFinite(q.scale))) {
    fail(`${who}: calibrated range [${s.min}, ${s.max}] is too small to quantize at ${o.bits} bits (its float32 scale is ${q.scale})`);
  }
  return q;
}

function chooseActivationQuant(s: TensorStats, o: ActivationQuantOptions, who: string): LinearQuant {
  if (s.count === 0) fail(`calibration saw no values of ${who}`);
  if (o.method === 'seed') {
    return s.firstBatchAbsMax > 0 ? seedQuantParams(s.firstBatchAbsMax, o.bits, o.nonNegative, o.unsignedMapping) : deadTensorQuant(o);
  }
  const lo = Math.min(0, s.min), hi = Math.max(0, s.max);
  if (lo === 0 && hi === 0) return deadTensorQuant(o);
  const h = s.histogram;
  if (!h && o.method !== 'minmax') fail(`calibration statistics of ${who} have no histogram, which method '${o.method}' needs (they were collected for '${'minmax'}' or 'seed'; calibrate with method '${o.method}')`);
  switch (o.method) {
    case 'minmax': return affineQuant({ lo, hi }, o.bits);
    case 'percentile': return nonEmpty(percentileRange(h!, o.percentile, s.min, s.max), { lo, hi }, o.bits);
    case 'mse': return nonEmpty(mseRange(h!, s.min, s.max, (r) => affineQuant(r, o.bits)), { lo, hi }, o.bits);
    case 'entropy': {
      const oneSided = o.nonNegative || s.min >= 0;
      const t = entropyThreshold(h!, oneSided ? 2 ** o.bits : 2 ** (o.bits - 1));
      const limit = oneSided ? hi : Math.max(-lo, hi);
      const threshold = Math.min(t, limit) > 0 ? Math.min(t, limit) : limit;
      return oneSided ? affineQuant({ lo: 0, hi: threshold }, o.bits) : symmetricQuant(threshold, o.bits);
    }
  }
}

/** A selected range that collapsed to 0 (all mass at 0 but a few outliers) falls back to the full range. */
const nonEmpty = (r: ClipRange, full: ClipRange, bits: number): LinearQuant => affineQuant(r.hi > r.lo ? r : full, bits);

/**
 * Symmetric weight scales (zero point 0) from max|w| per tensor or per output channel (`alphas`):
 * the seed method uses the seed's step 2·alpha/2^B (+alpha saturates to Qp, as in the seed); every other
 * method uses alpha/Qp so the largest weight is a code. A channel of all-zero weights takes the largest alpha
 * of the tensor (1 if all are zero): any scale represents 0 exactly, and this keeps its requantization
 * multiplier in the range of its neighbours'.
 */
export function weightScales(alphas: readonly number[], bits: number, method: CalibMethod): number[] {
  const [, qmax] = qRange(bits, true);
  const widest = Math.max(0, ...alphas);
  return alphas.map((a) => {
    const alpha = a > 0 ? a : widest > 0 ? widest : 1;
    const scale = method === 'seed' ? seedStep(alpha, bits) : Math.fround(alpha / qmax);
    if (!(scale > 0)) fail(`weights with max|w| = ${alpha} are too small to quantize at ${bits} bits (the float32 scale underflows to 0)`);
    return scale;
  });
}
