import type { Graph } from '../ir/graph.js';
import type { CalibrationStats } from '../ir/quant/index.js';
import type { CalibrationTable } from '../ir/quant/table.js';
import { runPasses } from '../passes/manager.js';
import { QUANT_PIPELINE } from '../passes/pipeline.js';
import { DEFAULT_CALIB_BATCH_SIZE, calibrate } from '../runtime/calibrate.js';
import { evaluateFloat } from '../runtime/float/index.js';
import { checkCalibTable, checkCalibTableGraph, readCalibTable, saveCalibTable } from './calib-table.js';
import type { CompileSettings } from './compile-options.js';
import type { CalibrationReport } from './compile-report.js';
import type { SampleSource } from './samples.js';

// The quantization stages of the compile session: calibration (runtime/calibrate.ts) on the float graph,
// then QUANT_PIPELINE with the statistics and the options in PassContext.options (passes/quantize/options.ts).

export const QUANT_PASS_NAMES: readonly string[] = QUANT_PIPELINE.map((p) => p.name);

export interface PassPrintOptions {
  readonly printIrAfter?: string;
  readonly timePasses?: boolean;
  readonly print?: (text: string) => void;
  /** One line per rewrite (PassContext.log); nothing when absent. */
  readonly log?: (line: string) => void;
}

/** Samples calibration runs: all of the data, or the first --calib-batches × --batch of it. */
export function calibrationCount(size: number, s: Pick<CompileSettings, 'calibBatches' | 'batch'>): number {
  if (s.calibBatches === undefined) return size;
  return Math.min(size, s.calibBatches * (s.batch ?? DEFAULT_CALIB_BATCH_SIZE));
}

/** Runs the float graph on the calibration samples; `onProgress(done, total)` after each sample. */
export function calibrateSamples(float: Graph, calib: SampleSource, s: Pick<CompileSettings, 'calibMethod' | 'calibBatches' | 'batch'>, onProgress?: (done: number, total: number) => void): CalibrationStats {
  return calibrate(float, calib.feeds, calibrationCount(calib.size, s), { method: s.calibMethod, batchSize: s.batch, ...(onProgress ? { onProgress } : {}) });
}

/** QUANT_PIPELINE on the float graph with the calibration statistics: the realized int8 graph. */
export function realize(float: Graph, stats: CalibrationStats, s: Pick<CompileSettings, 'bits' | 'perChannel' | 'calibMethod' | 'unsignedMapping'>, passOpts: PassPrintOptions = {}): Graph {
  const options = { bits: s.bits, perChannel: s.perChannel, method: s.calibMethod, unsignedMapping: s.unsignedMapping, calibration: stats };
  return runPasses(float, QUANT_PIPELINE, { evaluate: evaluateFloat, options, log: passOpts.log }, passOpts).graph;
}

/** A --calib-table, read and checked against the settings: where the statistics come from instead of samples. */
export interface LoadedCalibTable extends CalibrationTable {
  readonly file: string;
}

/** Reads --calib-table (settings.calibTable) and checks it fits the settings; every error names the file. */
export function loadCalibTable(s: Pick<CompileSettings, 'calibTable' | 'calibMethod'>): LoadedCalibTable {
  const file = s.calibTable!;
  const table = readCalibTable(file);
  checkCalibTable(table, file, s);
  return { ...table, file };
}

const isTable = (c: SampleSource | LoadedCalibTable): c is LoadedCalibTable => 'stats' in c;

/**
 * Calibration (or the statistics of a --calib-table) then QUANT_PIPELINE; `onProgress` follows the calibration
 * samples. With --save-calib-table the statistics are written as soon as they exist. The report describes the
 * calibration the statistics came from (for a table: the one that saved it).
 */
export function quantizeModel(float: Graph, calib: SampleSource | LoadedCalibTable, s: CompileSettings, passOpts: PassPrintOptions, onProgress?: (done: number, total: number) => void): { graph: Graph; calibration: CalibrationReport } {
  if (isTable(calib)) checkCalibTableGraph(calib, calib.file, float);
  const stats = isTable(calib) ? { ...calib.stats, origin: `calibration table '${calib.file}'` } : calibrateSamples(float, calib, s, onProgress);
  if (s.saveCalibTable !== undefined) saveCalibTable(s.saveCalibTable, stats, calib.spec, float);
  return {
    graph: realize(float, stats, s, passOpts),
    calibration: { spec: calib.spec, method: stats.method, samples: stats.samples, batch: stats.batchSize, batches: stats.batches },
  };
}
