import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitProgram } from '../../backend/emit/index.js';
import { encodeTbin } from '../../backend/tbin.js';
import { presetTarget, withTile } from '../../backend/target.js';
import type { PoolAttrs } from '../../ir/ops.js';
import { tensor } from '../../ir/tensor.js';
import { GraphBuilder, int32s, int8s, q8, quantize, randomRequant, rng } from '../backend/emit/fixture.js';
import { runCli } from './run-cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-asm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pool: PoolAttrs = { kernel_shape: [2], strides: [2], pads: [0, 0], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0 };

/** A GEMM, a host MaxPool and a folded boundary: every section of the format is non-empty. */
function program(): Uint8Array {
  const r = rng(5);
  const b = new GraphBuilder();
  const x = b.node('Quantize', [b.input('x', 'float32', [9, 8])], quantize(1 / 16), { quant: q8(1 / 16) });
  const w = b.init('w', tensor('int8', [10, 9], int8s(r, 90)), { scale: Array.from({ length: 10 }, (_, i) => 0.01 * (i + 1)), zeroPoint: new Array(10).fill(0), axis: 0, bits: 8 });
  const h = b.node('TileGemm', [w, x, b.init('bias', tensor('int32', [10], int32s(r, 10, 999)))], { ...randomRequant(r, 10, true), gather: 'none' }, { quant: q8(0.05), name: 'fc' });
  const h3 = b.node('Reshape', [h, b.init('shape', tensor('int64', [3], [1, 10, 8]))], { allowzero: 0 }, { quant: q8(0.05) });
  const p = b.node('MaxPool', [h3], pool, { outputs: ['p', ''], quant: q8(0.05), name: 'pool' });
  const y = b.node('Dequantize', [p], { scale: 0.05, zeroPoint: 0 }, { outputs: ['y'] });
  return encodeTbin(emitProgram(b.build([y], 'small'), withTile(presetTarget('default'), 4)).program);
}

const bytes = program();
const tbin = path.join(tmp, 'small.tbin');
writeFileSync(tbin, bytes);

describe('tilec disasm / asm', () => {
  it('disasm prints assembly that asm turns back into the identical .tbin', async () => {
    const d = await runCli('disasm', tbin);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^; tilec tile program/);
    expect(d.out).toContain('.tensor "x" role=input dtype=int8 shape=[9,8]');
    expect(d.out).toMatch(/\nHOST fn=7 offset=0 length=\d+ ; #\d+\n$/); // MaxPool runs on the host
    const tasm = path.join(tmp, 'small.tasm');
    writeFileSync(tasm, d.out);
    const out = path.join(tmp, 'copy.tbin');
    const a = await runCli('asm', tasm, '-o', out);
    expect(a.err).toBe('');
    expect(a.out).toBe(`wrote ${out} (${bytes.length} bytes, ${d.out.split('\n').filter((l) => /; #\d+$/.test(l)).length} instructions)\n`);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(bytes))).toBe(true);
    // Without -o, FILE.tasm becomes FILE.tbin next to it.
    const b = await runCli('asm', tasm, '--json');
    expect(JSON.parse(b.out)).toMatchObject({ source: tasm, output: path.join(tmp, 'small.tbin'), bytes: bytes.length });
    expect(Buffer.from(readFileSync(tbin)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('disasm -o writes the file; --json carries the text', async () => {
    const file = path.join(tmp, 'o.tasm');
    const r = await runCli('disasm', tbin, '-o', file);
    expect(r.out).toMatch(/^wrote .*o\.tasm \(\d+ instructions\)\n$/);
    const j = JSON.parse((await runCli('disasm', tbin, '--json')).out) as { program: string; instructions: number; tasm: string };
    expect(j.tasm).toBe(readFileSync(file, 'utf8'));
    expect(j.instructions).toBeGreaterThan(1);
  });

  it('a bad .tasm exits 2 with file:line:col and writes nothing', async () => {
    const text = (await runCli('disasm', tbin)).out.replace(/^HOST fn=7/m, 'HOST fn=7 bogus=1');
    const bad = path.join(tmp, 'bad.tasm');
    writeFileSync(bad, text);
    const out = path.join(tmp, 'bad.tbin');
    const r = await runCli('asm', bad, '-o', out);
    expect(r.code).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    expect(existsSync(out)).toBe(false);
    const d = await runCli('disasm', path.join(tmp, 'none.tbin'));
    expect(d.code).toBe(2);
    expect(d.errLines).toEqual([`error: '${path.join(tmp, 'none.tbin')}': no such file`]);
  });
});

describe('tilec inspect PROGRAM.tbin', () => {
  it('summarizes the target, boundary tensors, instruction counts and constants', async () => {
    const r = await runCli('inspect', tbin, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ program: tbin, format: 'tbin 1.0', target: { name: 'default', tile: 4 } });
    expect(s.inputs).toEqual([{ name: 'x', role: 'input', dtype: 'int8', shape: [9, 8], addr: expect.any(Number), bytes: 72, quant: { scale: [1 / 16], zeroPoint: [0], bits: 8 } }]);
    expect(s.outputs.map((o: { name: string; dtype: string }) => [o.name, o.dtype])).toEqual([['y', 'int8']]);
    expect(s.instructions.by_opcode.HOST).toBe(1);
    expect(s.instructions.by_opcode.MATMUL).toBe(3 * 2 * 3);
    expect(s.host_ops).toEqual({ MaxPool: 1 });
    // w (90 int8) + bias (40) + the per-row requant table (10 x 12); the Reshape is a view, its shape never reaches DRAM.
    expect(s.constants).toEqual({ count: 3, bytes: 90 + 40 + 120, by_kind: { int8: 90, int32: 40, requant: 120 } });
    const h = await runCli('inspect', tbin);
    expect(h.out).toContain(`tile program ${tbin} (tbin 1.0)`);
    expect(h.out).toMatch(/instructions: \d+ \(LOAD \d+, PRELOAD \d+, MATMUL 18, STORE \d+, HOST 1\)/);
    expect(h.out).toContain('host operations: MaxPool 1');
  });
});
