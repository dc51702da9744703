import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '../../ir/errors.js';

// MNIST in LeCun's idx format: big-endian header (magic, counts, extents), then one byte per pixel
// or label. Files may be gzip-compressed (detected by the gzip magic, not the name).

const IMAGES_MAGIC = 0x00000803; // ubyte, 3 dims
const LABELS_MAGIC = 0x00000801; // ubyte, 1 dim

export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** count*rows*cols pixels, image-major, 0..255. One buffer: samples are views into it. */
  readonly pixels: Uint8Array;
}

function maybeGunzip(bytes: Uint8Array, who: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    return fail(`${who}: corrupt gzip data (${(e as Error).message})`);
  }
}

function header(bytes: Uint8Array, words: number, who: string): number[] {
  if (bytes.length < 4 * words) fail(`${who}: idx file is ${bytes.length} bytes, too short for its ${4 * words}-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: words }, (_, i) => v.getUint32(4 * i, false));
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export function decodeIdxImages(file: Uint8Array, who: string): IdxImages {
  const bytes = maybeGunzip(file, who);
  const [magic, count, rows, cols] = header(bytes, 4, who) as [number, number, number, number];
  if (magic !== IMAGES_MAGIC) fail(`${who}: idx magic is ${hex(magic)}, expected ${hex(IMAGES_MAGIC)} (unsigned-byte images)`);
  const want = 16 + count * rows * cols;
  if (bytes.length !== want) fail(`${who}: header says ${count} images of ${rows}x${cols} (${want} bytes) but the data is ${bytes.length} bytes`);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

export function decodeIdxLabels(file: Uint8Array, who: string): Uint8Array {
  const bytes = maybeGunzip(file, who);
  const [magic, count] = header(bytes, 2, who) as [number, number];
  if (magic !== LABELS_MAGIC) fail(`${who}: idx magic is ${hex(magic)}, expected ${hex(LABELS_MAGIC)} (unsigned-byte labels)`);
  if (bytes.length !== 8 + count) fail(`${who}: header says ${count} labels (${8 + count} bytes) but the data is ${bytes.length} bytes`);
  return bytes.subarray(8);
}

export interface Mnist {
  readonly images: IdxImages;
  readonly labels: Int32Array;
  readonly imagesFile: string;
}

/** Finds the first existing file among `names` in dir, gzip or not. */
function findFile(dir: string, stems: readonly string[]): string | undefined {
  for (const stem of stems) {
    for (const name of [`${stem}.gz`, stem]) {
      const p = path.join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/** Loads the test split (t10k-*) from dir, or the training split when only train-* is present. */
export function loadMnist(dir: string): Mnist {
  for (const split of ['t10k', 'train']) {
    const imagesFile = findFile(dir, [`${split}-images-idx3-ubyte`]);
    if (!imagesFile) continue;
    const labelsFile = findFile(dir, [`${split}-labels-idx1-ubyte`]);
    if (!labelsFile) fail(`mnist:${dir}: found ${path.basename(imagesFile)} but no ${split}-labels-idx1-ubyte[.gz] next to it`);
    const images = decodeIdxImages(readFileSync(imagesFile), imagesFile);
    const labels = decodeIdxLabels(readFileSync(labelsFile), labelsFile);
    if (labels.length !== images.count) fail(`mnist:${dir}: ${images.count} images but ${labels.length} labels`);
    return { images, labels: Int32Array.from(labels), imagesFile };
  }
  return fail(`mnist:${dir}: no t10k-images-idx3-ubyte[.gz] or train-images-idx3-ubyte[.gz] in the directory`);
}
