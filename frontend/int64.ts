import { fail } from '../ir/errors.js';

// protobufjs hands 64-bit integers over as Long objects ({ low, high } 32-bit halves), or as plain
// numbers when long.js is absent. tilec holds int64 in doubles, exact for |v| <= 2^53; anything beyond
// is rejected, never rounded (a rounded shape or index would be silently wrong).

export interface LongLike { readonly low: number; readonly high: number; readonly unsigned?: boolean }

const TWO_32 = 4294967296;
const HIGH_LIMIT = 2 ** 21; // |high| above this puts |v| beyond 2^53

/** The exact decimal value of a 64-bit integer given as halves, for error messages only. */
function exactString(low: number, high: number, unsigned: boolean): string {
  const hi = unsigned ? BigInt(high >>> 0) : BigInt(high | 0);
  return ((hi << 32n) + BigInt(low >>> 0)).toString();
}

/** The value of a signed 64-bit integer given as 32-bit halves, or undefined when |v| > 2^53. */
export function int64FromHalves(low: number, high: number, unsigned = false): number | undefined {
  const lo = low >>> 0;
  const hi = unsigned ? high >>> 0 : high | 0;
  if (hi > HIGH_LIMIT || hi < -HIGH_LIMIT || (hi === HIGH_LIMIT && lo !== 0)) return undefined;
  return hi * TWO_32 + lo; // exact: both terms and the sum fit in 53 bits
}

/**
 * A protobuf int64 field as a number, or an error built by `what()` (called only on failure, so callers
 * can name the tensor/attribute without building strings per element).
 */
export function toSafeInt(v: number | LongLike, what: () => string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 53) fail(`${what()} holds the int64 value ${v}, beyond ±2^53, the range tilec represents exactly`);
    return v;
  }
  const n = int64FromHalves(v.low, v.high, v.unsigned ?? false);
  if (n === undefined) fail(`${what()} holds the int64 value ${exactString(v.low, v.high, v.unsigned ?? false)}, beyond ±2^53, the range tilec represents exactly`);
  return n;
}
