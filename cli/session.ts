import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { FLOAT_PIPELINE } from '../passes/pipeline.js';
import { evaluateFloat } from '../runtime/float/index.js';
import { type CompileSettings, DEFAULT_CALIB } from './compile-options.js';
import { type CompileReport, UNTILED_NOTE, buildReport } from './compile-report.js';
import { loadFloatModel } from './model.js';
import { quantizeModel, QUANT_PASS_NAMES } from './quantize.js';
import { openSamples } from './samples.js';

// The compile session: the stages in order, nothing else. import -> FLOAT_PIPELINE -> calibration ->
// QUANT_PIPELINE (-> tiling and emission once the backend lowers whole graphs). Every stage does its own
// work; this file only hands one stage's result to the next and collects the output files.

/** Where a session reports (stderr in the CLI). */
export interface SessionLog {
  /** Notes and warnings, one line each. */
  line(text: string): void;
  /** --print-ir-after / --time-passes output (may span lines). */
  print(text: string): void;
  /** Calibration progress: a bar on a terminal, nothing otherwise. */
  progress?(label: string, total: number): { update(done: number): void; stop(): void };
}

/** An output file, held in memory until every stage has succeeded. */
export interface OutputFile {
  readonly name: string;
  readonly bytes: Uint8Array | string;
}

export interface CompiledModel {
  readonly file: string;
  /** The model's name: its file name without .onnx; output files are NAME.*. */
  readonly name: string;
  /** After FLOAT_PIPELINE: the reference of `verify`. */
  readonly float: Graph;
  /** After QUANT_PIPELINE: the realized int8 graph. */
  readonly quantized: Graph;
  readonly report: CompileReport;
  readonly files: readonly OutputFile[];
}

/** Every pass --print-ir-after may name, in pipeline order. */
export const PASS_NAMES: readonly string[] = [...FLOAT_PIPELINE.map((p) => p.name), ...QUANT_PASS_NAMES];

export const modelName = (file: string): string => path.basename(file).replace(/\.onnx$/i, '');

/**
 * Runs the pipeline on MODEL.onnx and returns the graphs, the report and the files to write.
 * `onFloatGraph` sees the float graph before calibration starts (verify opens --data there, so a bad spec
 * fails before the long part).
 */
export function compileModel(file: string, s: CompileSettings, log: SessionLog, onFloatGraph?: (float: Graph) => void): CompiledModel {
  const t0 = performance.now();
  const passOpts = { printIrAfter: s.printIrAfter, timePasses: s.timePasses, print: log.print, log: s.printChanges ? log.line : undefined };
  const float = loadFloatModel(file, { inputShapes: s.inputShapes, warn: (m) => log.line(`warning: ${m}`), ...passOpts });
  onFloatGraph?.(float);
  const calib = openSamples(s.calib, float, s.preprocess);
  if (s.calibDefaulted) log.line(`note: no --calib given: calibrating on seeded random inputs (${DEFAULT_CALIB}), uniform in [0,1) before --scale/--mean/--std`);
  const { graph: quantized, calibration } = quantizeModel(float, calib, s, log, passOpts);

  const name = modelName(file);
  const emitted: OutputFile[] = [];
  const notes = [UNTILED_NOTE];
  if (s.emitOnnx) notes.push('--emit-onnx: the QDQ exporter is not available yet, no .qdq.onnx is written');
  const reportFile = `${name}.report.json`;
  const report = buildReport({
    model: file, name, target: s.target, bits: s.bits, perChannel: s.perChannel, unsignedMapping: s.unsignedMapping,
    calibration, graph: quantized, files: [...emitted.map((f) => f.name), reportFile],
    compileMs: Math.round(performance.now() - t0), notes,
  });
  return { file, name, float, quantized, report, files: [...emitted, { name: reportFile, bytes: `${JSON.stringify(report, null, 2)}\n` }] };
}

/**
 * Writes every file into `dir` or none: each goes to a temporary name in `dir` first, and only when all
 * are written are they renamed into place (a rename within one directory is atomic). On any failure the
 * temporaries are removed and the error is rethrown. Returns the final paths.
 */
export function writeOutputsAtomically(dir: string, files: readonly OutputFile[]): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory()) fail(`-o '${dir}' is not a directory`);
  mkdirSync(dir, { recursive: true });
  const staged: [string, string][] = [];
  try {
    for (const f of files) {
      const final = path.join(dir, f.name);
      const tmp = path.join(dir, `.${f.name}.${process.pid}.tmp`);
      staged.push([tmp, final]);
      writeFileSync(tmp, f.bytes);
    }
    for (const [tmp, final] of staged) renameSync(tmp, final);
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
  return staged.map(([, final]) => final);
}
