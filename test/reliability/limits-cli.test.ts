import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTbin } from '../../backend/tbin.js';
import { encodeNpy } from '../../cli/data/npy.js';
import { countTileOps, graphTensorBytes } from '../../cli/limits.js';
import { main } from '../../cli/tilec.js';
import { SEED_MODELS } from '../../fuzz/seeds.js';
import { importModel } from '../../frontend/index.js';
import { tensor } from '../../ir/tensor.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { evaluateFloat } from '../../runtime/float/index.js';

// Each resource limit through the CLI (cli/limits.ts wired into compile, verify, run, inspect): just past the
// limit the command exits 2 with one `error:` line naming the option, and writes nothing; at the limit it works.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-limits-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cnnBytes = SEED_MODELS.find((m) => m.name === 'cnn')!.bytes;
const model = path.join(tmp, 'cnn.onnx');
const T = 4;

async function tilec(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main([...args], { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

let dirs = 0;
/** `compile MODEL -o NEWDIR ARGS` must fail as bad input with one error line matching `mentions`, creating nothing. */
async function expectRefused(args: readonly string[], mentions: RegExp, command = 'compile'): Promise<void> {
  const out = path.join(tmp, `out-${++dirs}`);
  const r = await tilec(command === 'compile' || command === 'verify' ? [command, model, '-o', out, ...args] : [command, ...args]);
  const lines = r.err.split('\n').filter((l) => l !== '' && !l.startsWith('note: '));
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(mentions);
  expect(r.out).toBe('');
  expect(r.code).toBe(2);
  expect(existsSync(out), 'a refused compile must not create -o').toBe(false);
}

const base = ['--calib', 'random:2:0', '--tile', String(T)];

describe('limits through the CLI', () => {
  const float = runPasses(importModel(cnnBytes, { evaluate: evaluateFloat }), FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {} }).graph;
  let program: ReturnType<typeof decodeTbin>;
  let tbin: string;

  beforeAll(async () => {
    writeFileSync(model, cnnBytes);
    const dir = path.join(tmp, 'ok');
    const r = await tilec(['compile', model, '-o', dir, ...base]);
    expect(r.code, r.err).toBe(0);
    tbin = path.join(dir, 'cnn.tbin');
    program = decodeTbin(readFileSync(tbin), tbin);
  });

  it('--max-model-bytes: refused before reading; exactly the file size compiles', async () => {
    await expectRefused([...base, '--max-model-bytes', String(cnnBytes.length - 1)],
      new RegExp(`model file '.*cnn\\.onnx' is ${cnnBytes.length} bytes, more than --max-model-bytes ${cnnBytes.length - 1}$`));
    const r = await tilec(['compile', model, '-o', path.join(tmp, 'at-bytes'), ...base, '--max-model-bytes', String(cnnBytes.length)]);
    expect(r.code, r.err).toBe(0);
  });

  it('--max-tensor-elements: the largest initializer (wf, 10x36) is refused on import, naming the option', async () => {
    await expectRefused([...base, '--max-tensor-elements', '359'], /initializer 'wf' has dims \[10,36\], more than the 359 elements .*--max-tensor-elements/);
    // A computed value past the limit is refused too: the conv output 1x4x6x6 = 144 elements, every initializer is below.
    await expectRefused([...base, '--max-tensor-elements', '143'], /(initializer|output) '.*'.*more than the 143 elements .*--max-tensor-elements/);
  });

  it('--max-memory-bytes: the imported graph\'s tensors are refused before folding, the float graph\'s before calibration', async () => {
    const imported = graphTensorBytes(importModel(cnnBytes, { evaluate: evaluateFloat }));
    const bytes = Math.max(imported, graphTensorBytes(float));
    await expectRefused([...base, '--max-memory-bytes', String(imported - 1)], new RegExp(`holds ${imported} bytes of tensors .*more than --max-memory-bytes ${imported - 1}$`));
    await expectRefused([model, '--max-memory-bytes', String(imported - 1)], new RegExp(`holds ${imported} bytes of tensors`), 'inspect');
    const r = await tilec(['compile', model, '-o', path.join(tmp, 'at-memory'), ...base, '--max-memory-bytes', String(Math.max(bytes, program.dramBytes))]);
    expect(r.code, r.err).toBe(0);
    await expectRefused([...base, '--data', 'random:1', '--max-memory-bytes', '1K'], /more than --max-memory-bytes 1024$/, 'verify');
  });

  it('--max-tile-ops: a lower bound on the float graph, the exact count on the lowered graph', async () => {
    const lower = countTileOps(float, T).total;
    const report = JSON.parse(readFileSync(path.join(tmp, 'ok', 'cnn.report.json'), 'utf8')) as { totals: { tile_ops: number } };
    const exact = report.totals.tile_ops;
    expect(lower).toBeGreaterThan(0);
    expect(exact).toBeGreaterThanOrEqual(lower);
    await expectRefused([...base, '--max-tile-ops', String(lower - 1)], new RegExp(`needs at least ${lower} tile MATMULs at t=${T}, more than --max-tile-ops ${lower - 1}`));
    if (exact > lower) {
      await expectRefused([...base, '--max-tile-ops', String(exact - 1)], new RegExp(`needs ${exact} tile MATMULs at t=${T}, more than --max-tile-ops ${exact - 1}; the largest layer is TileGemm`));
    }
    const r = await tilec(['compile', model, '-o', path.join(tmp, 'at-ops'), ...base, '--max-tile-ops', String(exact)]);
    expect(r.code, r.err).toBe(0);
  });

  it('a bad limit value is a bad option', async () => {
    await expectRefused([...base, '--max-tile-ops', '0'], /--max-tile-ops must be a positive integer .*got '0'/);
  });

  it('run: --max-memory-bytes refuses the program\'s DRAM before allocating it; --max-model-bytes the .tbin; no --output is written', async () => {
    const input = path.join(tmp, 'x.npy');
    writeFileSync(input, encodeNpy(tensor('float32', [1, 2, 6, 6], new Float32Array(72).fill(0.25))));
    const outNpy = path.join(tmp, 'run-out', 'y.npy');
    mkdirSync(path.dirname(outNpy), { recursive: true });
    const args = (extra: string[]) => [tbin, '--input', input, '--output', outNpy, ...extra];
    await expectRefused(args(['--max-memory-bytes', String(program.dramBytes - 1)]),
      new RegExp(`addresses ${program.dramBytes} bytes of DRAM, more than --max-memory-bytes ${program.dramBytes - 1}$`), 'run');
    const size = readFileSync(tbin).length;
    await expectRefused(args(['--max-model-bytes', String(size - 1)]), new RegExp(`program file '.*cnn\\.tbin' is ${size} bytes, more than --max-model-bytes`), 'run');
    expect(readdirSync(path.dirname(outNpy))).toEqual([]);
    const ok = await tilec(['run', ...args(['--max-memory-bytes', String(program.dramBytes)])]);
    expect(ok.code, ok.err).toBe(0);
    expect(readdirSync(path.dirname(outNpy))).toEqual(['y.npy']);
  });

  it('inspect: --max-tensor-elements and --max-model-bytes', async () => {
    await expectRefused([model, '--max-tensor-elements', '100'], /more than the 100 elements .*--max-tensor-elements/, 'inspect');
    await expectRefused([model, '--max-model-bytes', '100'], /more than --max-model-bytes 100$/, 'inspect');
  });
});
