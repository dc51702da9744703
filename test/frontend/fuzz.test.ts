import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTensorFile, importModel } from '../../frontend/index.js';
import { TilecError } from '../../ir/errors.js';
import { buildModel, tensorProtoBytes } from '../helpers/onnx-builder.js';
import { standInEvaluate } from './stand-in-evaluate.js';

// Bad bytes must end in a TilecError (exit 2 with a message), never in a raw exception or a hang.

const model = buildModel({
  opset: 11,
  inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 4, 4] }],
  outputs: [{ name: 'y', dtype: 'float32' }],
  initializers: [
    { name: 'w', dtype: 'float32', shape: [3, 2, 3, 3], data: Array.from({ length: 54 }, (_, i) => i / 54) },
    { name: 'b', dtype: 'float32', shape: [3], data: [0.1, 0.2, 0.3], encoding: 'typed' },
    { name: 'shape', dtype: 'int64', shape: [2], data: [1, -1], encoding: 'typed' },
  ],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], name: 'conv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    { op: 'MaxPool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: 'Reshape', inputs: ['p', 'shape'], outputs: ['f'] },
    { op: 'Softmax', inputs: ['f'], outputs: ['y'], attrs: { axis: 1 } },
  ],
});

/** Imports and reports 'ok' or the error class; anything but a TilecError fails the property. */
function outcome(bytes: Uint8Array): 'ok' | 'TilecError' {
  try {
    importModel(bytes, { evaluate: standInEvaluate(), path: 'fuzz.onnx', maxTensorElements: 1 << 20 });
    return 'ok';
  } catch (e) {
    if (e instanceof TilecError) return 'TilecError';
    throw e;
  }
}

describe('hostile bytes', () => {
  it('imports the unmodified fuzzing seed model', () => {
    expect(outcome(model)).toBe('ok');
  });

  it('rejects every truncation of a valid model with a TilecError', () => {
    // Every prefix: the model is small, and truncations are the commonest real corruption.
    for (let n = 0; n < model.length; n++) {
      const r = outcome(model.subarray(0, n));
      if (n === 0) expect(r).toBe('TilecError'); // an empty message decodes to a model without a graph
    }
  });

  it('names the file when protobuf decoding fails', () => {
    expect(() => importModel(model.subarray(0, model.length - 5), { evaluate: standInEvaluate(), path: 'cut.onnx' }))
      .toThrow(/^cannot decode ONNX model cut\.onnx: /);
  });

  it('never throws anything but TilecError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      outcome(bytes);
    }), { seed: 20240611, numRuns: 500 });
  });

  it('never throws anything but TilecError on a valid model with bytes overwritten', () => {
    const edits = fc.array(fc.tuple(fc.nat({ max: model.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
    const seen = { ok: 0, TilecError: 0 };
    fc.assert(fc.property(edits, (changes) => {
      const bytes = Uint8Array.from(model);
      for (const [at, v] of changes) bytes[at] = v;
      seen[outcome(bytes)]++;
    }), { seed: 7, numRuns: 1500 });
    // The property only means something if edits reach past the decoder: both outcomes must occur.
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.TilecError).toBeGreaterThan(100);
  });

  it('never throws anything but TilecError decoding mangled TensorProto files', () => {
    const pb = tensorProtoBytes('x', 'int64', [2, 3], [1, 2, 3, 4, 5, 6]);
    const edits = fc.array(fc.tuple(fc.nat({ max: pb.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(edits, fc.nat({ max: pb.length }), (changes, cut) => {
      const bytes = Uint8Array.from(pb.subarray(0, cut));
      for (const [at, v] of changes) if (at < bytes.length) bytes[at] = v;
      try {
        decodeTensorFile(bytes, 'input_0.pb');
      } catch (e) {
        if (!(e instanceof TilecError)) throw e;
      }
    }), { seed: 11, numRuns: 500 });
  });
});
