import { describe, expect, it } from 'vitest';
import { ONNX_TOLERANCE, compareTensors } from '../../cli/check/compare.js';
import { tensor } from '../../ir/tensor.js';

const f32 = (shape: number[], v: number[]) => tensor('float32', shape, v);
const cmp = (a: ReturnType<typeof f32>, b: ReturnType<typeof f32>) => compareTensors(a, b, ONNX_TOLERANCE, "output 'y'");

describe('compareTensors (|a-b| <= atol + rtol*|b|)', () => {
  it('accepts values inside the tolerance and rejects just outside', () => {
    expect(cmp(f32([2], [1.0009, 0]), f32([2], [1, 0]))).toBeUndefined();
    expect(cmp(f32([1], [1.0011]), f32([1], [1]))).toMatch(/1 of 1 elements differ/);
    // Near zero only atol applies.
    expect(cmp(f32([1], [5e-8]), f32([1], [0]))).toBeUndefined();
    expect(cmp(f32([1], [2e-7]), f32([1], [0]))).toBeDefined();
  });

  it('is asymmetric like numpy: the tolerance scales with the expected value', () => {
    const tol = { rtol: 0.5, atol: 0 };
    expect(compareTensors(f32([1], [1]), f32([1], [2]), tol, 'y')).toBeUndefined(); // 1 <= 0.5*2
    expect(compareTensors(f32([1], [2]), f32([1], [1]), tol, 'y')).toBeDefined(); // 1 > 0.5*1
  });

  it('treats NaN as equal to NaN, equal infinities as equal, and anything else with them as a mismatch', () => {
    expect(cmp(f32([3], [NaN, Infinity, -Infinity]), f32([3], [NaN, Infinity, -Infinity]))).toBeUndefined();
    expect(cmp(f32([1], [NaN]), f32([1], [1]))).toMatch(/got NaN, expected 1/);
    expect(cmp(f32([1], [1]), f32([1], [NaN]))).toMatch(/got 1, expected NaN/);
    expect(cmp(f32([1], [Infinity]), f32([1], [-Infinity]))).toMatch(/got Infinity, expected -Infinity/);
    expect(cmp(f32([1], [1e38]), f32([1], [Infinity]))).toBeDefined();
  });

  it('reports the worst element by its multi-index, with both values and the count', () => {
    const got = f32([2, 3], [0, 1, 2, 3, 4.5, 5.01]);
    const want = f32([2, 3], [0, 1, 2, 3, 4, 5]);
    expect(cmp(got, want)).toBe(
      "output 'y': 2 of 6 elements differ; worst at [1,1]: got 4.5, expected 4 (|diff| 0.5 > 0.0040001 = atol 1e-7 + rtol 0.001 * |expected|)",
    );
  });

  it('requires the same dtype and shape', () => {
    expect(cmp(f32([2], [1, 2]), f32([1, 2], [1, 2]))).toBe("output 'y': shape [2], expected [1,2]");
    expect(compareTensors(tensor('int64', [1], [1]), tensor('int32', [1], [1]), ONNX_TOLERANCE, 'z')).toBe('z: dtype int64, expected int32');
  });

  it('compares integers exactly (atol 1e-7 < 1)', () => {
    expect(compareTensors(tensor('int8', [2], [1, -3]), tensor('int8', [2], [1, -3]), ONNX_TOLERANCE, 'q')).toBeUndefined();
    expect(compareTensors(tensor('int8', [2], [1, -2]), tensor('int8', [2], [1, -3]), ONNX_TOLERANCE, 'q')).toMatch(/worst at \[1\]: got -2, expected -3/);
  });

  it('handles scalars', () => {
    expect(cmp(f32([], [2]), f32([], [3]))).toMatch(/worst at \[\]: got 2, expected 3/);
  });
});
