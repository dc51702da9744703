import { idealCycles } from '../../backend/cost.js';
import { type BarChart, barChartSvg } from './bar-chart.js';
import { bytes, decibels, esc, int, optInt, percent } from './format.js';
import { graphSection } from './graph-section.js';
import { REPORT_CSS } from './style.js';
import type { ReportData, ReportExtras, ReportLayer } from './types.js';

// NAME.report.html: one self-contained page (no script, no external resource; a CSP forbids both) with
// the compile report as inline SVG charts and tables. It formats what the stages computed and nothing
// else. The same input gives the same bytes; the one run-dependent number (compile time) sits in a
// separate footer.

/** Cycles of a perfect t×t array for the layer: the shared definition (backend/cost.ts); 0 for host steps. */
const layerIdeal = (l: ReportLayer, tile: number): number => (l.kind === 'host' ? 0 : idealCycles(l.macs, tile));

const layerTooltip = (l: ReportLayer): string => `${l.op} '${l.name}'${l.kind === 'host' ? ' (host step)' : `: m=${l.m} n=${l.n} k=${l.k}`}`;

function chartSection(id: string, title: string, hint: string, chart: BarChart | string): string {
  const body = typeof chart === 'string' ? `<p class="missing">${esc(chart)}</p>` : `<div class="scroll">${barChartSvg(chart)}</div>`;
  return `<section id="${id}"><h2>${esc(title)}</h2>\n<p class="hint">${esc(hint)}</p>\n${body}\n</section>`;
}

/** `why` when no layer has the field, else the chart. */
const unlessAllNull = (layers: readonly ReportLayer[], field: (l: ReportLayer) => number | null, why: string, chart: () => BarChart): BarChart | string =>
  (layers.length === 0 ? 'the model has no matrix-unit layers' : layers.every((l) => field(l) === null) ? why : chart());

const PENDING = 'not known yet: the report carries no tile program numbers (see the notes above)';

function utilizationChart(r: ReportData): BarChart | string {
  return unlessAllNull(r.layers, (l) => l.utilization, PENDING, () => ({
    id: 'chart-utilization', title: 'utilization per layer', max: 1, tick: (v) => `${Math.round(100 * v)}%`,
    series: [{ key: 'utilization', label: 'utilization' }],
    rows: r.layers.map((l) => ({
      label: l.name, tooltip: `${layerTooltip(l)}\nutilization ${percent(l.utilization)}`,
      values: [l.kind === 'host' ? null : l.utilization],
      text: l.kind === 'host' ? 'host step' : percent(l.utilization),
    })),
  }));
}

function dramChart(r: ReportData): BarChart | string {
  return unlessAllNull(r.layers, (l) => l.dram_bytes, PENDING, () => ({
    id: 'chart-dram', title: 'DRAM traffic per layer', tick: (v) => bytes(v),
    series: [{ key: 'dram', label: 'DRAM bytes' }],
    rows: r.layers.map((l) => ({
      label: l.name, tooltip: `${layerTooltip(l)}\n${optInt(l.dram_bytes)} DRAM bytes`,
      values: [l.dram_bytes], text: l.dram_bytes === null ? 'n/a' : bytes(l.dram_bytes),
    })),
  }));
}

function cyclesChart(r: ReportData): BarChart | string {
  return unlessAllNull(r.layers, (l) => l.cycles, PENDING, () => ({
    id: 'chart-cycles', title: 'modeled vs ideal cycles per layer', tick: (v) => int(v),
    series: [{ key: 'modeled', label: 'modeled cycles' }, { key: 'ideal', label: `ideal (MACs / ${r.tile}²)` }],
    rows: r.layers.map((l) => {
      const ideal = layerIdeal(l, r.tile);
      return {
        label: l.name, tooltip: `${layerTooltip(l)}\nmodeled ${optInt(l.cycles)} cycles, ideal ${int(ideal)}`,
        values: [l.cycles, ideal], text: `${optInt(l.cycles)} / ${int(ideal)}`,
      };
    }),
  }));
}

function sqnrChart(sqnr: NonNullable<ReportExtras['sqnr']>): BarChart | string {
  if (sqnr.length === 0) return 'verify compared no values';
  return {
    id: 'chart-sqnr', title: 'SQNR per value', tick: (v) => `${v.toFixed(0)} dB`,
    series: [{ key: 'sqnr', label: 'SQNR dB' }],
    rows: sqnr.map((s) => ({ label: s.name, tooltip: `${s.name}\nSQNR ${decibels(s)}`, values: [s.sqnr_db], text: decibels(s) })),
  };
}

function im2colChart(t: NonNullable<ReportExtras['im2colTraffic']>): BarChart {
  const rows = [{ name: 'all convolutions', explicit: t.explicit, implicit: t.implicit }, ...(t.layers ?? [])];
  return {
    id: 'chart-im2col', title: 'im2col DRAM traffic', tick: (v) => bytes(v),
    series: [{ key: 'explicit', label: 'explicit im2col' }, { key: 'implicit', label: 'implicit (gathering loads)' }],
    rows: rows.map((x) => ({
      label: x.name, tooltip: `${x.name}\nexplicit ${int(x.explicit)} bytes, implicit ${int(x.implicit)} bytes`,
      values: [x.explicit, x.implicit], text: `${bytes(x.explicit)} / ${bytes(x.implicit)}`,
    })),
  };
}

function card(value: string, label: string): string {
  return `<div class="card"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
}

function header(r: ReportData, name: string): string {
  const t = r.totals;
  const hostSteps = r.layers.filter((l) => l.kind === 'host').length;
  const facts = [
    `target <code>${esc(r.target.name)}</code>, tile t=${int(r.tile)}`,
    ...(r.bits !== undefined ? [`${int(r.bits)}-bit`] : []),
    ...(r.per_channel !== undefined ? [r.per_channel ? 'per-channel weights' : 'per-tensor weights'] : []),
    ...(r.calibration ? [`calibrated with <code>${esc(r.calibration.method)}</code> on ${int(r.calibration.samples)} sample(s) of <code>${esc(r.calibration.spec)}</code>`] : []),
  ];
  const notes = r.notes && r.notes.length > 0 ? `<ul class="notes">${r.notes.map((n) => `<li>note: ${esc(n)}</li>`).join('')}</ul>` : '';
  return `<header><h1>tilec report: ${esc(name)}</h1>
<p class="lead">model <code>${esc(r.model)}</code>; ${facts.join('; ')}</p>
<div class="cards">${[
    card(int(r.layers.filter((l) => l.kind !== 'host').length), 'matrix layers'),
    ...(hostSteps > 0 ? [card(int(hostSteps), 'host steps')] : []),
    card(int(t.macs), 'MACs'),
    card(optInt(t.tile_ops), 'tile ops'),
    card(t.dram_bytes === null ? 'n/a' : bytes(t.dram_bytes), 'DRAM traffic'),
    card(optInt(t.cycles), 'modeled cycles'),
    card(int(t.ideal_cycles), 'ideal cycles'),
    card(percent(t.utilization), 'utilization'),
  ].join('')}</div>
${notes}</header>`;
}

function layerTable(r: ReportData): string {
  const num = (s: string): string => `<td class="num">${s}</td>`;
  const rows = r.layers.map((l) => `<tr><td class="name">${esc(l.name)}</td><td><code>${esc(l.op)}</code></td>`
    + [l.m, l.n, l.k].map((v) => num(int(v))).join('')
    + num(optInt(l.tile_ops)) + num(int(l.macs)) + num(optInt(l.dram_bytes)) + num(optInt(l.cycles)) + num(int(layerIdeal(l, r.tile)))
    + num(l.kind === 'host' ? 'host' : percent(l.utilization))
    + `<td>${esc(l.bound ?? '')}</td>`
    + `<td>${esc([l.schedule, l.note].filter((s) => s !== undefined).join('; '))}</td></tr>`);
  const head = '<tr><th>layer</th><th>op</th><th class="num">m</th><th class="num">n</th><th class="num">k</th><th class="num">tile ops</th>'
    + '<th class="num">MACs</th><th class="num">DRAM bytes</th><th class="num">cycles</th><th class="num">ideal</th><th class="num">util.</th><th>bound</th><th>schedule</th></tr>';
  return `<section id="layers"><h2>Layers</h2>
<p class="hint">C(m×n) = A(m×k)·B(k×n) as the matrix unit runs it; ideal cycles = ceil(MACs / t²); utilization = ideal / modeled cycles; bound = what limits the layer under the cost model (compute: the array is the busiest queue; dma: a DMA queue is busier; host: a host step).</p>
<div class="scroll"><table class="layers">${head}${rows.join('')}</table></div></section>`;
}

function floatIslandsSection(r: ReportData, extras: ReportExtras): string {
  const names = extras.floatIslands ?? r.float_islands?.map((f) => `${f.op} '${f.name}'`);
  const body = names === undefined ? '<p class="missing">not reported</p>'
    : names.length === 0 ? '<p>none: every node between the quantized input and output computes in int8.</p>'
      : `<ul class="islands">${names.map((n) => `<li><code>${esc(n)}</code></li>`).join('')}</ul>`;
  return `<section id="float-islands"><h2>Float islands${names && names.length > 0 ? ` (${int(names.length)})` : ''}</h2>
<p class="hint">Nodes with no int8 form, computed in float between a Dequantize and a Quantize.</p>
${body}</section>`;
}

/** The whole page. */
export function renderReportHtml(report: ReportData, extras: ReportExtras = {}): string {
  const name = report.name ?? report.model;
  const sections = [
    header(report, name),
    chartSection('utilization', 'Utilization per layer', 'Ideal cycles / modeled cycles of each matrix-unit layer (100% = every MAC of the t×t array busy every cycle).', utilizationChart(report)),
    chartSection('dram', 'DRAM traffic per layer', 'Bytes the layer moves between DRAM and the scratchpads: loads, stores and requantization tables.', dramChart(report)),
    chartSection('cycles', 'Modeled vs ideal cycles per layer', 'Modeled: the layer timed alone under the cost model (docs/isa.md). Ideal: ceil(MACs / t²).', cyclesChart(report)),
    ...(extras.sqnr ? [chartSection('sqnr', 'SQNR per value', 'From verify: 10·log10(Σ float² / Σ (float − dequantized int8)²) over all samples, in graph order.', sqnrChart(extras.sqnr))] : []),
    ...(extras.im2colTraffic ? [chartSection('im2col', 'im2col DRAM traffic', 'Convolutions with the im2col matrix materialised in DRAM (explicit) vs gathered by the loads (implicit).', im2colChart(extras.im2colTraffic))] : []),
    layerTable(report),
    floatIslandsSection(report, extras),
    graphSection(extras.graphBefore, extras.graphAfter),
  ].filter((s) => s !== '');
  const runInfo = report.compile_ms !== undefined
    ? `<footer class="run-info">Run-dependent: compile time ${int(report.compile_ms)} ms. Everything above depends only on the model and the options.</footer>\n`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tilec">
<title>tilec report: ${esc(name)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${sections.join('\n')}
${runInfo}</body>
</html>
`;
}
