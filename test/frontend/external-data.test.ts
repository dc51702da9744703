import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importModel, loadModel } from '../../frontend/index.js';
import { TilecError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { type TensorSpec, buildModel, rawBytes } from '../helpers/onnx-builder.js';
import { standInEvaluate } from './stand-in-evaluate.js';

// External data: tensor bytes in a file next to the model, which must never let a model read
// outside its own folder.

let root: string, modelDir: string, outside: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tilec-extdata-'));
  modelDir = path.join(root, 'model');
  outside = path.join(root, 'secret');
  mkdirSync(path.join(modelDir, 'weights'), { recursive: true });
  mkdirSync(outside);
  // weights.bin: 3 junk bytes, then w = [1, 2, 3, 4] as float32, then b = [0.5, -0.5]
  const w = rawBytes('float32', [1, 2, 3, 4]), b = rawBytes('float32', [0.5, -0.5]);
  const file = new Uint8Array(3 + w.length + b.length);
  file.set(w, 3); file.set(b, 3 + w.length);
  writeFileSync(path.join(modelDir, 'weights', 'weights.bin'), file);
  writeFileSync(path.join(outside, 'w.bin'), rawBytes('float32', [9, 9, 9, 9]));
  symlinkSync(path.join(outside, 'w.bin'), path.join(modelDir, 'escape.bin'));
  symlinkSync(outside, path.join(modelDir, 'linkdir'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes model.onnx (x[1,4] * w[4] + b... as Mul) whose initializer w is external, and loads it. */
function load(external: TensorSpec['external'], name = 'model.onnx'): Graph {
  const file = path.join(modelDir, name);
  writeFileSync(file, buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', dtype: 'float32' }],
    initializers: [{ name: 'w', dtype: 'float32', shape: [4], data: [], external }],
    nodes: [{ op: 'Mul', inputs: ['x', 'w'], outputs: ['y'] }],
  }));
  return loadModel(file, { evaluate: standInEvaluate() });
}

describe('external data', () => {
  it('reads a tensor at an offset inside a file in a subfolder', () => {
    const g = load({ location: 'weights/weights.bin', offset: 3, length: 16 });
    expect(Array.from(g.initializers.get('w')!.data)).toEqual([1, 2, 3, 4]);
  });

  it('reads to the end of the file when length is absent, and checks the size', () => {
    expect(() => load({ location: 'weights/weights.bin', offset: 3 })).toThrow("initializer 'w': external data has 24 bytes but the tensor needs 16");
    expect(Array.from(load({ location: 'weights/weights.bin', offset: 11 }).initializers.get('w')!.data)).toEqual([3, 4, 0.5, -0.5]);
  });

  it('rejects absolute paths, .. components and symlinks that lead out of the model folder', () => {
    expect(() => load({ location: path.join(outside, 'w.bin') })).toThrow(/external data location '.*w\.bin' is an absolute path/);
    expect(() => load({ location: '../secret/w.bin' })).toThrow("external data location '../secret/w.bin' contains '..'");
    expect(() => load({ location: 'weights/../../secret/w.bin' })).toThrow(/contains '\.\.'/);
    expect(() => load({ location: 'weights\\..\\..\\secret\\w.bin' })).toThrow(/contains '\.\.'/);
    expect(() => load({ location: 'escape.bin' })).toThrow(/external data location 'escape.bin' resolves to .*secret.*w\.bin, outside the model's folder/);
    expect(() => load({ location: 'linkdir/w.bin' })).toThrow(/outside the model's folder/);
  });

  it('rejects offsets and lengths beyond the file, missing files and directories', () => {
    expect(() => load({ location: 'weights/weights.bin', offset: 100 })).toThrow("external data offset 100 is beyond the end of 'weights/weights.bin' (27 bytes)");
    expect(() => load({ location: 'weights/weights.bin', offset: 20, length: 16 })).toThrow('external data [offset 20, length 16] runs past the end');
    expect(() => load({ location: 'nope.bin' })).toThrow("external data file 'nope.bin' not found");
    expect(() => load({ location: 'weights' })).toThrow("external data location 'weights' is not a regular file");
  });

  it('names the model file in errors and needs a path to resolve locations', () => {
    expect(() => load({ location: 'nope.bin' }, 'named.onnx')).toThrow(`${path.join(modelDir, 'named.onnx')}: initializer 'w'`);
    const bytes = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [4] }], outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: [{ name: 'w', dtype: 'float32', shape: [4], data: [], external: { location: 'weights/weights.bin' } }],
      nodes: [{ op: 'Mul', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    expect(() => importModel(bytes, { evaluate: standInEvaluate() })).toThrow(TilecError);
    expect(() => importModel(bytes, { evaluate: standInEvaluate() })).toThrow("initializer 'w' uses external data, which needs the model's file path");
  });

  it('rejects malformed external_data entries', () => {
    expect(() => load({ location: 'weights/weights.bin', offset: -1 as number })).toThrow("external data offset '-1' is not a non-negative integer");
    expect(() => load({ location: '' })).toThrow("external data has no 'location'");
  });
});

describe('loadModel', () => {
  it('reports a missing file as a TilecError naming it', () => {
    const missing = path.join(root, 'missing.onnx');
    expect(() => loadModel(missing, { evaluate: standInEvaluate() })).toThrow(TilecError);
    expect(() => loadModel(missing, { evaluate: standInEvaluate() })).toThrow(`cannot read model file ${missing}`);
  });
});
