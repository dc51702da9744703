import type { Command } from 'commander';
import { type RawCompileOptions, addCompileOptions, resolveCompileOptions } from '../compile-options.js';
import type { CompileReport } from '../compile-report.js';
import { startProgress } from '../progress.js';
import { compileReportFile } from '../report/write.js';
import { PASS_NAMES, type SessionLog, compileModel, writeOutputsAtomically } from '../session.js';
import { formatTable, thousands } from '../table.js';
import { type CommandContext, printJson, wantsJson } from './context.js';

/** The session's stderr: notes, pass instrumentation, and a progress bar when stderr is a terminal. */
export function stderrLog(ctx: CommandContext): SessionLog {
  return {
    line: (t) => ctx.io.err(`${t}\n`),
    print: (t) => ctx.io.err(t.endsWith('\n') ? t : `${t}\n`),
    progress: (label, total) => startProgress(ctx.io, label, total),
  };
}

export function registerCompile(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('compile')
    .summary('compile an ONNX model: float cleanup, calibration, int8 quantization, per-layer report')
    .description(
      'Imports MODEL.onnx, runs the float pipeline, calibrates activation ranges on --calib data, realizes the\n'
      + 'int8 graph (QUANT_PIPELINE) and writes into -o DIR, named after the model: NAME.report.json (per-layer\n'
      + 'GEMM sizes and MACs), NAME.qdq.onnx with --emit-onnx. Files appear all at once or not at all.',
    )
    .argument('<MODEL>', 'MODEL.onnx')
    .option('--report', 'also write NAME.report.html: the report as one self-contained page with charts and the graphs');
  addCompileOptions(cmd)
    .addHelpText('after', `
Examples:
  $ tilec compile ../shared/models/mnist-8/model.onnx --calib mnist:../shared/data/mnist -o out
  $ tilec compile model.onnx --bits 6 --per-channel --calib-method percentile --json`)
    .action((file: string, raw: RawCompileOptions & { report?: boolean }, c: Command) => {
      const settings = resolveCompileOptions(raw, PASS_NAMES);
      const compiled = compileModel(file, settings, stderrLog(ctx));
      const written = writeOutputsAtomically(settings.outDir, raw.report ? [...compiled.files, compileReportFile(compiled)] : compiled.files);
      if (wantsJson(c)) printJson(ctx, compiled.report);
      else ctx.io.out(formatCompileReport(compiled.report, written));
    });
}

export function formatCompileReport(r: CompileReport, written: readonly string[]): string {
  const rows = r.layers.map((l) => [l.name, l.op, String(l.m), String(l.n), String(l.k), thousands(l.macs)]);
  const lines = [
    `compiled ${r.model} for target '${r.target.name}' (t=${r.tile}), ${r.bits}-bit, ${r.per_channel ? 'per-channel' : 'per-tensor'} weights,`
      + ` calibrated with '${r.calibration.method}' on ${r.calibration.samples} sample(s) of ${r.calibration.spec}`,
    '',
    formatTable(['layer', 'op', 'm', 'n', 'k', 'MACs'], rows, new Set([2, 3, 4, 5])).trimEnd(),
    '',
    `totals: ${r.layers.length} matrix layers, ${thousands(r.totals.macs)} MACs, ideal ${thousands(r.totals.ideal_cycles)} cycles at t=${r.tile}`,
  ];
  if (r.float_islands.length > 0) lines.push(`float islands (no int8 form): ${r.float_islands.map((f) => `${f.op} '${f.name}'`).join(', ')}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(`wrote ${written.join(', ')}`, `compile time ${r.compile_ms} ms`, '');
  return lines.join('\n');
}
