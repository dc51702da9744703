import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../cli/report/html.js';
import type { ReportData, ReportExtras } from '../../cli/report/types.js';
import { runCli } from '../cli/run-cli.js';
import { chromiumOrSkip, launchChromium } from './chromium.js';
import { HOSTILE, syntheticExtras, syntheticReport } from './fixture.js';
import { tinyCnn } from './tiny-model.js';

// The report opened in headless Chromium, scripts disabled: the charts must be drawn by markup alone,
// nothing may be fetched, nothing logged as an error, and hostile names must stay text.

const executable = chromiumOrSkip();
const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-report-browser-'));
let browser: Browser | undefined;

beforeAll(async () => { if (executable) browser = await launchChromium(executable); });
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Opened { page: Page; problems: string[]; requests: string[] }

/** Writes the page to a file and opens it with JavaScript off; console errors and page errors are collected. */
async function open(file: string, report: ReportData, extras?: ReportExtras): Promise<Opened> {
  const html = path.join(tmp, file);
  writeFileSync(html, renderReportHtml(report, extras));
  return openFile(html);
}

async function openFile(html: string): Promise<Opened> {
  const context = await browser!.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [], requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  return { page, problems, requests };
}

/** Bounding boxes of every match, in page pixels. */
const boxes = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height }; }));

describe.skipIf(!executable)('the HTML report in Chromium', () => {
  const report = syntheticReport(12);
  const extras = syntheticExtras(12);

  it('renders every chart as a visible SVG with one bar per layer, loading nothing and logging no error', async () => {
    const { page, problems, requests } = await open('net12.report.html', report, extras);
    try {
      expect(problems).toEqual([]);
      expect(requests).toEqual([pathToFileURL(path.join(tmp, 'net12.report.html')).href]);

      const charts = await boxes(page, 'svg.chart');
      expect(charts).toHaveLength(5);
      for (const c of charts) expect(c.w > 0 && c.h > 0).toBe(true);

      const bars = async (chart: string, series: string) => boxes(page, `#${chart} rect.bar.s-${series}`);
      const tileLayers = report.layers.filter((l) => l.kind !== 'host').length;
      expect((await bars('chart-utilization', 'utilization')).length).toBe(tileLayers);
      expect((await bars('chart-dram', 'dram')).length).toBe(report.layers.length);
      expect((await bars('chart-cycles', 'modeled')).length).toBe(report.layers.length);
      expect((await bars('chart-cycles', 'ideal')).length).toBe(report.layers.length);
      expect((await bars('chart-sqnr', 'sqnr')).length).toBe(extras.sqnr!.length - 1); // the exact one has no bar
      expect((await bars('chart-im2col', 'explicit')).length).toBe(3);
      // Every bar of a positive value is drawn with an area (host steps have an ideal of 0 cycles).
      for (const [chart, series] of [['chart-utilization', 'utilization'], ['chart-dram', 'dram'], ['chart-cycles', 'modeled'], ['chart-sqnr', 'sqnr']] as const) {
        for (const b of await bars(chart, series)) expect(b.w > 0 && b.h > 0).toBe(true);
      }
      // The page's own stylesheet applied (the CSP lets inline style through): bars are filled in the tile colour.
      expect(await page.$eval('#chart-utilization rect.bar', (e) => getComputedStyle(e).fill)).toBe('rgb(56, 103, 214)');

      // Layer names are drawn as text next to their bars and are visible.
      const label = page.locator('#chart-utilization text.label', { hasText: /^conv_2$/ });
      expect(await label.count()).toBe(1);
      expect(await label.isVisible()).toBe(true);
      expect(await page.locator('#chart-sqnr text.value', { hasText: /^exact$/ }).count()).toBe(1);
    } finally {
      await page.context().close();
    }
  });

  it('shows hostile names as text: no element, script or image comes out of them', async () => {
    const { page, problems, requests } = await open('hostile.report.html', report, extras);
    try {
      expect(problems).toEqual([]);
      expect(requests).toHaveLength(1);
      expect(await page.evaluate(() => [document.scripts.length, document.images.length, document.querySelectorAll('[onerror]').length])).toEqual([0, 0, 0]);
      expect(await page.locator('table.layers td.name').nth(1).textContent()).toBe(HOSTILE);
      expect(await page.locator('h1').textContent()).toBe('tilec report: net12');
      expect(await page.locator('header p.lead code').first().textContent()).toBe(`models/${HOSTILE}.onnx`);
      // The graph box tooltip carries the full name.
      expect(await page.locator('#graph-before g.node title').nth(2).textContent()).toContain(`QConv '${HOSTILE}'`);
    } finally {
      await page.context().close();
    }
  });

  it('draws both graphs as node-link diagrams', async () => {
    const { page, problems } = await open('graphs.report.html', report, extras);
    try {
      expect(problems).toEqual([]);
      for (const [id, g] of [['graph-before', extras.graphBefore!], ['graph-after', extras.graphAfter!]] as const) {
        const [svg] = await boxes(page, `#${id}`);
        expect(svg!.w > 0 && svg!.h > 0).toBe(true);
        const nodeBoxes = await boxes(page, `#${id} g.node rect`);
        expect(nodeBoxes).toHaveLength(g.nodes.length + g.inputs.length + g.outputs.length);
        for (const b of nodeBoxes) expect([b.w, b.h]).toEqual([150, 34]);
        // One edge per (producer, consumer) pair: chain edges, the residual skips and the output.
        const adds = g.nodes.filter((n) => n.op === 'QAdd').length;
        expect(await page.locator(`#${id} path.edge`).count()).toBe(g.nodes.length + adds + 1);
      }
    } finally {
      await page.context().close();
    }
  });

  it('renders what `tilec compile --report` wrote', async () => {
    const model = path.join(tmp, 'tiny.onnx');
    writeFileSync(model, tinyCnn());
    const r = await runCli('compile', model, '-o', path.join(tmp, 'out'), '--report', '--json');
    expect(r.code).toBe(0);
    const layers = (JSON.parse(r.out) as { layers: { name: string; cycles: number | null }[] }).layers;
    const { page, problems, requests } = await openFile(path.join(tmp, 'out', 'tiny.report.html'));
    try {
      expect(problems).toEqual([]);
      expect(requests).toHaveLength(1);
      expect(await page.locator('table.layers td.name').allTextContents()).toEqual(layers.map((l) => l.name));
      // Whatever charts the report has data for carry one bar per layer (the tiling stage adds cycles).
      const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => ({ id: s.id, bars: s.querySelectorAll('rect.bar.s-dram, rect.bar.s-modeled').length })));
      if (layers.some((l) => l.cycles !== null)) expect(charts.length).toBeGreaterThanOrEqual(3);
      for (const c of charts.filter((x) => x.id === 'chart-dram' || x.id === 'chart-cycles')) expect(c.bars).toBe(layers.length);
      for (const id of ['graph-before', 'graph-after']) {
        const [svg] = await boxes(page, `#${id}`);
        expect(svg!.w > 0 && svg!.h > 0).toBe(true);
        expect(await page.locator(`#${id} g.node.node`).count()).toBeGreaterThanOrEqual(4);
      }
    } finally {
      await page.context().close();
    }
  });

  it('keeps a 250-layer model readable: charts and graph scroll inside their boxes', async () => {
    const big = syntheticReport(250);
    const { page, problems } = await open('net250.report.html', big, syntheticExtras(250));
    try {
      expect(problems).toEqual([]);
      expect(await page.locator('#chart-dram rect.bar').count()).toBe(250);
      const scroll = await page.$eval('#dram .scroll', (e) => ({ client: e.clientHeight, content: e.scrollHeight }));
      expect(scroll.client).toBeLessThanOrEqual(522);
      expect(scroll.content).toBeGreaterThan(250 * 15);
      expect(await page.locator('#graph-after g.node').count()).toBe(252 + 2);
      const [graph] = await boxes(page, '#graph-after');
      expect(graph!.h).toBeGreaterThan(250 * 50);
    } finally {
      await page.context().close();
    }
  });
});
