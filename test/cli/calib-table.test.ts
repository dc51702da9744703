import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from './run-cli.js';
import { writeNpySamples, writeSmallCnn } from './small-cnn.js';

// --save-calib-table / --calib-table: a compile from a saved table must produce exactly the bytes of the compile
// that calibrated (the table holds the statistics, not a lossy summary), and bad tables are one `error:` line.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-calib-table-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const model = writeSmallCnn(tmp);
const data = writeNpySamples(path.join(tmp, 'calib'), 6, 40);

const bytesOf = (dir: string, name: string, ext: string): Buffer => readFileSync(path.join(dir, `${name}.${ext}`));
/** The report without compile_ms, the one field that depends on the clock. */
const reportOf = (dir: string, name: string): unknown => {
  const { compile_ms: _ms, ...rest } = JSON.parse(bytesOf(dir, name, 'report.json').toString('utf8')) as Record<string, unknown>;
  return rest;
};

/** Compiles with calibration and --save-calib-table, then from the table; both must succeed. */
async function roundTrip(file: string, name: string, tag: string, calibArgs: string[], tableArgs: string[] = calibArgs.filter((a, i, all) => a !== '--calib' && all[i - 1] !== '--calib')) {
  const table = path.join(tmp, `${tag}.json`);
  const a = path.join(tmp, `${tag}-calibrated`), b = path.join(tmp, `${tag}-table`);
  const r1 = await runCli('compile', file, '-o', a, '--save-calib-table', table, ...calibArgs);
  expect(r1.err).not.toMatch(/error:/);
  expect(r1.code).toBe(0);
  const r2 = await runCli('compile', file, '-o', b, '--calib-table', table, ...tableArgs);
  expect(r2.err).not.toMatch(/error:/);
  expect(r2.code).toBe(0);
  expect(r2.err).not.toMatch(/calibrating on seeded random inputs/);
  for (const ext of ['tbin', 'tasm']) expect(bytesOf(b, name, ext).equals(bytesOf(a, name, ext)), `${name}.${ext}`).toBe(true);
  expect(reportOf(b, name)).toEqual(reportOf(a, name));
  return { table, calibrated: a, fromTable: b };
}

describe('calibration tables', () => {
  it('compiling from a saved table gives byte-identical outputs (seed method, default random calibration)', async () => {
    const { table } = await roundTrip(model, 'small', 'seed', []);
    const doc = JSON.parse(readFileSync(table, 'utf8')) as { format: string; version: number; method: string; calibration: { spec: string; samples: number }; tensors: Record<string, { count: number; min: number; max: number; firstBatchAbsMax: number }> };
    expect(doc.format).toBe('tilec-calibration-table');
    expect(doc.version).toBe(1);
    expect(doc.method).toBe('seed');
    expect(doc.calibration).toMatchObject({ spec: 'random:8:0', samples: 8 });
    expect((doc as unknown as { inputs: unknown }).inputs).toEqual({ x: [1, 2, 6, 6] });
    // The graph input and the conv output are float tensors of the calibrated graph.
    expect(doc.tensors.x!.count).toBe(8 * 72);
    expect(doc.tensors.x!.min).toBeGreaterThanOrEqual(0);
    expect(doc.tensors.x!.max).toBeLessThan(1);
  });

  it('round-trips histogram statistics (entropy), with per-channel weights and another bit width', async () => {
    await roundTrip(model, 'small', 'entropy', ['--calib', `npy:${data}`, '--calib-method', 'entropy', '--per-channel', '--bits', '6']);
  });

  it('one table serves other --bits and --per-channel settings exactly as calibrating again would', async () => {
    const table = path.join(tmp, 'minmax.json');
    expect((await runCli('compile', model, '-o', path.join(tmp, 'mm8'), '--calib', `npy:${data}`, '--calib-method', 'minmax', '--save-calib-table', table)).code).toBe(0);
    const a = path.join(tmp, 'mm4-calibrated'), b = path.join(tmp, 'mm4-table');
    expect((await runCli('compile', model, '-o', a, '--calib', `npy:${data}`, '--calib-method', 'minmax', '--bits', '4', '--per-channel')).code).toBe(0);
    expect((await runCli('compile', model, '-o', b, '--calib-table', table, '--calib-method', 'minmax', '--bits', '4', '--per-channel')).code).toBe(0);
    expect(bytesOf(b, 'small', 'tbin').equals(bytesOf(a, 'small', 'tbin'))).toBe(true);
  });

  it('verify accepts --calib-table', async () => {
    const table = path.join(tmp, 'seed.json');
    const r = await runCli('verify', model, '--calib-table', table, '--data', `npy:${data}`);
    expect(r.err).not.toMatch(/error:/);
    expect(r.code).toBe(0);
  });

  describe('errors: exit 2 and one error: line', () => {
    const expectError = async (args: string[], pattern: RegExp): Promise<void> => {
      const r = await runCli('compile', model, '-o', path.join(tmp, 'bad-out'), ...args);
      expect(r.code).toBe(2);
      expect(r.errLines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
      expect(r.err).toMatch(pattern);
    };
    const write = (name: string, text: string): string => { const f = path.join(tmp, name); writeFileSync(f, text); return f; };
    const seedTable = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(tmp, 'seed.json'), 'utf8')) as Record<string, unknown>;

    it('a missing file', async () => {
      await expectError(['--calib-table', path.join(tmp, 'nope.json')], /--calib-table '.*nope\.json': no such file/);
    });
    it('text that is not JSON', async () => {
      await expectError(['--calib-table', write('garbage.json', '{"format": ')], /calibration table '.*garbage\.json' is not valid JSON/);
    });
    it('a JSON file of another kind, or another version', async () => {
      await expectError(['--calib-table', write('other.json', '{"a": 1}')], /is not a tilec calibration table \(field "format"/);
      await expectError(['--calib-table', write('v9.json', JSON.stringify({ ...seedTable(), version: 9 }))], /has version 9; this tilec reads version 1/);
    });
    it('a malformed tensor entry names the tensor and the field', async () => {
      const t = seedTable() as { tensors: Record<string, Record<string, unknown>> };
      t.tensors.c!.max = 'big';
      await expectError(['--calib-table', write('badfield.json', JSON.stringify(t))], /tensor 'c': field "max" must be a finite number, got "big"/);
    });
    it('a tensor the graph needs that the table lacks is named', async () => {
      const t = seedTable() as { tensors: Record<string, unknown> };
      delete t.tensors.r;
      await expectError(['--calib-table', write('lacks.json', JSON.stringify(t))], /calibration table '.*lacks\.json' has no statistics for tensor 'r'/);
    });
    it('a table of another --calib-method says which', async () => {
      await expectError(['--calib-table', path.join(tmp, 'seed.json'), '--calib-method', 'minmax'], /was made with --calib-method seed, but this run uses --calib-method minmax/);
    });
    it('a histogram method needs the histograms', async () => {
      const t = JSON.parse(readFileSync(path.join(tmp, 'seed.json'), 'utf8')) as Record<string, unknown>;
      await expectError(['--calib-table', write('nohist.json', JSON.stringify({ ...t, method: 'entropy' })), '--calib-method', 'entropy'], /field "histogram" \{halfRange, counts\} is missing/);
    });
    it('a table made for other graph inputs (another model or --input-shape) names both', async () => {
      const t = seedTable();
      await expectError(['--calib-table', write('shape.json', JSON.stringify({ ...t, inputs: { x: [2, 2, 6, 6] } }))],
        /was made for a graph with inputs 'x' \[2,2,6,6\], but graph '.*' has inputs 'x' \[1,2,6,6\]/);
    });
    it('--save-calib-table into a missing directory fails before calibrating', async () => {
      const r = await runCli('compile', model, '-o', path.join(tmp, 'bad-out'), '--save-calib-table', path.join(tmp, 'no-such-dir', 't.json'));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^error: --save-calib-table '.*t\.json': directory '.*no-such-dir' does not exist$/m);
      expect(r.err).not.toMatch(/calibrating on seeded random inputs/);
    });
    it('--calib together with --calib-table', async () => {
      await expectError(['--calib-table', path.join(tmp, 'seed.json'), '--calib', 'random:2'], /--calib cannot be combined with --calib-table/);
    });
  });

  const mnist = sharedPath('models/mnist-8/model.onnx');
  it.skipIf(!mnist)('mnist-8: the compile from its saved table is byte-identical', async () => {
    await roundTrip(mnist!, 'model', 'mnist', []);
  });
});
