import path from 'node:path';
import { TilecError, UnsupportedError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { runGraph } from '../../runtime/interpreter.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { type NamedTensor, readTensorFile, tensorFiles, testDataSets } from '../data/pb.js';
import { oneLine } from '../io.js';
import type { Limits } from '../limits.js';
import { loadFloatModel } from '../model.js';
import { type Tolerance, compareTensors } from './compare.js';
import type { TestCase } from './discover.js';

export type TestStatus = 'passed' | 'failed' | 'unsupported';

export interface TestResult {
  readonly name: string;
  readonly status: TestStatus;
  /** Why it failed or is unsupported; null when it passed. */
  readonly reason: string | null;
}

export interface CheckOptions {
  readonly tolerance: Tolerance;
  readonly warn?: (message: string) => void;
  /** --max-model-bytes and --max-tensor-elements for each model.onnx (default DEFAULT_LIMITS). */
  readonly limits?: Limits;
}

/**
 * Runs one backend test through import, FLOAT_PIPELINE and the float interpreter, comparing every
 * data set's outputs. Never throws for a bad test: the outcome and its reason are the result.
 */
export function runBackendTest(tc: TestCase, opts: CheckOptions): TestResult {
  try {
    const reason = failureOf(tc, opts);
    return { name: tc.name, status: reason === undefined ? 'passed' : 'failed', reason: reason ?? null };
  } catch (e) {
    if (e instanceof UnsupportedError) return { name: tc.name, status: 'unsupported', reason: oneLine(e.message) };
    if (e instanceof TilecError) return { name: tc.name, status: 'failed', reason: oneLine(e.message) };
    const msg = e instanceof Error ? e.message : String(e);
    const bare = msg.replace(/^internal error \(tilec bug\): /, '');
    return { name: tc.name, status: 'failed', reason: `internal error (tilec bug): ${oneLine(bare)}` };
  }
}

/**
 * How a data set's input files bind to the model. Integer inputs (int32/int64) are shapes, axes, pads or
 * indices in the ops tilec supports, and output shapes may depend on their values (Reshape's shape,
 * Unsqueeze's axes), so they are bound as constants; the rest are fed, and fix the input shapes.
 * Unnamed files are matched to graph inputs by position when fed.
 */
function bindInputs(inputs: readonly NamedTensor[]): { shapes: Map<string, number[]>; constants: Map<string, Tensor> } {
  const shapes = new Map<string, number[]>();
  const constants = new Map<string, Tensor>();
  for (const t of inputs) {
    if (t.name === '') continue;
    if (t.tensor.dtype === 'int64' || t.tensor.dtype === 'int32') constants.set(t.name, t.tensor);
    // Shape overrides take dims >= 1 (the importer's --input-shape rule); an input with an empty extent
    // relies on the model's declared shape, and the interpreter checks the feed against it.
    else if (!t.tensor.shape.includes(0)) shapes.set(t.name, [...t.tensor.shape]);
  }
  return { shapes, constants };
}

/** Identifies a binding, so data sets that bind alike share one prepared graph. */
const bindingKey = (b: ReturnType<typeof bindInputs>): string =>
  JSON.stringify([[...b.shapes], [...b.constants].map(([n, t]) => [n, t.shape, Array.from(t.data)])]);

function failureOf(tc: TestCase, opts: CheckOptions): string | undefined {
  const sets = testDataSets(tc.dir);
  if (sets.length === 0) return `${tc.dir}: no test_data_set_* directories`;
  const modelFile = path.join(tc.dir, 'model.onnx');
  // Data sets may fix different input shapes; the model is prepared once per distinct set of shapes.
  const graphs = new Map<string, Graph>();
  for (const set of sets) {
    const inputs = tensorFiles(set, 'input').map(readTensorFile);
    const binding = bindInputs(inputs);
    const key = bindingKey(binding);
    let g = graphs.get(key);
    if (!g) {
      g = loadFloatModel(modelFile, { limits: opts.limits, inputShapes: binding.shapes, constantInputs: binding.constants, warn: opts.warn });
      graphs.set(key, g);
    }
    const fed = inputs.filter((t) => !binding.constants.has(t.name));
    const feeds = new Map<string, Tensor>(fed.map((t, i) => [t.name !== '' ? t.name : g.inputs[i] ?? `#${i}`, t.tensor]));
    const outputs = runGraph(g, feeds, evaluateFloat);
    const expected = tensorFiles(set, 'output').map(readTensorFile);
    if (expected.length === 0) return `${set}: no output_*.pb files`;
    for (const [i, want] of expected.entries()) {
      const name = want.name !== '' && outputs.has(want.name) ? want.name : g.outputs[i];
      const got = name !== undefined ? outputs.get(name) : undefined;
      const where = `${path.basename(set)} output '${name ?? want.name}'`;
      if (!got) return `${where}: the model has no output ${want.name !== '' ? `named '${want.name}'` : `number ${i}`} (outputs: ${g.outputs.join(', ')})`;
      const why = compareTensors(got, want.tensor, opts.tolerance, where);
      if (why !== undefined) return why;
    }
  }
  return undefined;
}
