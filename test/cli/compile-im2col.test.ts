import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { writeSmallCnn } from './small-cnn.js';

// `compile --im2col implicit`: the conv's B tiles are gathered by LOAD_IM2COL, and the report (JSON and HTML)
// compares its DRAM bytes with explicit im2col's.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-compile-im2col-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const model = writeSmallCnn(tmp);

interface Bytes { explicit: number; implicit: number }
interface Doc {
  layers: { name: string; op: string; kind: string; dram_bytes: number; im2col_dram_bytes?: Bytes }[];
  totals: { dram_bytes: number; im2col_dram_bytes?: Bytes };
}

describe('tilec compile --im2col implicit', () => {
  it('gathers the conv input, reports explicit vs implicit DRAM bytes and draws them in the HTML report', async () => {
    const out = path.join(tmp, 'implicit');
    const r = await runCli('compile', model, '-o', out, '--json', '--report', '--im2col', 'implicit');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Doc;
    expect(doc.layers.some((l) => l.op === 'Im2Col')).toBe(false);
    const conv = doc.layers.find((l) => l.name === 'conv:gemm')!;
    expect(conv.im2col_dram_bytes!.implicit).toBe(conv.dram_bytes);
    expect(conv.im2col_dram_bytes!.implicit).toBeLessThan(conv.im2col_dram_bytes!.explicit);
    expect(doc.totals.im2col_dram_bytes).toEqual(conv.im2col_dram_bytes);
    expect(readFileSync(path.join(out, 'small.tasm'), 'utf8')).toMatch(/^LOAD_IM2COL spad=\d+ desc=0x[0-9a-f]{8} row0=0 col0=0 /m);
    const html = readFileSync(path.join(out, 'small.report.html'), 'utf8');
    expect(html).toContain('im2col DRAM traffic');

    // Explicit mode materialises the matrix: its host Im2Col plus the GEMM move what the implicit report says.
    const ex = await runCli('compile', model, '-o', path.join(tmp, 'explicit'), '--json', '--report', '--im2col', 'explicit');
    expect(ex.code).toBe(0);
    const exDoc = JSON.parse(ex.out) as Doc;
    const moved = exDoc.layers.filter((l) => l.name === 'conv:im2col' || l.name === 'conv:gemm').reduce((s, l) => s + l.dram_bytes, 0);
    expect(moved).toBe(conv.im2col_dram_bytes!.explicit);
    expect(exDoc.totals.im2col_dram_bytes).toBeUndefined();
    expect(readFileSync(path.join(tmp, 'explicit', 'small.report.html'), 'utf8')).not.toContain('im2col DRAM traffic');
  });
});
