import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { emitProgram } from '../../backend/emit/index.js';
import { presetTarget, withTile } from '../../backend/target.js';
import {
  DEFAULT_LIMITS, addLimitOptions, checkGraphMemory, checkModelFile, checkProgramMemory, checkTileOps, countTileOps,
  graphTensorBytes, importLimits, parseLimit, resolveLimits,
} from '../../cli/limits.js';
import { importModel } from '../../frontend/index.js';
import { TilecError } from '../../ir/errors.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE, LOWER_PIPELINE, QUANT_PIPELINE } from '../../passes/pipeline.js';
import { calibrate } from '../../runtime/calibrate.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { tensor } from '../../ir/tensor.js';
import { SEED_MODELS } from '../../fuzz/seeds.js';

// cli/limits.ts: option parsing, and each check refusing just past its limit with a message naming the option.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cnn = SEED_MODELS.find((m) => m.name === 'cnn')!.bytes;
const floatGraph = () => runPasses(importModel(cnn, { evaluate: evaluateFloat }), FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {} }).graph;

function lowered(t: number) {
  const float = floatGraph();
  const x = tensor('float32', [1, 2, 6, 6], Array.from({ length: 72 }, (_, i) => (i * 0.37) % 1));
  const stats = calibrate(float, () => new Map([['x', x]]), 1, { method: 'minmax' });
  const q = runPasses(float, QUANT_PIPELINE, { evaluate: evaluateFloat, options: { calibration: stats } }).graph;
  const l = runPasses(q, LOWER_PIPELINE, { evaluate: evaluateFloat, options: {} }).graph;
  return { float, lowered: l, program: emitProgram(l, withTile(presetTarget('default'), t)) };
}

const limits = (patch: Partial<typeof DEFAULT_LIMITS>) => ({ ...DEFAULT_LIMITS, ...patch });

describe('limit options', () => {
  it('parses integers, K/M/G/T suffixes and powers of two', () => {
    expect(parseLimit('--x', '1')).toBe(1);
    expect(parseLimit('--x', ' 4096 ')).toBe(4096);
    expect(parseLimit('--x', '64k')).toBe(65536);
    expect(parseLimit('--x', '3M')).toBe(3 * 2 ** 20);
    expect(parseLimit('--x', '2G')).toBe(2 ** 31);
    expect(parseLimit('--x', '1T')).toBe(2 ** 40);
    expect(parseLimit('--x', '2^24')).toBe(2 ** 24);
  });

  it('refuses anything else, naming the option and the text', () => {
    for (const bad of ['0', '-1', '1.5', '', 'abc', '12Q', '2^99', '99999999999999999999', '1e6']) {
      expect(() => parseLimit('--max-tile-ops', bad)).toThrow(TilecError);
      expect(() => parseLimit('--max-tile-ops', bad)).toThrow(`--max-tile-ops must be a positive integer (optionally with a K, M, G or T suffix, or 2^E), got '${bad}'`);
    }
  });

  it('resolves given options over the defaults, through commander', () => {
    const cmd = addLimitOptions(new Command('x').exitOverride());
    cmd.parse(['--max-model-bytes', '1M', '--max-tile-ops', '2^10'], { from: 'user' });
    const l = resolveLimits(cmd.opts());
    expect(l).toEqual({ ...DEFAULT_LIMITS, maxModelBytes: 2 ** 20, maxTileOps: 1024 });
    expect(resolveLimits({})).toEqual(DEFAULT_LIMITS);
    expect(importLimits(l)).toEqual({ maxTensorElements: DEFAULT_LIMITS.maxTensorElements });
    expect(() => resolveLimits({ maxMemoryBytes: 'lots' })).toThrow(/--max-memory-bytes must be a positive integer/);
  });
});

describe('checks', () => {
  it('model file size: at the limit passes, one byte more fails before reading', () => {
    const file = path.join(tmp, 'm.onnx');
    writeFileSync(file, cnn);
    expect(() => checkModelFile(file, limits({ maxModelBytes: cnn.length }))).not.toThrow();
    expect(() => checkModelFile(file, limits({ maxModelBytes: cnn.length - 1 })))
      .toThrow(`model file '${file}' is ${cnn.length} bytes, more than --max-model-bytes ${cnn.length - 1}`);
  });

  it('graph memory counts every tensor of the graph at its in-memory size', () => {
    const g = floatGraph();
    const bytes = graphTensorBytes(g);
    let expected = 0;
    for (const [, t] of g.values) expected += t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'int64' || t.dtype === 'float64' ? 8 : 4);
    expect(bytes).toBe(expected);
    expect(() => checkGraphMemory(g, limits({ maxMemoryBytes: bytes }))).not.toThrow();
    expect(() => checkGraphMemory(g, limits({ maxMemoryBytes: bytes - 1 }))).toThrow(new RegExp(`holds ${bytes} bytes of tensors .* more than --max-memory-bytes ${bytes - 1}$`));
  });

  for (const t of [1, 3, 16]) {
    it(`tile ops of the lowered graph equal the emitted MATMULs at t=${t}; the float graph gives a lower bound`, () => {
      const r = lowered(t);
      const exact = countTileOps(r.lowered, t).total;
      expect(exact).toBe(r.program.totals.tile_ops);
      expect(countTileOps(r.float, t).total).toBeLessThanOrEqual(exact);
      expect(countTileOps(r.float, t).total).toBeGreaterThan(0);
      expect(() => checkTileOps(r.lowered, t, limits({ maxTileOps: exact }))).not.toThrow();
      expect(() => checkTileOps(r.lowered, t, limits({ maxTileOps: exact - 1 })))
        .toThrow(new RegExp(`needs ${exact} tile MATMULs at t=${t}, more than --max-tile-ops ${exact - 1}; the largest layer is TileGemm`));
      expect(() => checkTileOps(r.float, t, limits({ maxTileOps: 1 }))).toThrow(/needs at least \d+ tile MATMULs/);
    });
  }

  it('program DRAM', () => {
    const { program } = lowered(4).program;
    expect(() => checkProgramMemory(program, limits({ maxMemoryBytes: program.dramBytes }))).not.toThrow();
    expect(() => checkProgramMemory(program, limits({ maxMemoryBytes: program.dramBytes - 1 })))
      .toThrow(`the tile program addresses ${program.dramBytes} bytes of DRAM, more than --max-memory-bytes ${program.dramBytes - 1}`);
  });
});
