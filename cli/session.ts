import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { emitProgram } from '../backend/emit/index.js';
import { exportQdq } from '../backend/onnx-export.js';
import type { TileProgram } from '../backend/program.js';
import { TASM_CHUNK_BYTES, disassembleChunks } from '../backend/tasm.js';
import { encodeTbinChunks } from '../backend/tbin.js';
import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { runPasses } from '../passes/manager.js';
import { FLOAT_PIPELINE, LOWER_PIPELINE, QUANT_IMPORT_PIPELINE } from '../passes/pipeline.js';
import { evaluateFloat } from '../runtime/float/index.js';
import { type CompileSettings, DEFAULT_CALIB } from './compile-options.js';
import { type CompileReport, buildReport } from './compile-report.js';
import { checkGraphMemory, checkProgramMemory, checkTileOps } from './limits.js';
import { loadModelGraphs } from './model.js';
import { type FileContent, writeFilesAtomically } from './program-file.js';
import { QUANT_PASS_NAMES, loadCalibTable, quantizeModel } from './quantize.js';
import { openSamples } from './samples.js';

// The compile session: the stages in order, nothing else. import -> FLOAT_PIPELINE -> calibration ->
// QUANT_PIPELINE -> LOWER_PIPELINE -> emission (tiling) -> files. Every stage does its own work; this file only
// hands one stage's result to the next and collects the output files, which are written all or none.

/** Where a session reports (stderr in the CLI). */
export interface SessionLog {
  /** Notes and warnings, one line each. */
  line(text: string): void;
  /** --print-ir-after / --time-passes output (may span lines). */
  print(text: string): void;
  /** Progress of a long step: a bar on a terminal, nothing otherwise. */
  progress?(label: string, total: number): { update(done: number): void; stop(): void };
}

/**
 * An output file, held until every stage has succeeded. The program's files are produced only when written
 * (chunks): `verify` without -o never builds them, and a .tasm streams to disk instead of being one string.
 */
export interface OutputFile {
  readonly name: string;
  readonly bytes: FileContent;
}

export interface CompiledModel {
  readonly file: string;
  /** The model's name: its file name without .onnx; output files are NAME.*. */
  readonly name: string;
  /** After FLOAT_PIPELINE: the reference of `verify`. */
  readonly float: Graph;
  /** After QUANT_PIPELINE: the realized int8 graph (the integer reference runs it). */
  readonly quantized: Graph;
  /** After LOWER_PIPELINE: what the emitter tiled. */
  readonly lowered: Graph;
  readonly program: TileProgram;
  readonly report: CompileReport;
  readonly files: readonly OutputFile[];
}

/** Every pass --print-ir-after may name, in pipeline order. */
export const PASS_NAMES: readonly string[] = [...new Set([...QUANT_IMPORT_PIPELINE, ...FLOAT_PIPELINE, ...LOWER_PIPELINE].map((p) => p.name).concat(QUANT_PASS_NAMES))];

export const modelName = (file: string): string => path.basename(file).replace(/\.onnx$/i, '');

/** Runs `step` with a progress bar (when the log has one), always removing the bar. */
function withProgress<T>(log: SessionLog, label: string, step: (update: (done: number, total: number) => void) => T): T {
  let bar: { update(done: number): void; stop(): void } | undefined;
  try {
    return step((done, total) => { (bar ??= log.progress?.(label, total))?.update(done); });
  } finally {
    bar?.stop();
  }
}

/**
 * Runs the pipeline on MODEL.onnx and returns the graphs, the program, the report and the files to write.
 * `onFloatGraph` sees the float graph before calibration starts (verify opens --data there, so a bad spec
 * fails before the long part).
 */
export function compileModel(file: string, s: CompileSettings, log: SessionLog, onFloatGraph?: (float: Graph) => void): CompiledModel {
  const t0 = performance.now();
  const passOpts = { printIrAfter: s.printIrAfter, timePasses: s.timePasses, print: log.print, log: s.printChanges ? log.line : undefined };
  const { reference: float, toQuantize } = loadModelGraphs(file, { limits: s.limits, inputShapes: s.inputShapes, warn: (m) => log.line(`warning: ${m}`), ...passOpts });
  // Before calibration allocates a tensor or runs a node: the whole float graph's tensors, and a lower
  // bound of its tile MATMULs (so a model too large for the limits fails in milliseconds, not hours).
  checkGraphMemory(float, s.limits);
  checkTileOps(float, s.target.tile, s.limits);
  onFloatGraph?.(float);
  const calib = s.calibTable !== undefined ? loadCalibTable(s) : openSamples(s.calib, toQuantize, s.preprocess);
  if (toQuantize !== float) log.line(`note: ${path.basename(file)} carries its own quantization (QAT or QDQ): its tensors keep their quant params; only tensors without them are calibrated`);
  else if (s.calibDefaulted) log.line(`note: no --calib given: calibrating on seeded random inputs (${DEFAULT_CALIB}), uniform in [0,1) before --scale/--mean/--std`);
  const { graph: quantized, calibration } = withProgress(log, 'calibrate', (update) => quantizeModel(toQuantize, calib, s, passOpts, update));
  const lowered = runPasses(quantized, LOWER_PIPELINE, { evaluate: evaluateFloat, options: { im2col: s.im2col }, log: passOpts.log }, passOpts).graph;
  checkTileOps(lowered, s.target.tile, s.limits); // exact now: before emission builds the instruction stream
  const emitted = withProgress(log, 'tile', (update) =>
    emitProgram(lowered, s.target, { ...(s.loopOrder ? { strategy: s.loopOrder } : {}), onProgress: update }));
  checkProgramMemory(emitted.program, s.limits); // what `run` and `verify` would allocate as DRAM

  const name = modelName(file);
  const files: OutputFile[] = [
    { name: `${name}.tbin`, bytes: { chunks: () => encodeTbinChunks(emitted.program) } },
    { name: `${name}.tasm`, bytes: { chunks: () => disassembleChunks(emitted.program, TASM_CHUNK_BYTES, true) } },
  ];
  if (s.emitOnnx) files.push({ name: `${name}.qdq.onnx`, bytes: exportQdq(quantized) });
  const reportFile = `${name}.report.json`;
  const report = buildReport({
    model: file, name, target: s.target, bits: s.bits, perChannel: s.perChannel, unsignedMapping: s.unsignedMapping, im2col: s.im2col,
    calibration, quantized, emitted, files: [...files.map((f) => f.name), reportFile], compileMs: Math.round(performance.now() - t0), notes: [],
  });
  files.push({ name: reportFile, bytes: `${JSON.stringify(report, null, 2)}\n` });
  return { file, name, float, quantized, lowered, program: emitted.program, report, files };
}

/**
 * Writes every file into `dir` or none (cli/program-file.ts writeFilesAtomically: temporaries, then renames).
 * A directory this call created is removed again when writing fails. Returns the final paths.
 */
export function writeOutputsAtomically(dir: string, files: readonly OutputFile[]): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory()) fail(`-o '${dir}' is not a directory`);
  const created = mkdirSync(dir, { recursive: true });
  const paths = files.map((f) => path.join(dir, f.name));
  try {
    writeFilesAtomically(files.map((f, i) => ({ path: paths[i]!, bytes: f.bytes })));
  } catch (e) {
    if (created !== undefined) rmSync(created, { recursive: true, force: true });
    throw e;
  }
  return paths;
}
