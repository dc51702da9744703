import { type Tensor, shapeStr, strides } from '../../ir/tensor.js';

// ONNX backend-test comparison: |actual - expected| <= atol + rtol * |expected| elementwise
// (numpy.testing.assert_allclose), with NaN equal to NaN and equal infinities equal.

export interface Tolerance { readonly rtol: number; readonly atol: number }
export const ONNX_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-7 };

/** undefined when the tensors match; otherwise why not, with the worst element's index and values. */
export function compareTensors(actual: Tensor, expected: Tensor, tol: Tolerance, what: string): string | undefined {
  if (actual.dtype !== expected.dtype) return `${what}: dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (shapeStr(actual.shape) !== shapeStr(expected.shape)) return `${what}: shape ${shapeStr(actual.shape)}, expected ${shapeStr(expected.shape)}`;
  const a = actual.data, b = expected.data, n = b.length;
  let bad = 0, worst = -1, worstExcess = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = a[i]!, y = b[i]!;
    if (x === y || (x !== x && y !== y)) continue;
    const excess = Math.abs(x - y) - (tol.atol + tol.rtol * Math.abs(y));
    if (excess <= 0) continue; // NaN excess (NaN vs number, inf vs -inf) falls through as a mismatch
    bad++;
    const e = Number.isNaN(excess) ? Infinity : excess;
    if (e > worstExcess) { worstExcess = e; worst = i; }
  }
  if (bad === 0) return undefined;
  const x = a[worst]!, y = b[worst]!;
  const allowed = tol.atol + tol.rtol * Math.abs(y);
  return `${what}: ${bad} of ${n} elements differ; worst at ${indexStr(worst, expected.shape)}: got ${fmt(x)}, expected ${fmt(y)} `
    + `(|diff| ${fmt(Math.abs(x - y))} > ${fmt(allowed)} = atol ${tol.atol} + rtol ${tol.rtol} * |expected|)`;
}

/** Flat index -> "[i,j,k]". */
function indexStr(flat: number, shape: readonly number[]): string {
  const s = strides(shape);
  return `[${s.map((st, d) => Math.floor(flat / st) % shape[d]!).join(',')}]`;
}

// 7 significant digits (about float32 precision), without trailing zeros.
const fmt = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v));
