import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TileProgram } from '../backend/program.js';
import { assemble, disassemble } from '../backend/tasm.js';
import { decodeTbin, encodeTbin } from '../backend/tbin.js';
import { resolveCompileOptions } from '../cli/compile-options.js';
import type { Limits } from '../cli/limits.js';
import { openSamples } from '../cli/samples.js';
import { PASS_NAMES, type SessionLog, compileModel } from '../cli/session.js';
import { TilecError } from '../ir/errors.js';
import { evaluateFloat } from '../runtime/float/index.js';
import { ProgramRunner } from '../runtime/tile/run-program.js';
import { verifySamples } from '../runtime/verify.js';
import type { CaseOptions } from './case.js';

// What one fuzz case runs: `tilec compile` itself (cli/session.ts compileModel: import -> FLOAT_PIPELINE ->
// calibration on `random:2:SEED` -> QUANT_PIPELINE -> LOWER_PIPELINE -> emission -> .tbin/.tasm/report,
// and the QDQ export with --emit-onnx), then checks that the program's .tbin and .tasm forms reproduce it
// byte for byte, then `verify`'s loop (float reference, integer reference, tile machine) on the same samples.
//
// The fuzzer's limits (cli/limits.ts) go to the session as `compile --max-...` options would, so an
// inflating mutation stops at the same checks the CLI makes (model bytes, tensor elements, graph memory,
// tile ops, program DRAM) before it allocates much.
//
// Outcomes: a TilecError while compiling is the expected answer to a bad model ("typed"); any other
// exception is a crash. Once compile succeeded, every error is a crash — a program tilec produced must
// round-trip and run — and a tile result that differs from the integer reference is a mismatch.

/** import: import, FLOAT_PIPELINE and the float graph's limits; compile: calibration to emission. */
export type Stage = 'import' | 'compile' | 'format' | 'run';
const COMPILE_STAGES: ReadonlySet<Stage> = new Set(['import', 'compile']);

export interface Outcome {
  readonly kind: 'success' | 'typed' | 'crash' | 'mismatch';
  readonly stage?: Stage;
  readonly message?: string;
  readonly stack?: string;
}

/** Calibration (and verification) samples per case: two uniform [0,1) samples, as `--calib random:2:SEED`. */
export const SAMPLES = 2;

const SILENT: SessionLog = { line: () => {}, print: () => {} };

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** .tbin decode/encode and .tasm assemble must reproduce the program's bytes exactly. */
function checkFormats(p: TileProgram): void {
  const tbin = encodeTbin(p);
  if (!sameBytes(encodeTbin(decodeTbin(tbin, 'fuzz.tbin')), tbin)) throw new Error('.tbin decode/encode does not reproduce the program');
  if (!sameBytes(encodeTbin(assemble(disassemble(p), 'fuzz.tasm')), tbin)) throw new Error('.tasm assemble(disassemble(p)) does not reproduce the .tbin');
}

/** The compile options of the case, as the command line would give them. */
const settingsOf = (o: CaseOptions): ReturnType<typeof resolveCompileOptions> => resolveCompileOptions({
  bits: String(o.bits), perChannel: o.perChannel, calib: `random:${SAMPLES}:${o.sampleSeed}`, calibMethod: o.method,
  unsignedMapping: o.unsignedMapping, tile: String(o.tile), im2col: o.im2col, emitOnnx: o.emitOnnx,
  ...(o.loopOrder ? { loopOrder: o.loopOrder } : {}),
}, PASS_NAMES);

/**
 * Compiles `bytes` (written to `workDir/fuzz.onnx`, the session reads files) and runs the program. Never
 * throws: every failure is an Outcome.
 */
export function runCase(bytes: Uint8Array, o: CaseOptions, limits: Limits, workDir: string): Outcome {
  let stage: Stage = 'import';
  try {
    const file = path.join(workDir, 'fuzz.onnx');
    writeFileSync(file, bytes);
    const settings = { ...settingsOf(o), limits };
    const compiled = compileModel(file, settings, SILENT, () => { stage = 'compile'; });
    stage = 'format';
    checkFormats(compiled.program);
    stage = 'run';
    const samples = openSamples(settings.calib, compiled.float, settings.preprocess);
    const runner = new ProgramRunner(compiled.program);
    const programInputs = new Set(runner.inputEntries.map((e) => e.name));
    const result = verifySamples({
      float: compiled.float, quantized: compiled.quantized, evaluate: evaluateFloat, samples: SAMPLES, feeds: samples.feeds,
      runTile: (f) => runner.run(new Map([...f].filter(([name]) => programInputs.has(name)))).outputs,
    });
    if (result.bitExact === false) {
      return { kind: 'mismatch', stage, message: `tile program differs from the integer reference on ${result.mismatchedSamples} of ${SAMPLES} samples` };
    }
    return { kind: 'success' };
  } catch (e) {
    // Messages name the case's file; without the temporary folder they are the same on every run.
    const local = (t: string): string => t.split(`${workDir}${path.sep}`).join('');
    const message = local(e instanceof Error ? e.message : String(e));
    const stack = e instanceof Error && e.stack ? local(e.stack) : undefined;
    const typed = e instanceof TilecError && COMPILE_STAGES.has(stage);
    return { kind: typed ? 'typed' : 'crash', stage, message: `${e instanceof Error ? e.name : 'thrown'}: ${message}`, ...(stack ? { stack } : {}) };
  }
}
