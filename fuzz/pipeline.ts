import { emitProgram } from '../backend/emit/index.js';
import type { TileProgram } from '../backend/program.js';
import { assemble, disassemble } from '../backend/tasm.js';
import { decodeTbin, encodeTbin } from '../backend/tbin.js';
import { presetTarget, withTile } from '../backend/target.js';
import { type Limits, checkGraphMemory, checkModelBytes, checkProgramMemory, checkTileOps, importLimits } from '../cli/limits.js';
import { importModel } from '../frontend/index.js';
import { isFloat, newTensorData } from '../ir/dtype.js';
import { TilecError } from '../ir/errors.js';
import { type Graph, valueType } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { runPasses } from '../passes/manager.js';
import { FLOAT_PIPELINE, LOWER_PIPELINE, QUANT_PIPELINE } from '../passes/pipeline.js';
import { calibrate } from '../runtime/calibrate.js';
import { evaluateFloat } from '../runtime/float/index.js';
import { ProgramRunner } from '../runtime/tile/run-program.js';
import { verifySamples } from '../runtime/verify.js';
import type { CaseOptions } from './case.js';
import { Rng } from './rng.js';

// What one fuzz case runs: the compile session's stages in its order (cli/session.ts: import ->
// FLOAT_PIPELINE -> calibration -> QUANT_PIPELINE), then LOWER_PIPELINE -> emission, the .tbin and .tasm
// round trips, and `verify`'s loop (float reference, integer reference, tile machine) on the calibration
// samples. Works on bytes (no files) under the fuzzer's resource limits.
//
// Outcomes: a TilecError while compiling is the expected answer to a bad model ("typed"); any other
// exception is a crash. Once compile succeeded, every error is a crash — a program tilec produced must
// round-trip and run — and a tile result that differs from the integer reference is a mismatch.

export type Stage = 'import' | 'float' | 'limits' | 'calibrate' | 'quantize' | 'lower' | 'emit' | 'format' | 'run';
const COMPILE_STAGES: ReadonlySet<Stage> = new Set(['import', 'float', 'limits', 'calibrate', 'quantize', 'lower', 'emit']);

export interface Outcome {
  readonly kind: 'success' | 'typed' | 'crash' | 'mismatch';
  readonly stage?: Stage;
  readonly message?: string;
  readonly stack?: string;
}

/** Calibration samples per case (two: the seed method's first batch and something beyond it). */
export const SAMPLES = 2;

/** Uniform [0,1) floats (what `--calib random:N` feeds), zeros for integer and bool inputs. */
function sampleFeeds(g: Graph, sampleSeed: number): (i: number) => Map<string, Tensor> {
  return (i) => {
    const r = Rng.forCase(sampleSeed, i, 1);
    return new Map(g.inputs.map((name): [string, Tensor] => {
      const t = valueType(g, name);
      const data = newTensorData(t.dtype, t.shape.reduce((a, b) => a * b, 1));
      if (isFloat(t.dtype)) for (let k = 0; k < data.length; k++) data[k] = r.next();
      return [name, { dtype: t.dtype, shape: [...t.shape], data }];
    }));
  };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** .tbin decode/encode and .tasm assemble must reproduce the program's bytes exactly. */
function checkFormats(p: TileProgram): void {
  const tbin = encodeTbin(p);
  if (!sameBytes(encodeTbin(decodeTbin(tbin, 'fuzz.tbin')), tbin)) throw new Error('.tbin decode/encode does not reproduce the program');
  if (!sameBytes(encodeTbin(assemble(disassemble(p), 'fuzz.tasm')), tbin)) throw new Error('.tasm assemble(disassemble(p)) does not reproduce the .tbin');
}

/** Compiles `bytes` and runs the program; never throws (every failure is an Outcome). */
export function runCase(bytes: Uint8Array, o: CaseOptions, limits: Limits): Outcome {
  let stage: Stage = 'import';
  try {
    checkModelBytes(bytes.length, 'fuzz.onnx', limits);
    const imported = importModel(bytes, { path: 'fuzz.onnx', evaluate: evaluateFloat, warn: () => {}, ...importLimits(limits) });
    stage = 'float';
    const float = runPasses(imported, FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {} }).graph;
    stage = 'limits';
    checkGraphMemory(float, limits);
    checkTileOps(float, o.tile, limits);
    stage = 'calibrate';
    const feeds = sampleFeeds(float, o.sampleSeed);
    const stats = calibrate(float, feeds, SAMPLES, { method: o.method });
    stage = 'quantize';
    const quantOptions = { bits: o.bits, perChannel: o.perChannel, method: o.method, unsignedMapping: o.unsignedMapping, calibration: stats };
    const quantized = runPasses(float, QUANT_PIPELINE, { evaluate: evaluateFloat, options: quantOptions }).graph;
    stage = 'lower';
    const lowered = runPasses(quantized, LOWER_PIPELINE, { evaluate: evaluateFloat, options: { im2col: o.im2col } }).graph;
    checkTileOps(lowered, o.tile, limits);
    stage = 'emit';
    const { program } = emitProgram(lowered, withTile(presetTarget('default'), o.tile));
    checkProgramMemory(program, limits);
    stage = 'format';
    checkFormats(program);
    stage = 'run';
    const runner = new ProgramRunner(program);
    const programInputs = new Set(runner.inputEntries.map((e) => e.name));
    const result = verifySamples({
      float, quantized, evaluate: evaluateFloat, samples: SAMPLES, feeds,
      runTile: (f) => runner.run(new Map([...f].filter(([name]) => programInputs.has(name)))).outputs,
    });
    if (result.bitExact === false) {
      return { kind: 'mismatch', stage, message: `tile program differs from the integer reference on ${result.mismatchedSamples} of ${SAMPLES} samples` };
    }
    return { kind: 'success' };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const stack = e instanceof Error ? e.stack : undefined;
    const typed = e instanceof TilecError && COMPILE_STAGES.has(stage);
    return { kind: typed ? 'typed' : 'crash', stage, message: `${e instanceof Error ? e.name : 'thrown'}: ${message}`, ...(stack ? { stack } : {}) };
  }
}
