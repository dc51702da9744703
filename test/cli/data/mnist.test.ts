import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeIdxImages, decodeIdxLabels, loadMnist } from '../../../cli/data/mnist.js';
import { sharedPath } from '../../helpers/shared.js';

function idx(magic: number, dims: readonly number[], payload: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, false);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-mnist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('idx decoding', () => {
  it('decodes images and labels, gzip or not', () => {
    const img = idx(0x803, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    for (const bytes of [img, gzipSync(img)]) {
      const d = decodeIdxImages(bytes, 'i');
      expect([d.count, d.rows, d.cols]).toEqual([2, 2, 3]);
      expect(Array.from(d.pixels.subarray(6))).toEqual([250, 251, 252, 253, 254, 255]);
    }
    expect(Array.from(decodeIdxLabels(gzipSync(idx(0x801, [3], [7, 2, 1])), 'l'))).toEqual([7, 2, 1]);
  });

  it.each([
    ['wrong images magic', () => decodeIdxImages(idx(0x801, [1, 1, 1], [0]), 'imgs.gz'), /imgs\.gz: idx magic is 0x00000801, expected 0x00000803/],
    ['wrong labels magic', () => decodeIdxLabels(idx(0x803, [1], [0]), 'lbl.gz'), /lbl\.gz: idx magic is 0x00000803, expected 0x00000801/],
    ['truncated images', () => decodeIdxImages(idx(0x803, [2, 2, 2], [1, 2, 3]), 'imgs'), /imgs: header says 2 images of 2x2 \(24 bytes\) but the data is 19 bytes/],
    ['extra labels', () => decodeIdxLabels(idx(0x801, [1], [1, 2]), 'lbl'), /lbl: header says 1 labels \(9 bytes\) but the data is 10 bytes/],
    ['short header', () => decodeIdxImages(new Uint8Array(5), 'h'), /h: idx file is 5 bytes, too short/],
    ['corrupt gzip', () => decodeIdxLabels(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]), 'z.gz'), /z\.gz: corrupt gzip data/],
  ])('rejects %s naming the file', (_, f, msg) => {
    expect(f).toThrow(msg);
  });
});

describe('loadMnist', () => {
  it('prefers the t10k split and checks the label count', () => {
    const dir = path.join(tmp, 'ok');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idx(0x803, [2, 1, 2], [1, 2, 3, 4])));
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx(0x801, [2], [5, 6]));
    writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx(0x803, [1, 1, 1], [9])));
    const m = loadMnist(dir);
    expect(m.images.count).toBe(2);
    expect(Array.from(m.labels)).toEqual([5, 6]);
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx(0x801, [3], [5, 6, 7]));
    expect(() => loadMnist(dir)).toThrow(/2 images but 3 labels/);
  });

  it('names what is missing', () => {
    expect(() => loadMnist(tmp)).toThrow(/no t10k-images-idx3-ubyte\[\.gz\] or train-images-idx3-ubyte\[\.gz\]/);
  });
});

const mnistDir = sharedPath('data/mnist');
describe.skipIf(!mnistDir)('the shared MNIST test set', () => {
  it('has 10,000 28x28 images and labels 0..9, the first being a 7', () => {
    const m = loadMnist(mnistDir!);
    expect([m.images.count, m.images.rows, m.images.cols]).toEqual([10000, 28, 28]);
    expect(m.labels[0]).toBe(7);
    const counts = new Array<number>(10).fill(0);
    for (const l of m.labels) counts[l]!++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10000);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });
});
