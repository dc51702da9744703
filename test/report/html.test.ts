import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerifyDoc } from '../../cli/commands/verify.js';
import type { CompileReport } from '../../cli/compile-report.js';
import { niceCeil } from '../../cli/report/bar-chart.js';
import { bytes, esc } from '../../cli/report/format.js';
import { layoutGraph } from '../../cli/report/graph-svg.js';
import { renderReportHtml } from '../../cli/report/html.js';
import type { GraphSummary, ReportData, ReportLayer, SqnrEntry } from '../../cli/report/types.js';
import { compileReportFile, htmlReportFile, sessionGraphs, writeHtmlReport } from '../../cli/report/write.js';
import type { LayerReport as EmittedLayer } from '../../backend/emit/report.js';
import type { Graph } from '../../ir/graph.js';
import { HOSTILE, syntheticExtras, syntheticGraph, syntheticReport } from './fixture.js';

// The page as text: what it contains, what it must never contain, and that it is a pure function of its
// input. (test/report/browser.test.ts checks that a browser actually draws it.)

// What the stages produce fits the report's input types unchanged (a compile error here means the report
// has to follow a changed report format).
const fitsCompileReport = (r: CompileReport): ReportData => r;
const fitsEmittedLayer = (l: EmittedLayer): ReportLayer => l;
const fitsVerifyLayers = (d: VerifyDoc): readonly SqnrEntry[] => d.layers;
const fitsIrGraph = (g: Graph): GraphSummary => g;
void [fitsCompileReport, fitsEmittedLayer, fitsVerifyLayers, fitsIrGraph];

const count = (html: string, needle: string): number => html.split(needle).length - 1;

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('renderReportHtml', () => {
  const report = syntheticReport(12);
  const extras = syntheticExtras(12);
  const html = renderReportHtml(report, extras);

  it('escapes every name from the model: no markup of its own survives', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(esc('a\u0000b\u001Fc\td\ne')).toBe('a\uFFFDb\uFFFDc\td\ne');
    // Every tag is the report's own: no element or attribute from a name (text like `onerror=` stays text).
    const own = new Set(['b', 'body', 'br', 'code', 'details', 'div', 'footer', 'g', 'h1', 'h2', 'h3', 'head', 'header', 'html', 'li', 'line',
      'meta', 'p', 'path', 'rect', 'section', 'span', 'style', 'summary', 'svg', 'table', 'td', 'text', 'th', 'title', 'tr', 'ul']);
    expect(html.match(/<[a-zA-Z][a-zA-Z0-9]*/g)!.map((t) => t.slice(1)).filter((t) => !own.has(t))).toEqual([]);
    expect(html.match(/<[a-zA-Z][^>]*>/g)!.filter((t) => /\s(on\w+|src|href)=/i.test(t))).toEqual([]);
    // The hostile layer name is in the layer table, as text.
    expect(html).toContain(`<td class="name">${esc(HOSTILE)}</td>`);
  });

  it('is self-contained: no script, no link, no URL other than the SVG namespace, and a CSP that forbids loading', () => {
    expect(html).not.toMatch(/<script|<link|<iframe|<object|<img|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"\s]*/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });

  it('draws one bar per layer in each per-layer chart, two in the cycles chart, none for host steps in utilization', () => {
    const tileLayers = report.layers.filter((l) => l.kind !== 'host').length;
    expect(tileLayers).toBe(11);
    expect(count(html, 'class="bar s-utilization"')).toBe(tileLayers);
    expect(count(html, 'class="bar s-dram"')).toBe(12);
    expect(count(html, 'class="bar s-modeled"')).toBe(12);
    expect(count(html, 'class="bar s-ideal"')).toBe(12);
    // SQNR: the exact (+∞) value has no bar but says 'exact'.
    expect(count(html, 'class="bar s-sqnr"')).toBe(11);
    expect(html).toMatch(/<text class="value"[^>]*>exact<\/text>/);
    // im2col: the total plus two layers, both modes each.
    expect([count(html, 'class="bar s-explicit"'), count(html, 'class="bar s-implicit"')]).toEqual([3, 3]);
  });

  it('scales bars to the value: utilization against 100%, the others against a round axis maximum', () => {
    const l0 = report.layers[0]!;
    const width = (cls: string, nth: number): number => Number([...html.matchAll(new RegExp(`class="bar ${cls}"[^>]*width="([\\d.]+)"`, 'g'))][nth]![1]);
    expect(width('s-utilization', 0)).toBeCloseTo(400 * l0.utilization!, 1);
    const maxDram = niceCeil(Math.max(...report.layers.map((l) => l.dram_bytes!)));
    expect(width('s-dram', 0)).toBeCloseTo((400 * l0.dram_bytes!) / maxDram, 1);
    expect([0.3, 1, 1.1, 1.5, 2.2, 5, 603, 2000, 7e6].map(niceCeil)).toEqual([0.4, 1, 1.2, 1.6, 4, 6, 800, 2000, 8e6]);
  });

  it('formats numbers without the locale and lists the float islands and notes', () => {
    expect(html).toContain(`<b>${report.totals.macs.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}</b><span>MACs</span>`);
    expect(html).toContain("<li><code>Softmax &#39;softmax&#39;</code></li>");
    expect([0, 999, 1536, 21_100, 7e6].map(bytes)).toEqual(['0 B', '999 B', '1.54 kB', '21.1 kB', '7 MB']);
    // Host steps are not matrix layers.
    expect(html).toContain('<b>11</b><span>matrix layers</span></div><div class="card"><b>1</b><span>host steps</span>');
    const withNotes = renderReportHtml(syntheticReport(3, { notes: ['tiling <pending>'], float_islands: [] }));
    expect(withNotes).toContain('<li>note: tiling &lt;pending&gt;</li>');
    expect(withNotes).toContain('none: every node');
    expect(renderReportHtml(report, { floatIslands: ['Sigmoid s1'] })).toContain('<li><code>Sigmoid s1</code></li>');
  });

  it('is deterministic; compile time only changes the separate footer', () => {
    expect(renderReportHtml(report, extras)).toBe(html);
    const other = renderReportHtml({ ...report, compile_ms: 98765 }, extras);
    const diff = html.split('\n').filter((line, i) => line !== other.split('\n')[i]);
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatch(/^<footer class="run-info">Run-dependent: compile time 123 ms/);
  });

  it('says what is missing instead of drawing empty charts for a report without tile numbers', () => {
    const untiled = syntheticReport(4);
    const nulls = { ...untiled, layers: untiled.layers.map((l) => ({ ...l, tile_ops: null, dram_bytes: null, cycles: null, utilization: null })),
      totals: { ...untiled.totals, tile_ops: null, dram_bytes: null, cycles: null, utilization: null }, compile_ms: undefined };
    const page = renderReportHtml(nulls);
    expect(page).not.toContain('<svg');
    expect(count(page, '<p class="missing">not known yet: the report carries no tile program numbers')).toBe(3);
    expect(page).not.toMatch(/id="sqnr"|id="im2col"|id="graphs"|<footer/);
    expect(page).toContain('<b>n/a</b><span>modeled cycles</span>');
  });

  it('draws both graphs with their op counts, and lists big graphs without drawing them', () => {
    expect(html).toContain('<h2>Graphs: before lowering, after lowering</h2>');
    expect(html).toMatch(/<tr><td><code>QAdd<\/code><\/td><td class="num">3<\/td><td class="num">3<\/td><\/tr>/);
    expect(count(html, '<g class="node node ')).toBe(12 + 14);
    expect(count(html, '<g class="node input')).toBe(2);
    const big = renderReportHtml(report, { graphAfter: syntheticGraph(3000, 'after lowering (ResNet-ish)') });
    expect(big).toContain('3,000 nodes: too many to draw readably');
    expect(big).toContain('<summary>all 3,000 nodes</summary>');
  });
});

describe('layoutGraph', () => {
  it('puts every node one row below its deepest producer and keeps boxes apart', () => {
    const g = syntheticGraph(8);
    const l = layoutGraph(g);
    // input x, 8 nodes, output.
    expect(l.boxes.map((b) => b.layer)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // add_3 consumes conv v2 (row 3) and the input (row 0): two edges into it.
    expect(l.edges.filter(([, to]) => to === 4)).toEqual([[3, 4], [0, 4]]);
    for (const b of l.boxes) {
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.x + 150).toBeLessThanOrEqual(l.width);
      expect(b.y + 34).toBeLessThanOrEqual(l.height);
    }
  });

  it('places parallel branches side by side and terminates on a graph out of topological order', () => {
    const g: GraphSummary = {
      inputs: ['x'], outputs: ['z'],
      nodes: [
        { name: 'a', op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { name: 'b', op: 'Relu', inputs: ['x'], outputs: ['b'] },
        { name: 'z', op: 'Add', inputs: ['a', 'b'], outputs: ['z'] },
        { name: 'late', op: 'Relu', inputs: ['later'], outputs: ['w'] },
        { name: 'cyc', op: 'Relu', inputs: ['w2'], outputs: ['later'] },
      ],
    };
    const l = layoutGraph(g);
    const [a, b] = [l.boxes[1]!, l.boxes[2]!];
    expect([a.layer, b.layer]).toEqual([1, 1]);
    expect(Math.abs(a.x - b.x)).toBeGreaterThanOrEqual(150);
    expect(l.boxes[3]!.layer).toBe(2);
    expect(l.boxes.find((x) => x.sub === 'late')!.layer).toBe(0);
  });
});

describe('writing NAME.report.html', () => {
  it('writes the page atomically next to the other outputs and returns its path', () => {
    const report = syntheticReport(3);
    const file = writeHtmlReport(path.join(tmp, 'out'), 'net3', report);
    expect(file).toBe(path.join(tmp, 'out', 'net3.report.html'));
    expect(readdirSync(path.join(tmp, 'out'))).toEqual(['net3.report.html']);
    expect(readFileSync(file, 'utf8')).toBe(renderReportHtml(report));
    expect(htmlReportFile('net3', report)).toEqual({ name: 'net3.report.html', bytes: renderReportHtml(report) });
  });

  it('draws a session around conv lowering when it has the lowered graph, else around quantization', () => {
    const [float, quantized, lowered] = [syntheticGraph(2), syntheticGraph(3), syntheticGraph(4)];
    const report = syntheticReport(3);
    const labels = (e: ReturnType<typeof sessionGraphs>) => [e.graphBefore!.label, e.graphBefore!.nodes.length, e.graphAfter!.label, e.graphAfter!.nodes.length];
    expect(labels(sessionGraphs({ name: 'n', report, float, quantized }))).toEqual(['float (after the float passes)', 2, 'int8 (quantized)', 3]);
    expect(labels(sessionGraphs({ name: 'n', report, float, quantized, lowered }))).toEqual(['before lowering (int8)', 3, 'after lowering', 4]);
    const page = compileReportFile({ name: 'n', report, float, quantized, lowered }, { sqnr: [{ name: 'v', sqnr_db: 31 }] });
    expect(page.name).toBe('n.report.html');
    expect(page.bytes).toContain('<h2>Graphs: before lowering (int8), after lowering</h2>');
    expect(page.bytes).toContain('31.00 dB');
  });
});
