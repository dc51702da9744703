import type { DType } from '../dtype.js';
import type { DequantizeAttrs, QAddAttrs, QuantizeAttrs, RequantAttrs } from '../ops.js';

// Attribute checks of tilec's integer ops, shared by shape inference and the integer kernels
// (runtime/int) so both reject the same attributes with the same words. Each check reports through
// `bad`, which prefixes the node's label and throws.

export type Bad = (message: string) => never;

export const INT8_MIN = -128;
export const INT8_MAX = 127;
const INT32_MIN = -2147483648, INT32_MAX = 2147483647;
/** A Q31 multiplier is 0 or in [2^30, 2^31) (ir/arith quantizeMultiplier). */
const MULT_MIN = 2 ** 30, MULT_END = 2 ** 31;

/** An integer attribute within [lo, hi]. */
export function checkIntAttr(bad: Bad, name: string, v: number, lo: number, hi: number): void {
  if (!(Number.isInteger(v) && v >= lo && v <= hi)) bad(`attribute ${name} = ${v} must be an integer in [${lo}, ${hi}]`);
}

/** One (multiplier, shift) pair as quantizeMultiplier produces it. */
function checkMultiplier(bad: Bad, mName: string, m: number, sName: string, s: number): void {
  if (!(m === 0 || (Number.isInteger(m) && m >= MULT_MIN && m < MULT_END))) bad(`attribute ${mName} = ${m} must be 0 or an integer in [2^30, 2^31) (a Q31 multiplier)`);
  checkIntAttr(bad, sName, s, -31, 30);
}

/** [qmin, qmax] is a non-empty int8 code range. */
function checkClamp(bad: Bad, qmin: number, qmax: number): void {
  checkIntAttr(bad, 'qmin', qmin, INT8_MIN, INT8_MAX);
  checkIntAttr(bad, 'qmax', qmax, INT8_MIN, INT8_MAX);
  if (qmin > qmax) bad(`qmin ${qmin} > qmax ${qmax}: the clamp leaves no code`);
}

/**
 * Requantization attributes: multiplier and shift of one length, 1 (per tensor) or `channels` (one per
 * `what`), each pair valid; zero point and clamp bounds within int8.
 */
export function checkRequantAttrs(bad: Bad, a: RequantAttrs, channels: number, what: string): void {
  const n = a.multiplier.length;
  if (a.shift.length !== n) bad(`multiplier has ${n} entries but shift has ${a.shift.length}; they must match`);
  if (n !== 1 && n !== channels) bad(`multiplier has ${n} entries, expected 1 (per tensor) or ${channels} (one per ${what})`);
  for (let i = 0; i < n; i++) checkMultiplier(bad, `multiplier[${i}]`, a.multiplier[i]!, `shift[${i}]`, a.shift[i]!);
  checkIntAttr(bad, 'zeroPoint', a.zeroPoint, INT8_MIN, INT8_MAX);
  checkClamp(bad, a.qmin, a.qmax);
}

export function checkQAddAttrs(bad: Bad, a: QAddAttrs): void {
  // |q - z| <= 255, and 255 * 2^leftShift must stay within int32 for the fixed-point multiply.
  checkIntAttr(bad, 'leftShift', a.leftShift, 0, 23);
  checkMultiplier(bad, 'aMultiplier', a.aMultiplier, 'aShift', a.aShift);
  checkMultiplier(bad, 'bMultiplier', a.bMultiplier, 'bShift', a.bShift);
  checkMultiplier(bad, 'outMultiplier', a.outMultiplier, 'outShift', a.outShift);
  checkIntAttr(bad, 'aZeroPoint', a.aZeroPoint, INT8_MIN, INT8_MAX);
  checkIntAttr(bad, 'bZeroPoint', a.bZeroPoint, INT8_MIN, INT8_MAX);
  checkIntAttr(bad, 'zeroPoint', a.zeroPoint, INT8_MIN, INT8_MAX);
  checkClamp(bad, a.qmin, a.qmax);
}

/** A finite, positive scale. */
function checkScale(bad: Bad, s: number): void {
  if (!(Number.isFinite(s) && s > 0)) bad(`attribute scale = ${s} must be finite and > 0`);
}

export function checkQuantizeAttrs(bad: Bad, a: QuantizeAttrs): void {
  checkScale(bad, a.scale);
  checkIntAttr(bad, 'zeroPoint', a.zeroPoint, INT8_MIN, INT8_MAX);
  checkClamp(bad, a.qmin, a.qmax);
}

/** Dequantize reads int8 codes, or int32 accumulators/biases. */
export function checkDequantizeAttrs(bad: Bad, a: DequantizeAttrs, input: DType): void {
  checkScale(bad, a.scale);
  const [lo, hi] = input === 'int32' ? [INT32_MIN, INT32_MAX] : [INT8_MIN, INT8_MAX];
  checkIntAttr(bad, 'zeroPoint', a.zeroPoint, lo, hi);
}
