import type { Command } from 'commander';
import { type RawCompileOptions, addCompileOptions, resolveCompileOptions } from '../compile-options.js';
import type { CompileReport } from '../compile-report.js';
import { startProgress } from '../progress.js';
import type { Im2colTraffic } from '../report/types.js';
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
      const traffic = im2colTraffic(compiled.report);
      const html = () => compileReportFile(compiled, traffic ? { im2colTraffic: traffic } : {});
      const written = writeOutputsAtomically(settings.outDir, raw.report ? [...compiled.files, html()] : compiled.files);
      if (wantsJson(c)) printJson(ctx, compiled.report);
      else ctx.io.out(formatCompileReport(compiled.report, written));
    });
}

/** The explicit vs implicit im2col DRAM bytes of the gathered convolutions, for the HTML chart (none: undefined). */
export function im2colTraffic(r: CompileReport): Im2colTraffic | undefined {
  const total = r.totals.im2col_dram_bytes;
  if (!total) return undefined;
  const layers = r.layers.flatMap((l) => (l.im2col_dram_bytes ? [{ name: l.name, ...l.im2col_dram_bytes }] : []));
  return { explicit: total.explicit, implicit: total.implicit, layers };
}

export function formatCompileReport(r: CompileReport, written: readonly string[]): string {
  const pct = (u: number | null): string => (u === null ? '' : `${(100 * u).toFixed(1)}%`);
  const num = (v: number | null): string => (v === null ? '' : thousands(v));
  const rows = r.layers.map((l) => [
    l.name, l.op, l.kind === 'host' ? '' : `${l.m}x${l.n}x${l.k}`, num(l.tile_ops), num(l.macs), num(l.dram_bytes), num(l.cycles),
    l.kind === 'host' ? '' : pct(l.utilization), l.schedule ?? '',
  ]);
  const t = r.totals;
  const lines = [
    `compiled ${r.model} for target '${r.target.name}' (t=${r.tile}), ${r.bits}-bit, ${r.per_channel ? 'per-channel' : 'per-tensor'} weights,`
      + ` calibrated with '${r.calibration.method}' on ${r.calibration.samples} sample(s) of ${r.calibration.spec}`,
    '',
    formatTable(['step', 'op', 'm x n x k', 'tile ops', 'MACs', 'DRAM bytes', 'cycles', 'util', 'schedule'], rows, new Set([3, 4, 5, 6, 7])).trimEnd(),
    '',
    `totals: ${thousands(t.instructions)} instructions, ${thousands(t.tile_ops)} tile ops, ${thousands(t.macs)} MACs, ${thousands(t.dram_bytes)} DRAM bytes,`
      + ` ${thousands(t.cycles)} cycles (ideal ${thousands(t.ideal_cycles)}, utilization ${pct(t.utilization)}, host ${thousands(t.host_cycles)})`,
  ];
  if (r.float_islands.length > 0) lines.push(`float islands (no int8 form): ${r.float_islands.map((f) => `${f.op} '${f.name}'`).join(', ')}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(`wrote ${written.join(', ')}`, `compile time ${r.compile_ms} ms`, '');
  return lines.join('\n');
}
