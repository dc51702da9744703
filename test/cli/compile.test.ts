import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../cli/data/npy.js';
import { writeOutputsAtomically } from '../../cli/session.js';
import { assemble } from '../../backend/tasm.js';
import { decodeTbin, encodeTbin } from '../../backend/tbin.js';
import { importModel } from '../../frontend/index.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { TilecError } from '../../ir/errors.js';
import { tensor } from '../../ir/tensor.js';
import { runCli } from './run-cli.js';
import { writeNpySamples, writeSmallCnn } from './small-cnn.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-compile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const model = writeSmallCnn(tmp);

interface Layer {
  name: string; op: string; kind: 'tile' | 'host'; m: number; n: number; k: number;
  tile_ops: number; macs: number; dram_bytes: number; cycles: number; utilization: number; schedule?: string; strategy?: string;
}
interface Report {
  model: string; name: string; tile: number; bits: number; per_channel: boolean; im2col: string;
  target: { name: string; tile: number; loopOrder: string };
  calibration: { spec: string; method: string; samples: number; batch: number; batches: number };
  layers: Layer[];
  totals: { tile_ops: number; macs: number; dram_bytes: number; cycles: number; ideal_cycles: number; utilization: number; host_cycles: number; instructions: number };
  float_islands: { name: string; op: string }[];
  files: string[];
  compile_ms: number;
  notes: string[];
}

const visibleFiles = (dir: string): string[] => readdirSync(dir).sort();
const tileLayers = (d: Report): Layer[] => d.layers.filter((l) => l.kind === 'tile');

describe('tilec compile', () => {
  it('writes NAME.tbin, NAME.tasm and NAME.report.json, and prints the same report with --json', async () => {
    const out = path.join(tmp, 'out-json');
    const r = await runCli('compile', model, '-o', out, '--json');
    expect(r.code).toBe(0);
    // The default calibration is announced on stderr; stdout is only the document.
    expect(r.err).toMatch(/^note: no --calib given: calibrating on seeded random inputs \(random:8:0\)/m);
    const doc = JSON.parse(r.out) as Report;
    expect(visibleFiles(out)).toEqual(['small.report.json', 'small.tasm', 'small.tbin']);
    expect(doc.files).toEqual(['small.tbin', 'small.tasm', 'small.report.json']);
    expect(JSON.parse(readFileSync(path.join(out, 'small.report.json'), 'utf8'))).toEqual(doc);

    expect([doc.model, doc.name, doc.tile, doc.target.name, doc.target.tile, doc.bits, doc.per_channel, doc.im2col])
      .toEqual([model, 'small', 16, 'default', 16, 8, false, 'implicit']);
    expect(doc.calibration).toEqual({ spec: 'random:8:0', method: 'seed', samples: 8, batch: 32, batches: 1 });
    // conv: m = 4 output channels, n = 1·6·6 output pixels, k = 2·3·3 -> ceil(4/16)·ceil(36/16)·ceil(18/16) = 6 tile ops;
    // fc: m = 10 features, n = 1 row, k = 36 -> 1·1·3 = 3. The max pool runs as a HOST step; the conv's patches are
    // gathered by LOAD_IM2COL (implicit im2col, the default), so there is no Im2Col step.
    expect(doc.layers.map((l) => [l.name, l.op, l.kind, l.m, l.n, l.k, l.tile_ops, l.macs])).toEqual([
      ['conv:gemm', 'TileGemm', 'tile', 4, 36, 18, 6, 2592],
      ['pool', 'MaxPool', 'host', 0, 0, 0, 0, 0],
      ['fc:gemm', 'TileGemm', 'tile', 10, 1, 36, 3, 360],
    ]);
    for (const l of tileLayers(doc)) {
      expect(l.cycles).toBeGreaterThan(0);
      expect(l.dram_bytes).toBeGreaterThan(0);
      expect(l.utilization).toBe(Math.ceil(l.macs / 256) / l.cycles);
    }
    expect([doc.totals.tile_ops, doc.totals.macs, doc.totals.ideal_cycles]).toEqual([9, 2952, Math.ceil(2952 / 256)]);
    expect(doc.totals.utilization).toBe(doc.totals.ideal_cycles / doc.totals.cycles);
    expect(doc.float_islands).toEqual([]);
    expect(doc.compile_ms).toBeGreaterThanOrEqual(0);
  });

  it('the .tasm assembles back to the identical .tbin', async () => {
    const out = path.join(tmp, 'out-json');
    const tbin = readFileSync(path.join(out, 'small.tbin'));
    const program = decodeTbin(tbin, 'small.tbin');
    expect(program.target.tile).toBe(16);
    expect(Buffer.from(encodeTbin(assemble(readFileSync(path.join(out, 'small.tasm'), 'utf8'), 'small.tasm')))).toEqual(tbin);
  });

  it('passes the options through: tile, target, bits, per-channel, calibration', async () => {
    const out = path.join(tmp, 'out-options');
    const calib = writeNpySamples(path.join(tmp, 'calib'), 5, 100);
    const r = await runCli('compile', model, '-o', out, '--json', '--target', 'tiny', '--tile', '4', '--bits', '6', '--per-channel',
      '--calib', `npy:${calib}`, '--calib-method', 'minmax', '--batch', '2', '--calib-batches', '2');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as Report;
    expect([doc.target.name, doc.tile, doc.bits, doc.per_channel]).toEqual(['tiny', 4, 6, true]);
    // 2 batches of 2: 4 of the 5 samples.
    expect(doc.calibration).toEqual({ spec: `npy:${calib}`, method: 'minmax', samples: 4, batch: 2, batches: 2 });
    // t = 4: conv 1·9·5 = 45 tile ops, fc 3·1·9 = 27.
    expect(tileLayers(doc).map((l) => l.tile_ops)).toEqual([45, 27]);
    expect(doc.totals.ideal_cycles).toBe(Math.ceil(2952 / 16));
  });

  it('--loop-order and --im2col reach the lowering and the tiler; --emit-onnx writes a QDQ model', async () => {
    const out = path.join(tmp, 'out-seed');
    const r = await runCli('compile', model, '-o', out, '--json', '--loop-order', 'seed', '--im2col', 'implicit', '--emit-onnx');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Report;
    expect(doc.im2col).toBe('implicit');
    for (const l of tileLayers(doc)) expect(l.strategy).toBe('seed');
    expect(visibleFiles(out)).toEqual(['small.qdq.onnx', 'small.report.json', 'small.tasm', 'small.tbin']);
    const qdq = importModel(readFileSync(path.join(out, 'small.qdq.onnx')), { evaluate: evaluateFloat });
    const ops = new Set(qdq.nodes.map((n) => n.op));
    expect(ops.has('QuantizeLinear') && ops.has('DequantizeLinear') && ops.has('Conv') && ops.has('Gemm')).toBe(true);
  });

  it('human output: a layer table and the files written', async () => {
    const out = path.join(tmp, 'out-human');
    const r = await runCli('compile', model, '-o', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^compiled .*small\.onnx for target 'default' \(t=16\), 8-bit, per-tensor weights/);
    expect(r.out).toMatch(/^conv:gemm +TileGemm +4x36x18 +6 +2,592 /m);
    expect(r.out).toMatch(/^fc:gemm +TileGemm +10x1x36 +3 +360 /m);
    expect(r.out).toMatch(/^totals: [0-9,]+ instructions, 9 tile ops, 2,952 MACs/m);
    expect(r.out).toContain(`wrote ${['small.tbin', 'small.tasm', 'small.report.json'].map((f) => path.join(out, f)).join(', ')}`);
  });

  it('--time-passes and --print-ir-after go to stderr, never into the --json document', async () => {
    const out = path.join(tmp, 'out-instrumented');
    const r = await runCli('compile', model, '-o', out, '--json', '--time-passes', '--print-ir-after', 'all');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^pass fold-constants: [0-9.]+ ms/m);
    expect(r.err).toMatch(/^\/\/ IR after pass 'dce'/m);
    expect(() => JSON.parse(r.out)).not.toThrow();
  });

  it('--print-changes lists every rewrite, e.g. the scale quantize-annotate picks for each value', async () => {
    const r = await runCli('compile', model, '-o', path.join(tmp, 'out-changes'), '--print-changes');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^quantize-annotate: %r scale=[0-9.e-]+ zeroPoint=-128 \(seed, non-negative\)$/m);
    const quiet = await runCli('compile', model, '-o', path.join(tmp, 'out-quiet'));
    expect(quiet.err).not.toMatch(/quantize-annotate/);
  });

  it('leaves no output directory when calibration fails half way (exit 2, one line naming the file)', async () => {
    const calib = writeNpySamples(path.join(tmp, 'calib-bad'), 3, 7);
    const bad = path.join(calib, 'sample_001.npy');
    writeFileSync(bad, encodeNpy(tensor('float32', [1, 3, 6, 6], new Float32Array(108))));
    const out = path.join(tmp, 'out-failed');
    const r = await runCli('compile', model, '-o', out, '--calib', `npy:${calib}`, '--calib-method', 'minmax');
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`error: ${bad}: shape [1,3,6,6] does not fit input 'x' of shape [1,2,6,6]`]);
    expect(r.out).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('-o naming a file is a usage error', async () => {
    const file = path.join(tmp, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await runCli('compile', model, '-o', file);
    expect(r.code).toBe(2);
    expect(r.errLines.at(-1)).toBe(`error: -o '${file}' is not a directory`);
  });

  it('a missing model is exit 2 naming it', async () => {
    const r = await runCli('compile', path.join(tmp, 'nope.onnx'), '-o', path.join(tmp, 'out-none'));
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`error: '${path.join(tmp, 'nope.onnx')}': no such file`]);
    expect(existsSync(path.join(tmp, 'out-none'))).toBe(false);
  });
});

describe('writeOutputsAtomically', () => {
  it('writes every file, leaving no temporaries', () => {
    const dir = path.join(tmp, 'atomic-ok');
    const written = writeOutputsAtomically(dir, [{ name: 'a.json', bytes: '{}\n' }, { name: 'b.bin', bytes: new Uint8Array([1, 2, 3]) }]);
    expect(written).toEqual([path.join(dir, 'a.json'), path.join(dir, 'b.bin')]);
    expect(visibleFiles(dir)).toEqual(['a.json', 'b.bin']);
    expect([...readFileSync(path.join(dir, 'b.bin'))]).toEqual([1, 2, 3]);
  });

  it('writes nothing when one file fails, and keeps what was there', () => {
    const dir = path.join(tmp, 'atomic-fail');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a.json'), 'old');
    // The second file cannot be created (its folder does not exist): the first must not replace 'old'.
    expect(() => writeOutputsAtomically(dir, [{ name: 'a.json', bytes: 'new' }, { name: 'no/such/b.bin', bytes: 'x' }])).toThrow(/ENOENT/);
    expect(visibleFiles(dir)).toEqual(['a.json']);
    expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('old');
  });

  it('removes a directory it created when writing fails', () => {
    const dir = path.join(tmp, 'atomic-new', 'deeper');
    expect(() => writeOutputsAtomically(dir, [{ name: 'a.json', bytes: 'x' }, { name: 'no/b.bin', bytes: 'x' }])).toThrow(/ENOENT/);
    expect(existsSync(path.join(tmp, 'atomic-new'))).toBe(false);
  });

  it('refuses a directory path that is a file', () => {
    const file = path.join(tmp, 'plain-file');
    writeFileSync(file, '');
    expect(() => writeOutputsAtomically(file, [{ name: 'a', bytes: '' }])).toThrow(TilecError);
  });
});
