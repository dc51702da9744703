import type { UnsignedMapping } from '../../ir/arith.js';
import { fail } from '../../ir/errors.js';
import { type CalibMethod, type CalibrationStats, CALIB_METHODS, DEFAULT_PERCENTILE } from '../../ir/quant/index.js';

// The options of the quantization passes, read from PassContext.options (where the CLI puts them) and
// validated once, with errors that name the option and the value.

export interface QuantOptions {
  /** Code width B of activations and weights, 2..8 (stored as int8). Default 8. */
  readonly bits: number;
  /** One weight scale per output channel instead of one per tensor. Default false. */
  readonly perChannel: boolean;
  /** How activation ranges are chosen from the calibration statistics. Default: the statistics' method, else 'seed'. */
  readonly method: CalibMethod;
  /** The seed method's mapping of always-positive tensors ('seed': as the seed; 'full': all codes). Default 'seed'. */
  readonly unsignedMapping: UnsignedMapping;
  /** The percentile method's p, in (50, 100]. Default 99.99. */
  readonly percentile: number;
  /** Statistics from runtime/calibrate.ts on this same float graph; needed for every value not already annotated. */
  readonly calibration?: CalibrationStats;
}

export const DEFAULT_QUANT_OPTIONS: QuantOptions = {
  bits: 8, perChannel: false, method: 'seed', unsignedMapping: 'seed', percentile: DEFAULT_PERCENTILE,
};

const QUANT_KEYS = ['bits', 'perChannel', 'method', 'unsignedMapping', 'percentile', 'calibration'] as const;
export type QuantOptionKey = (typeof QUANT_KEYS)[number];

const shown = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : typeof v === 'object' && v !== null ? 'an object' : String(v));

function isCalibrationStats(v: unknown): v is CalibrationStats {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<CalibrationStats>;
  return s.tensors instanceof Map && typeof s.method === 'string' && typeof s.samples === 'number';
}

/**
 * The quantization options in `options` (other keys belong to other passes and are ignored), with defaults
 * for the missing ones. Throws a TilecError naming the option for a value of the wrong kind or out of range.
 */
export function readQuantOptions(options: Readonly<Record<string, unknown>>): QuantOptions {
  const o = options as Partial<Record<QuantOptionKey, unknown>>;
  const d = DEFAULT_QUANT_OPTIONS;
  const bits = o.bits ?? d.bits;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 8) fail(`quantization option bits must be an integer in 2..8, got ${shown(bits)}`);
  const perChannel = o.perChannel ?? d.perChannel;
  if (typeof perChannel !== 'boolean') fail(`quantization option perChannel must be true or false, got ${shown(perChannel)}`);
  // Statistics know the method they were collected for; an explicit method may still differ (e.g. minmax from entropy's).
  const method = o.method ?? (isCalibrationStats(o.calibration) ? o.calibration.method : d.method);
  if (typeof method !== 'string' || !(CALIB_METHODS as readonly string[]).includes(method)) {
    fail(`quantization option method must be one of ${CALIB_METHODS.join(', ')}, got ${shown(method)}`);
  }
  const unsignedMapping = o.unsignedMapping ?? d.unsignedMapping;
  if (unsignedMapping !== 'seed' && unsignedMapping !== 'full') fail(`quantization option unsignedMapping must be 'seed' or 'full', got ${shown(unsignedMapping)}`);
  const percentile = o.percentile ?? d.percentile;
  if (typeof percentile !== 'number' || !(percentile > 50 && percentile <= 100)) fail(`quantization option percentile must be a number in (50, 100], got ${shown(percentile)}`);
  const calibration = o.calibration;
  if (calibration !== undefined && !isCalibrationStats(calibration)) fail(`quantization option calibration must be the statistics runtime/calibrate.ts returns, got ${shown(calibration)}`);
  return { bits, perChannel, method: method as CalibMethod, unsignedMapping, percentile, ...(calibration ? { calibration } : {}) };
}
