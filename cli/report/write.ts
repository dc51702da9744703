import { type OutputFile, writeOutputsAtomically } from '../session.js';
import { renderReportHtml } from './html.js';
import type { GraphSummary, ReportData, ReportExtras } from './types.js';

/** The name of the page next to NAME.report.json. */
export const htmlReportName = (name: string): string => `${name}.report.html`;

/** NAME.report.html as one more output of a compile session (written with the others, all or none). */
export function htmlReportFile(name: string, report: ReportData, extras: ReportExtras = {}): OutputFile {
  return { name: htmlReportName(name), bytes: renderReportHtml(report, extras) };
}

/** Writes DIR/NAME.report.html atomically (temporary file, then rename) and returns its path. */
export function writeHtmlReport(dir: string, name: string, report: ReportData, extras: ReportExtras = {}): string {
  return writeOutputsAtomically(dir, [htmlReportFile(name, report, extras)])[0]!;
}

/** What a compile session hands over (cli/session.ts `CompiledModel`; `lowered` once the session keeps it). */
export interface CompiledForReport {
  readonly name: string;
  readonly report: ReportData;
  readonly float: GraphSummary;
  readonly quantized: GraphSummary;
  readonly lowered?: GraphSummary;
}

/** The graphs the page draws: around conv lowering when the session has the lowered graph, else around quantization. */
export function sessionGraphs(c: CompiledForReport): Pick<ReportExtras, 'graphBefore' | 'graphAfter'> {
  return c.lowered
    ? { graphBefore: { ...c.quantized, label: 'before lowering (int8)' }, graphAfter: { ...c.lowered, label: 'after lowering' } }
    : { graphBefore: { ...c.float, label: 'float (after the float passes)' }, graphAfter: { ...c.quantized, label: 'int8 (quantized)' } };
}

/** `compile --report`: NAME.report.html for a compiled model, to be written with its other files. */
export const compileReportFile = (c: CompiledForReport, extras: ReportExtras = {}): OutputFile =>
  htmlReportFile(c.name, c.report, { ...sessionGraphs(c), ...extras });
