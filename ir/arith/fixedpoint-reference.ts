// The requantization primitives written the obvious way on BigInt, straight from gemmlowp's definitions.
// Too slow for inner loops; it is the definition that fixedpoint.ts is tested against, bit for bit.

const MIN = -(2n ** 31n);
const MAX = 2n ** 31n - 1n;

/** trunc((a*b + nudge) / 2^31), nudge = 2^30 if a*b >= 0 else 1 - 2^30; MIN*MIN saturates to MAX. */
export function saturatingRoundingDoublingHighMulRef(a: number, b: number): number {
  const A = BigInt(a), B = BigInt(b);
  if (A === MIN && B === MIN) return Number(MAX);
  const ab = A * B;
  const nudge = ab >= 0n ? 2n ** 30n : 1n - 2n ** 30n;
  return Number((ab + nudge) / 2n ** 31n); // BigInt division truncates toward zero, like C++
}

/** x / 2^e rounded to nearest, ties away from zero. */
export function roundingDivideByPOTRef(x: number, e: number): number {
  const X = BigInt(x);
  if (e === 0) return x;
  const mag = X < 0n ? -X : X;
  const q = (mag + 2n ** BigInt(e - 1)) >> BigInt(e);
  return Number(X < 0n ? -q : q);
}

export function multiplyByQuantizedMultiplierRef(x: number, multiplier: number, shift: number): number {
  if (shift > 0) {
    let v = BigInt(x) * 2n ** BigInt(shift);
    if (v > MAX) v = MAX;
    if (v < MIN) v = MIN;
    return saturatingRoundingDoublingHighMulRef(Number(v), multiplier);
  }
  return roundingDivideByPOTRef(saturatingRoundingDoublingHighMulRef(x, multiplier), -shift);
}
