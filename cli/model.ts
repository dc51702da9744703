import { existsSync, statSync } from 'node:fs';
import { loadModel } from '../frontend/index.js';
import { LimitError, fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { FLOAT_PIPELINE, QUANT_IMPORT_PIPELINE } from '../passes/pipeline.js';
import { runPasses } from '../passes/manager.js';
import { evaluateFloat } from '../runtime/float/index.js';
import { DEFAULT_LIMITS, type Limits, checkGraphMemory, checkModelFile, importLimits } from './limits.js';
import type { InputShapes } from './options.js';

// The stages every model-taking command starts with: import, then the float cleanup pipeline.

export interface FloatModelOptions {
  /** --max-model-bytes (checked before reading), --max-tensor-elements (checked by the importer before
   * allocating each tensor) and --max-memory-bytes (all the typed tensors, before the float pipeline folds
   * constants); default DEFAULT_LIMITS. */
  readonly limits?: Limits;
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
  return floatPipeline(importFile(file, opts), opts);
}

export interface ModelGraphs {
  /** The model's own float semantics (a QAT or QDQ model's fake quantization included): verify's reference. */
  readonly reference: Graph;
  /** The graph quantization starts from: the model's own quant params read by QUANT_IMPORT_PIPELINE, then
   * FLOAT_PIPELINE. The same object as `reference` when the model carries no quantization of its own. */
  readonly toQuantize: Graph;
}

/** Both float graphs of a model: its own float semantics, and the one annotated with its own quant params. */
export function loadModelGraphs(file: string, opts: FloatModelOptions = {}): ModelGraphs {
  const imported = importFile(file, opts);
  const reference = floatPipeline(imported, opts);
  const annotated = runPasses(imported, QUANT_IMPORT_PIPELINE, passContext(opts), managerOptions(opts)).graph;
  return { reference, toQuantize: annotated === imported ? reference : floatPipeline(annotated, opts) };
}

function importFile(file: string, opts: FloatModelOptions): Graph {
  if (!existsSync(file)) fail(`'${file}': no such file`);
  if (statSync(file).isDirectory()) fail(`'${file}' is a directory, expected an ONNX model file`);
  const limits = opts.limits ?? DEFAULT_LIMITS;
  checkModelFile(file, limits);
  let g: Graph;
  try {
    // The importer rejects --input-shape names that are not model inputs.
    g = loadModel(file, { inputShapes: opts.inputShapes, constantInputs: opts.constantInputs, evaluate: evaluateFloat, warn: opts.warn, ...importLimits(limits) });
  } catch (e) {
    // The importer's element-limit message cannot name a CLI option (frontend knows no CLI); say which one raises it.
    if (e instanceof LimitError && e.limit === 'tensor-elements') e.message += ` (raise it with --max-tensor-elements)`;
    throw e;
  }
  // Every value is typed now but only initializers hold data: constant folding would allocate the rest.
  checkGraphMemory(g, limits);
  return g;
}

const passContext = (opts: FloatModelOptions) => ({ evaluate: evaluateFloat, options: {}, log: opts.log });
const managerOptions = (opts: FloatModelOptions) => ({ printIrAfter: opts.printIrAfter, timePasses: opts.timePasses, print: opts.print });
const floatPipeline = (g: Graph, opts: FloatModelOptions): Graph => runPasses(g, FLOAT_PIPELINE, passContext(opts), managerOptions(opts)).graph;
