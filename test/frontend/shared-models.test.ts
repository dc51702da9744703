import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensorFile, importModel, loadModel } from '../../frontend/index.js';
import { UnsupportedError } from '../../ir/errors.js';
import type { Tensor } from '../../ir/tensor.js';
import { sharedPath } from '../helpers/shared.js';
import { onnx } from '../helpers/onnx-builder.js';
import { standInEvaluate } from './stand-in-evaluate.js';

// Real models from ../shared: they must import, and the inferred output types must match what
// onnxruntime / the ONNX reference produced.

const mnist = sharedPath('models/mnist-8');
const light = sharedPath('models/light');
const nodeTests = sharedPath('onnx-node-tests');

const pbFiles = (dir: string, prefix: string): string[] =>
  readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb')).sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length)));
const readPb = (file: string): { name: string; tensor: Tensor } => decodeTensorFile(readFileSync(file), file);

describe.skipIf(!mnist)('mnist-8 (IR v3, opset 8, float_data initializers also listed as inputs)', () => {
  it('imports with one real input and the output type onnxruntime produced', () => {
    const g = loadModel(path.join(mnist!, 'model.onnx'), { evaluate: standInEvaluate(), warn: (m) => { throw new Error(`unexpected warning: ${m}`); } });
    expect(g.inputs).toEqual(['Input3']);
    expect(g.values.get('Input3')).toEqual({ dtype: 'float32', shape: [1, 1, 28, 28] });
    expect(g.outputs).toEqual(['Plus214_Output_0']);
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape', 'Conv', 'Add', 'Relu', 'MaxPool', 'Conv', 'Add', 'Relu', 'MaxPool', 'Reshape', 'MatMul', 'Add']);
    expect(g.initializers.size).toBe(8);
    const expected = readPb(path.join(mnist!, 'test_data_set_0', 'output_0.pb')).tensor;
    expect(g.values.get('Plus214_Output_0')).toEqual({ dtype: expected.dtype, shape: expected.shape });
    // a weight read from float_data, spot-checked against the raw proto
    const proto = onnx.ModelProto.decode(readFileSync(path.join(mnist!, 'model.onnx')));
    const w = proto.graph!.initializer!.find((t) => (t.floatData?.length ?? 0) > 0)!;
    expect(Array.from(g.initializers.get(w.name ?? '')!.data.subarray(0, 5))).toEqual(w.floatData!.slice(0, 5).map(Math.fround));
  });
});

describe.skipIf(!light)('light models (IR v3, opset 9, ConstantOfShape weights)', () => {
  it.each(['resnet50', 'squeezenet', 'bvlc_alexnet'])('%s imports and types its output like the reference', (name) => {
    const dir = path.join(light!, name);
    const g = loadModel(path.join(dir, 'model.onnx'), { evaluate: standInEvaluate() });
    expect(g.inputs).toHaveLength(1);
    const expected = readPb(path.join(dir, 'test_data_set_0', 'output_0.pb')).tensor;
    expect(g.values.get(g.outputs[0]!)).toEqual({ dtype: expected.dtype, shape: expected.shape });
    const input = readPb(path.join(dir, 'test_data_set_0', 'input_0.pb')).tensor;
    expect(g.values.get(g.inputs[0]!)).toEqual({ dtype: input.dtype, shape: input.shape });
  });
});

describe.skipIf(!nodeTests)('ONNX backend node tests', () => {
  it('import with the output types of their expected outputs, or fail as unsupported', () => {
    const unsupported: string[] = [];
    const dirs = readdirSync(nodeTests!).filter((d) => d.startsWith('test_')).sort();
    expect(dirs.length).toBeGreaterThan(100);
    for (const d of dirs) {
      const dir = path.join(nodeTests!, d);
      const data = path.join(dir, 'test_data_set_0');
      const inputs = pbFiles(data, 'input_').map((f) => readPb(path.join(data, f)));
      const proto = onnx.ModelProto.decode(readFileSync(path.join(dir, 'model.onnx')));
      const inputNames = proto.graph!.input!.map((v) => v.name).filter((n) => !proto.graph!.initializer!.some((t) => t.name === n));
      // Integer inputs (shapes, axes, pads) decide output shapes: bind them, as `tilec check` does.
      const constantInputs = new Map<string, Tensor>();
      inputs.forEach(({ tensor }, i) => { if (tensor.dtype === 'int64') constantInputs.set(inputNames[i]!, tensor); });
      let g;
      try {
        g = importModel(readFileSync(path.join(dir, 'model.onnx')), { path: path.join(dir, 'model.onnx'), evaluate: standInEvaluate(), constantInputs });
      } catch (e) {
        if (!(e instanceof UnsupportedError)) throw e;
        unsupported.push(`${d}: ${e.message}`);
        continue;
      }
      const outputs = pbFiles(data, 'output_').map((f) => readPb(path.join(data, f)).tensor);
      g.outputs.forEach((name, i) => {
        expect(g.values.get(name), `${d} output ${name}`).toEqual({ dtype: outputs[i]!.dtype, shape: outputs[i]!.shape });
      });
    }
    expect(unsupported).toEqual([]);
  });
});
