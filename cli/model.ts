import { existsSync, statSync } from 'node:fs';
import { loadModel } from '../frontend/index.js';
import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { FLOAT_PIPELINE } from '../passes/pipeline.js';
import { runPasses } from '../passes/manager.js';
import { evaluateFloat } from '../runtime/float/index.js';
import type { InputShapes } from './options.js';

// The stages every model-taking command starts with: import, then the float cleanup pipeline.

export interface FloatModelOptions {
  readonly inputShapes?: InputShapes;
  /** Graph inputs bound to fixed values (they become initializers), e.g. a backend test's Reshape shape. */
  readonly constantInputs?: ReadonlyMap<string, Tensor>;
  /** Importer warnings (stderr in the CLI). */
  readonly warn?: (message: string) => void;
  /** `--print-ir-after PASS|all`, printed through `print`. */
  readonly printIrAfter?: string;
  /** `--time-passes`: one timing line per pass through `print`. */
  readonly timePasses?: boolean;
  readonly print?: (text: string) => void;
  /** `--print-changes`: one line per rewrite a pass makes (PassContext.log). */
  readonly log?: (line: string) => void;
}

/** Imports an ONNX file and runs FLOAT_PIPELINE on it: the float graph inspect, check and verify work on. */
export function loadFloatModel(file: string, opts: FloatModelOptions = {}): Graph {
  if (!existsSync(file)) fail(`'${file}': no such file`);
  if (statSync(file).isDirectory()) fail(`'${file}' is a directory, expected an ONNX model file`);
  // The importer rejects --input-shape names that are not model inputs.
  const imported = loadModel(file, { inputShapes: opts.inputShapes, constantInputs: opts.constantInputs, evaluate: evaluateFloat, warn: opts.warn });
  return runPasses(imported, FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {}, log: opts.log }, { printIrAfter: opts.printIrAfter, timePasses: opts.timePasses, print: opts.print }).graph;
}
