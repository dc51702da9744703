import { fail } from '../errors.js';
import { roundHalfEven, qMax, qMin } from './round.js';
import { INT32_MAX, INT32_MIN, quantizeMultiplier, type QuantizedMultiplier } from './fixedpoint.js';

// Float <-> code conversions: ONNX QuantizeLinear/DequantizeLinear on float32, the seed's QAT quantizer,
// its (scale, zeroPoint) form, fused-activation bounds, bias quantization and the requantization
// multiplier of a GEMM/conv. docs/arithmetic.md derives each of them.

/**
 * ONNX QuantizeLinear on one value: saturate(roundHalfEven(f32(x / scale)) + zeroPoint, qmin, qmax).
 * x and scale are float32 values; the quotient is rounded to float32 first, as onnxruntime and the ONNX
 * reference do. NaN quantizes to the zero point (real 0); ±Infinity saturates.
 */
export function quantizeF32(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const r = roundHalfEven(Math.fround(x / scale));
  if (r !== r) return zeroPoint;
  const v = r + zeroPoint;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

/**
 * ONNX DequantizeLinear on one code: f32(f32(q - zeroPoint) * scale). q - zeroPoint is exact for 8/16-bit codes;
 * an int32 code (zero point 0) beyond 2^24 is first rounded to float32, as in the ONNX reference.
 */
export function dequantizeF32(q: number, scale: number, zeroPoint: number): number {
  return Math.fround(Math.fround(q - zeroPoint) * scale);
}

/** Linear quantization of one value range: real = scale * (q - zeroPoint), q in [qmin, qmax]. */
export interface LinearQuant {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}

/**
 * How an always-positive tensor uses the codes.
 * - 'seed': the seed's quantizer as written (off = alpha, step = 2 alpha / 2^B): zero point -2^(B-1);
 *   [0, alpha] uses only the 2^(B-1) + 1 codes Qn..0, the upper half is headroom up to 2 alpha - step.
 * - 'full': [0, alpha] spread across all 2^B codes: scale = alpha / (2^B - 1), zero point Qn.
 */
export type UnsignedMapping = 'seed' | 'full';

/** The seed's step size 2 alpha / 2^B in float32 (exact: a power-of-two division of a float32 alpha). */
export function seedStep(alpha: number, bits: number): number {
  return Math.fround((2 * alpha) / 2 ** bits);
}

/**
 * The seed's Quantizer.forward on one value, in float32 exactly as torch evaluates it:
 * q = clamp(round((x - off) / step), Qn, Qp); returns the code q (signed B-bit).
 */
export function seedCode(x: number, alpha: number, bits: number, alwaysPos: boolean): number {
  const step = seedStep(alpha, bits);
  const off = alwaysPos ? alpha : 0;
  const q = roundHalfEven(Math.fround(Math.fround(x - off) / step));
  const lo = qMin(bits, true), hi = qMax(bits, true);
  return q < lo ? lo : q > hi ? hi : q;
}

/** The seed's fake-quantized value q * step + off, in float32 as torch computes it. */
export function seedFakeQuant(x: number, alpha: number, bits: number, alwaysPos: boolean): number {
  const step = seedStep(alpha, bits);
  return Math.fround(Math.fround(seedCode(x, alpha, bits, alwaysPos) * step) + (alwaysPos ? alpha : 0));
}

/**
 * The seed quantizer as (scale, zeroPoint) over signed B-bit codes [Qn, Qp].
 * Signed tensors: scale = step, zeroPoint = 0. Always-positive tensors: 'seed' gives scale = step and
 * zeroPoint = -alpha/step = -2^(B-1) = Qn exactly; 'full' gives scale = f32(alpha / (2^B - 1)), zeroPoint = Qn.
 * alpha (the first batch's max |x|) must be a positive finite float32 value.
 */
export function seedQuantParams(alpha: number, bits: number, alwaysPos: boolean, mapping: UnsignedMapping = 'seed'): LinearQuant {
  if (!(alpha > 0) || !Number.isFinite(alpha)) fail(`quantizer alpha (max |x|) must be positive and finite, got ${alpha}`);
  const qmin = qMin(bits, true), qmax = qMax(bits, true);
  if (!alwaysPos) return { scale: seedStep(alpha, bits), zeroPoint: 0, qmin, qmax };
  const scale = mapping === 'seed' ? seedStep(alpha, bits) : Math.fround(alpha / (2 ** bits - 1));
  return { scale, zeroPoint: qmin, qmax, qmin };
}

/** Real-valued bounds of an activation fused into a requantization: Relu is { min: 0 }, Relu6 { min: 0, max: 6 }. */
export interface ActivationBounds {
  readonly min?: number;
  readonly max?: number;
}

/**
 * The code range [lo, hi] that a fused activation leaves: the quantized bounds, within the B-bit range.
 * Exact: quantization is monotone, so clamping codes to [Q(min), Q(max)] equals quantizing the clipped value.
 */
export function clampBounds(act: ActivationBounds | undefined, scale: number, zeroPoint: number, bits: number, signed = true): readonly [number, number] {
  const tmin = qMin(bits, signed), tmax = qMax(bits, signed);
  const lo = act?.min === undefined ? tmin : quantizeF32(act.min, scale, zeroPoint, tmin, tmax);
  const hi = act?.max === undefined ? tmax : quantizeF32(act.max, scale, zeroPoint, tmin, tmax);
  if (lo > hi) fail(`activation bounds [${act?.min}, ${act?.max}] leave no code: they quantize to [${lo}, ${hi}] with scale ${scale}, zero point ${zeroPoint}`);
  return [lo, hi];
}

/**
 * A float bias as the int32 that the accumulator starts from: roundHalfEven(b / (scaleX * scaleW)), zero point 0.
 * scaleX * scaleW is exact in float64 (two float32 values). Throws when the code does not fit int32;
 * `who` names the node or tensor for that message.
 */
export function quantizeBias(b: number, scaleX: number, scaleW: number, who = 'bias'): number {
  const q = roundHalfEven(b / (scaleX * scaleW));
  if (!(q >= INT32_MIN && q <= INT32_MAX)) fail(`${who}: bias ${b} at scale ${scaleX}*${scaleW} is ${q}, outside int32`);
  return q;
}

/** The requantization multiplier of a product layer: quantizeMultiplier(scaleX * scaleW / scaleY), in float64. */
export function requantMultiplier(scaleX: number, scaleW: number, scaleY: number): QuantizedMultiplier {
  return quantizeMultiplier((scaleX * scaleW) / scaleY);
}

/**
 * The output multiplier of ONNX's QLinearConv / QLinearMatMul as onnxruntime computes it: f32(f32(sA·sB) / sY).
 * Not tilec's fixed-point rule (requantMultiplier): this is how ONNX models define their own quantized ops.
 */
export function qlinearMultiplierF32(scaleA: number, scaleB: number, scaleY: number): number {
  return Math.fround(Math.fround(scaleA * scaleB) / scaleY);
}

/**
 * ONNX's float requantization of an int32 accumulator (QLinearConv, QLinearMatMul):
 * saturate(roundHalfEven(f32(f32(acc)·multiplier)) + zeroPoint, qmin, qmax), in float32 like onnxruntime.
 */
export function requantizeF32(acc: number, multiplier: number, zeroPoint: number, qmin: number, qmax: number): number {
  const v = roundHalfEven(Math.fround(Math.fround(acc) * multiplier)) + zeroPoint;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}
