import { type OutputFile, writeOutputsAtomically } from '../session.js';
import { renderReportHtml } from './html.js';
import type { ReportData, ReportExtras } from './types.js';

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
