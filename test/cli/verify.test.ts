import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCompileOptions } from '../../cli/compile-options.js';
import { openSamples } from '../../cli/samples.js';
import { PASS_NAMES, compileModel } from '../../cli/session.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { runCli } from './run-cli.js';
import { writeNpySamples, writeSmallCnn } from './small-cnn.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const model = writeSmallCnn(tmp);

interface VerifyDoc {
  model: string; data: string; samples: number;
  float_top1: number | null; int8_top1: number | null; top1_agreement: number;
  bit_exact: boolean | null; mismatched_samples: number | null; max_abs_error: number | null;
  layers: { name: string; sqnr_db: number | null; exact: boolean }[];
  notes: string[];
}

async function verifyJson(...args: string[]): Promise<VerifyDoc> {
  const r = await runCli('verify', model, '--json', ...args);
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as VerifyDoc;
}

/** The same numbers computed here with plain loops over the compiled graphs (not through runtime/verify). */
function recompute(data: string, raw: Parameters<typeof resolveCompileOptions>[0]) {
  const settings = resolveCompileOptions(raw, PASS_NAMES);
  const c = compileModel(model, settings, { line: () => {}, print: () => {} });
  const ds = openSamples(data, c.float, settings.preprocess);
  let agree = 0, floatCorrect = 0, intCorrect = 0, maxErr = 0, signal = 0, noise = 0;
  const argmax = (a: ArrayLike<number>): number => { let b = 0; for (let i = 1; i < a.length; i++) if (a[i]! > a[b]!) b = i; return b; };
  for (let i = 0; i < ds.size; i++) {
    const f = runGraph(c.float, ds.feeds(i), evaluateFloat).get('logits')!.data;
    const q = runGraph(c.quantized, ds.feeds(i), evaluateFloat).get('logits')!.data;
    for (let k = 0; k < f.length; k++) {
      maxErr = Math.max(maxErr, Math.abs(f[k]! - q[k]!));
      signal += f[k]! ** 2;
      noise += (f[k]! - q[k]!) ** 2;
    }
    if (argmax(f) === argmax(q)) agree++;
    if (ds.labels && argmax(f) === ds.labels[i]) floatCorrect++;
    if (ds.labels && argmax(q) === ds.labels[i]) intCorrect++;
  }
  return {
    samples: ds.size, agreement: agree / ds.size, maxErr, logitsSqnr: 10 * Math.log10(signal / noise),
    floatTop1: ds.labels ? floatCorrect / ds.size : null, intTop1: ds.labels ? intCorrect / ds.size : null,
  };
}

describe('tilec verify', () => {
  it('--json on random data: the contract fields, with values that match a direct computation', async () => {
    const doc = await verifyJson('--data', 'random:12:5');
    expect(Object.keys(doc)).toEqual(expect.arrayContaining([
      'samples', 'float_top1', 'int8_top1', 'top1_agreement', 'bit_exact', 'mismatched_samples', 'max_abs_error', 'layers',
    ]));
    const want = recompute('random:12:5', {});
    expect(doc.samples).toBe(12);
    expect([doc.float_top1, doc.int8_top1]).toEqual([null, null]); // random data has no labels
    expect(doc.top1_agreement).toBe(want.agreement);
    expect(doc.max_abs_error).toBe(want.maxErr);
    expect(doc.max_abs_error).toBeGreaterThan(0);
    // The tile program on the tile machine computes exactly what the integer reference does.
    expect([doc.bit_exact, doc.mismatched_samples]).toEqual([true, 0]);
    expect(doc.notes).toEqual([]);
    // Every value both graphs compute (the Conv output itself is fused away into the Relu's QConv).
    expect(doc.layers.map((l) => l.name)).toEqual(['r', 'p', 'f', 'logits']);
    const logits = doc.layers.find((l) => l.name === 'logits')!;
    expect(logits.sqnr_db).toBeCloseTo(want.logitsSqnr, 9);
    for (const l of doc.layers) {
      expect(l.exact).toBe(false);
      expect(l.sqnr_db).toBeGreaterThan(20); // 8 bits: tens of dB on every layer
    }
  });

  it('labels give top-1 accuracy; --limit takes the first N samples', async () => {
    const data = `npy:${writeNpySamples(path.join(tmp, 'labelled'), 10, 40, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3])}`;
    const doc = await verifyJson('--data', data, '--calib', data, '--calib-method', 'minmax');
    const want = recompute(data, { calib: data, calibMethod: 'minmax' });
    expect(doc.samples).toBe(10);
    expect([doc.float_top1, doc.int8_top1, doc.top1_agreement]).toEqual([want.floatTop1, want.intTop1, want.agreement]);
    const limited = await verifyJson('--data', data, '--calib', data, '--calib-method', 'minmax', '--limit', '4');
    expect(limited.samples).toBe(4);
  });

  it('fewer bits lose accuracy on every layer', async () => {
    const at8 = await verifyJson('--data', 'random:6:1', '--calib-method', 'minmax');
    const at4 = await verifyJson('--data', 'random:6:1', '--calib-method', 'minmax', '--bits', '4');
    expect(at4.layers.map((l) => l.name)).toEqual(at8.layers.map((l) => l.name));
    at8.layers.forEach((l, i) => expect(at4.layers[i]!.sqnr_db!).toBeLessThan(l.sqnr_db!));
  });

  it('human output: summary and a per-layer table, worst first', async () => {
    const r = await runCli('verify', model, '--data', 'random:4');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verified .*small\.onnx on 4 sample\(s\) of random:4$/m);
    expect(r.out).toMatch(/^ {2}float top-1 +n\/a \(no labels\)$/m);
    expect(r.out).toMatch(/^ {2}bit exact +yes$/m);
    const rows = r.out.split('\n').filter((l) => /^(r|p|f|logits) +-?[0-9.]+ +[0-9,]+$/.test(l));
    expect(rows).toHaveLength(4);
    const dbs = rows.map((l) => Number(l.trim().split(/ +/)[1]));
    expect(dbs).toEqual([...dbs].sort((a, b) => a - b));
  });

  it('writes compile outputs only when -o is given', async () => {
    const out = path.join(tmp, 'verify-out');
    const r = await runCli('verify', model, '--data', 'random:2', '-o', out, '--json');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['small.report.json', 'small.tasm', 'small.tbin']);
  });
});
