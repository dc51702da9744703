import { fail } from '../errors.js';
import type { HistogramData } from './histogram.js';
import { CALIB_METHODS, type CalibMethod, type CalibrationStats, type TensorStats, needsHistogram } from './stats.js';

// The calibration table (docs/quantization.md, "Calibration tables"): CalibrationStats as JSON, so a compile can
// skip the float inference of calibration and still build exactly the same quantized graph. It stores the
// statistics, not the scales chosen from them: bits, per-channel weights, the unsigned mapping and the percentile
// are applied after calibration, so one table serves all of them. Numbers are written with their shortest
// round-trip text (and -0 as -0), so parsing gives back the very same doubles.

export const CALIB_TABLE_FORMAT = 'tilec-calibration-table';
export const CALIB_TABLE_VERSION = 1;

/**
 * A parsed table: the statistics, the calibration data spec they came from (e.g. `random:8:0`) and the shapes
 * of the calibrated graph's inputs (statistics of a graph fed other shapes, e.g. another --input-shape, differ).
 */
export interface CalibrationTable {
  readonly spec: string;
  readonly inputs: ReadonlyMap<string, readonly number[]>;
  readonly stats: CalibrationStats;
}

const num = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

function histogramJson(h: HistogramData): string {
  const parts = new Array<string>(h.counts.length);
  for (let i = 0; i < h.counts.length; i++) parts[i] = num(h.counts[i]!);
  return `{"halfRange":${num(h.halfRange)},"counts":[${parts.join(',')}]}`;
}

function tensorJson(s: TensorStats): string {
  const h = s.histogram ? `,"histogram":${histogramJson(s.histogram)}` : '';
  return `{"count":${num(s.count)},"min":${num(s.min)},"max":${num(s.max)},"firstBatchAbsMax":${num(s.firstBatchAbsMax)}${h}}`;
}

/**
 * The table text of `stats` (one tensor per line, in the statistics' order), collected on data `spec` by a graph
 * whose inputs have the shapes `inputs`.
 */
export function calibrationTableJson(stats: CalibrationStats, spec: string, inputs: ReadonlyMap<string, readonly number[]>): string {
  const shapes = [...inputs].map(([name, shape]) => `${JSON.stringify(name)}:[${shape.join(',')}]`).join(',');
  const head = [
    `  "format": ${JSON.stringify(CALIB_TABLE_FORMAT)},`,
    `  "version": ${CALIB_TABLE_VERSION},`,
    `  "method": ${JSON.stringify(stats.method)},`,
    `  "calibration": {"spec":${JSON.stringify(spec)},"samples":${stats.samples},"batchSize":${stats.batchSize},"batches":${stats.batches}},`,
    `  "inputs": {${shapes}},`,
  ];
  const rows = [...stats.tensors].map(([name, s]) => `    ${JSON.stringify(name)}: ${tensorJson(s)}`);
  return `{\n${head.join('\n')}\n  "tensors": {\n${rows.join(',\n')}\n  }\n}\n`;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a table's text; `who` names it in errors (`calibration table 'T.json'`). Every malformed or missing
 * field is a TilecError naming the field (and the tensor).
 */
export function parseCalibrationTable(text: string, who: string): CalibrationTable {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    fail(`${who} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(root)) fail(`${who} must be a JSON object`);
  if (root.format !== CALIB_TABLE_FORMAT) fail(`${who} is not a tilec calibration table (field "format" must be "${CALIB_TABLE_FORMAT}", got ${JSON.stringify(root.format) ?? 'nothing'})`);
  if (root.version !== CALIB_TABLE_VERSION) fail(`${who} has version ${JSON.stringify(root.version) ?? '(none)'}; this tilec reads version ${CALIB_TABLE_VERSION}`);
  const method = root.method;
  if (typeof method !== 'string' || !(CALIB_METHODS as readonly string[]).includes(method)) {
    fail(`${who}: field "method" must be one of ${CALIB_METHODS.join(', ')}, got ${JSON.stringify(method) ?? 'nothing'}`);
  }
  const c = root.calibration;
  if (!isObject(c)) fail(`${who}: field "calibration" must be an object with spec, samples, batchSize, batches`);
  if (typeof c.spec !== 'string') fail(`${who}: field "calibration.spec" must be a string`);
  const count = (field: string, min: number): number => {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(`${who}: field "calibration.${field}" must be an integer >= ${min}, got ${JSON.stringify(v) ?? 'nothing'}`);
    return v;
  };
  const samples = count('samples', 1), batchSize = count('batchSize', 1), batches = count('batches', 1);
  if (!isObject(root.inputs)) fail(`${who}: field "inputs" must be an object from graph input name to shape`);
  const inputs = new Map<string, number[]>();
  for (const [name, shape] of Object.entries(root.inputs)) {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) fail(`${who}: "inputs" shape of '${name}' must be an array of integers >= 0`);
    inputs.set(name, shape as number[]);
  }
  if (!isObject(root.tensors)) fail(`${who}: field "tensors" must be an object from tensor name to statistics`);
  const histogram = needsHistogram(method as CalibMethod);
  const tensors = new Map<string, TensorStats>();
  for (const [name, v] of Object.entries(root.tensors)) tensors.set(name, parseTensor(v, histogram, `${who}, tensor '${name}'`));
  return { spec: c.spec, inputs, stats: { method: method as CalibMethod, batchSize, samples, batches, tensors } };
}

function parseTensor(v: unknown, histogram: boolean, who: string): TensorStats {
  if (!isObject(v)) fail(`${who}: statistics must be an object {count, min, max, firstBatchAbsMax${histogram ? ', histogram' : ''}}`);
  const finite = (field: string): number => {
    const x = v[field];
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${who}: field "${field}" must be a finite number, got ${JSON.stringify(x) ?? 'nothing'}`);
    return x;
  };
  const count = finite('count'), min = finite('min'), max = finite('max'), firstBatchAbsMax = finite('firstBatchAbsMax');
  if (!Number.isSafeInteger(count) || count < 0) fail(`${who}: field "count" must be an integer >= 0, got ${count}`);
  if (min > max) fail(`${who}: "min" ${min} is above "max" ${max}`);
  if (firstBatchAbsMax < 0) fail(`${who}: "firstBatchAbsMax" must be >= 0, got ${firstBatchAbsMax}`);
  if (!histogram) return { count, min, max, firstBatchAbsMax };
  return { count, min, max, firstBatchAbsMax, histogram: parseHistogram(v.histogram, who) };
}

function parseHistogram(h: unknown, who: string): HistogramData {
  if (!isObject(h)) fail(`${who}: field "histogram" {halfRange, counts} is missing (the table's method needs one)`);
  const half = h.halfRange, counts = h.counts;
  if (typeof half !== 'number' || !Number.isFinite(half) || half < 0) fail(`${who}: "histogram.halfRange" must be a finite number >= 0, got ${JSON.stringify(half) ?? 'nothing'}`);
  if (!Array.isArray(counts) || counts.length < 4 || counts.length % 4 !== 0) fail(`${who}: "histogram.counts" must be an array whose length is a multiple of 4 (>= 4)`);
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const x: unknown = counts[i];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) fail(`${who}: "histogram.counts"[${i}] must be an integer >= 0, got ${JSON.stringify(x)}`);
    out[i] = x;
  }
  return { halfRange: half, counts: out };
}
