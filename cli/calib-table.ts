import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../ir/errors.js';
import { type Graph, valueType } from '../ir/graph.js';
import type { CalibrationStats } from '../ir/quant/index.js';
import { type CalibrationTable, calibrationTableJson, parseCalibrationTable } from '../ir/quant/table.js';
import type { CompileSettings } from './compile-options.js';
import { writeFilesAtomically } from './program-file.js';

// --save-calib-table / --calib-table (docs/quantization.md, "Calibration tables"): the file side of
// ir/quant/table.ts. A table replaces calibration entirely, so no float inference runs; the options applied
// after calibration (bits, per-channel, unsigned mapping) may differ from the run that saved it, the method
// may not (it decides which statistics were collected and over how many batches).

const who = (file: string): string => `calibration table '${file}'`;

/** Reads and validates a table; every error is a TilecError naming the file. */
export function readCalibTable(file: string): CalibrationTable {
  if (!existsSync(file)) fail(`--calib-table '${file}': no such file`);
  if (statSync(file).isDirectory()) fail(`--calib-table '${file}' is a directory, expected a calibration table .json file`);
  return parseCalibrationTable(readFileSync(file, 'utf8'), who(file));
}

/** Fails when the table was collected for another --calib-method than `s` asks for (the one option that matters). */
export function checkCalibTable(table: CalibrationTable, file: string, s: Pick<CompileSettings, 'calibMethod'>): void {
  if (table.stats.method !== s.calibMethod) {
    fail(`${who(file)} was made with --calib-method ${table.stats.method}, but this run uses --calib-method ${s.calibMethod}; pass --calib-method ${table.stats.method} or save a new table`);
  }
}

/** The shapes of a graph's inputs, as a table records them. */
export const inputShapes = (g: Graph): Map<string, readonly number[]> => new Map(g.inputs.map((name) => [name, valueType(g, name).shape]));

/** Fails when `g`, the graph to quantize, has other inputs or input shapes than the graph the table was made from. */
export function checkCalibTableGraph(table: CalibrationTable, file: string, g: Graph): void {
  const shown = (shapes: ReadonlyMap<string, readonly number[]>): string => [...shapes].map(([n, s]) => `'${n}' [${s.join(',')}]`).join(', ') || 'none';
  const mine = inputShapes(g);
  const same = mine.size === table.inputs.size
    && [...mine].every(([n, s]) => { const t = table.inputs.get(n); return t !== undefined && t.length === s.length && t.every((d, i) => d === s[i]); });
  if (!same) fail(`${who(file)} was made for a graph with inputs ${shown(table.inputs)}, but graph '${g.name}' has inputs ${shown(mine)} (another model, or another --input-shape)`);
}

/** Writes the table of `stats` (collected on data `spec` by graph `g`) to `file`, atomically. */
export function saveCalibTable(file: string, stats: CalibrationStats, spec: string, g: Graph): void {
  if (existsSync(file) && statSync(file).isDirectory()) fail(`--save-calib-table '${file}' is a directory, expected a file name`);
  const dir = path.dirname(file);
  if (!existsSync(dir)) fail(`--save-calib-table '${file}': directory '${dir}' does not exist`);
  writeFilesAtomically([{ path: file, bytes: calibrationTableJson(stats, spec, inputShapes(g)) }]);
}
