import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { esc } from '../../cli/report/format.js';
import { runCli } from '../cli/run-cli.js';
import { tinyCnn } from './tiny-model.js';

// `tilec compile --report`: NAME.report.html written with the other outputs, from the same report.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-compile-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CONV = 'conv<"1">&';
const model = path.join(tmp, 'tiny.onnx');
writeFileSync(model, tinyCnn(CONV));

describe('tilec compile --report', () => {
  it('writes NAME.report.html next to NAME.report.json, describing the same layers and graphs', async () => {
    const out = path.join(tmp, 'out');
    const r = await runCli('compile', model, '-o', out, '--report', '--json');
    expect(r.code).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith('tiny.report.')).sort()).toEqual(['tiny.report.html', 'tiny.report.json']);
    const report = JSON.parse(r.out) as { layers: { name: string; macs: number }[]; totals: { macs: number }; compile_ms: number };
    // conv 3·16·9 + fc 2·48 MACs, however the backend splits the layers into steps.
    expect([report.layers.reduce((s, l) => s + l.macs, 0), report.totals.macs]).toEqual([528, 528]);
    expect(report.layers.some((l) => l.name.startsWith(CONV))).toBe(true);

    const html = readFileSync(path.join(out, 'tiny.report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>\n/);
    expect(html).toContain('<h1>tilec report: tiny</h1>');
    // The layer table lists every layer of the JSON report, names escaped, and the total MACs.
    for (const l of report.layers) expect(html).toContain(`<td class="name">${esc(l.name)}</td>`);
    expect(html).not.toContain(CONV);
    expect(html).toContain('<b>528</b><span>MACs</span>');
    // Both graphs are drawn; the compile time sits in the footer.
    expect(html).toMatch(/<svg class="graph" id="graph-before"/);
    expect(html).toMatch(/<svg class="graph" id="graph-after"/);
    expect(html).toContain(`<footer class="run-info">Run-dependent: compile time ${report.compile_ms} ms.`);
  });

  it('writes no page without --report', async () => {
    const out = path.join(tmp, 'plain');
    const r = await runCli('compile', model, '-o', out);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(out, 'tiny.report.json'))).toBe(true);
    expect(existsSync(path.join(out, 'tiny.report.html'))).toBe(false);
  });
});
