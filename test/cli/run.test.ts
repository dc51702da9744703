import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitProgram } from '../../backend/emit/index.js';
import { encodeTbin } from '../../backend/tbin.js';
import { presetTarget, withTile } from '../../backend/target.js';
import { tensor } from '../../ir/tensor.js';
import { runGraph } from '../../runtime/interpreter.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { decodeNpy, encodeNpy } from '../../cli/data/npy.js';
import { tensorProtoBytes } from '../helpers/onnx-builder.js';
import { GraphBuilder, int32s, int8s, q8, quantize, randomRequant, rng } from '../backend/emit/fixture.js';
import { runCli } from './run-cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A float-in / float-out two-layer network: Quantize -> TileGemm -> MaxPool-free requant -> TileGemm -> Dequantize. */
function network(outputs = 1) {
  const r = rng(11);
  const b = new GraphBuilder();
  const x = b.node('Quantize', [b.input('x', 'float32', [6, 5])], quantize(1 / 32), { quant: q8(1 / 32) });
  const w1 = b.init('w1', tensor('int8', [7, 6], int8s(r, 42)), q8(0.01));
  const h = b.node('TileGemm', [w1, x, b.init('b1', tensor('int32', [7], int32s(r, 7, 3000)))], { ...randomRequant(r, 7, true), gather: 'none' }, { quant: q8(0.05) });
  const w2 = b.init('w2', tensor('int8', [3, 7], int8s(r, 21)), q8(0.02));
  const o = b.node('TileGemm', [w2, h, ''], { ...randomRequant(r, 3, false), gather: 'none' }, { quant: q8(0.1, 1) });
  const y = b.node('Dequantize', [o], { scale: 0.1, zeroPoint: 1 }, { outputs: ['y'] });
  const outs = [y];
  if (outputs === 2) outs.push(b.node('Dequantize', [h], { scale: 0.05, zeroPoint: 0 }, { outputs: ['hidden'] }));
  return b.build(outs, 'net');
}

const g = network();
const programFile = path.join(tmp, 'net.tbin');
writeFileSync(programFile, encodeTbin(emitProgram(g, withTile(presetTarget('tiny'), 4)).program));
const g2 = network(2);
const program2 = path.join(tmp, 'net2.tbin');
writeFileSync(program2, encodeTbin(emitProgram(g2, presetTarget('default')).program));

const xData = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i) * 3);
const npyIn = path.join(tmp, 'x.npy');
writeFileSync(npyIn, encodeNpy(tensor('float32', [6, 5], xData)));
const expected = (graph = g) => runGraph(graph, new Map([['x', tensor('float32', [6, 5], xData)]]), evaluateFloat);

interface RunDoc {
  program: string; target: string; tile: number;
  outputs: { name: string; dtype: string; shape: number[]; argmax: number; file: string | null; values?: number[] }[];
  counters: { cycles: number; tile_ops: number; macs: number; utilization: number; instructions: number };
}

describe('tilec run', () => {
  it('runs a program on a .npy input and prints the integer reference\'s output, bit for bit (--json)', async () => {
    const r = await runCli('run', programFile, '--input', `x=${npyIn}`, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as RunDoc;
    const want = expected().get('y')!;
    expect(doc.outputs).toHaveLength(1);
    expect(doc.outputs[0]).toMatchObject({ name: 'y', dtype: 'float32', shape: [3, 5], file: null });
    expect(doc.outputs[0]!.values).toEqual(Array.from(want.data));
    expect(doc.counters.macs).toBe(7 * 6 * 5 + 3 * 7 * 5);
    expect(doc.counters.cycles).toBeGreaterThan(0);
    expect(doc).toMatchObject({ target: 'tiny', tile: 4 });
  });

  it('writes --output .npy files; a single input needs no NAME=, a .pb input works too', async () => {
    const pb = path.join(tmp, 'input_0.pb');
    writeFileSync(pb, tensorProtoBytes('x', 'float32', [6, 5], xData));
    const out = path.join(tmp, 'y.npy');
    const r = await runCli('run', programFile, '--input', pb, '--output', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^y: float32\[3,5\] argmax \d+ \[.*\] -> .*y\.npy\n[\d,]+ cycles on 'tiny' \(t=4\): /);
    const y = decodeNpy(readFileSync(out), out);
    expect(Array.from(y.data)).toEqual(Array.from(expected().get('y')!.data));
  });

  it('takes inputs whose shape differs only by unit dims; names the outputs of a multi-output program', async () => {
    const flat = path.join(tmp, 'x3.npy');
    writeFileSync(flat, encodeNpy(tensor('float32', [1, 6, 1, 5], xData)));
    const a = path.join(tmp, 'a.npy'), h = path.join(tmp, 'h.npy');
    const r = await runCli('run', program2, '--input', `x=${flat}`, '--output', `y=${a}`, '--output', `hidden=${h}`);
    expect(r.err).toBe('');
    const want = expected(g2);
    expect(Array.from(decodeNpy(readFileSync(a), a).data)).toEqual(Array.from(want.get('y')!.data));
    expect(Array.from(decodeNpy(readFileSync(h), h).data)).toEqual(Array.from(want.get('hidden')!.data));
  });

  it('bad input exits 2 with one error line and writes nothing', async () => {
    const out = path.join(tmp, 'never.npy');
    const cases: [string[], RegExp][] = [
      [['run', path.join(tmp, 'missing.tbin'), '--input', npyIn], /^error: '.*missing\.tbin': no such file$/],
      [['run', npyIn, '--input', npyIn], /^error: tbin '.*x\.npy': not a tilec program/],
      [['run', programFile], /^error: no --input for program input 'x' \(give --input NAME=FILE\.npy or \.pb\)$/],
      [['run', programFile, '--input', `z=${npyIn}`], /^error: '.*z=.*x\.npy': no such file$/],
      [['run', programFile, '--input', `x=${path.join(tmp, 'x.txt')}`], /^error: '.*x\.txt': no such file$/],
      [['run', program2, '--input', npyIn, '--output', out], /^error: --output '.*never\.npy': the program has 2 outputs \(y, hidden\); give --output NAME=FILE\.npy$/],
      [['run', programFile, '--input', npyIn, '--output', path.join(tmp, 'y.txt')], /^error: --output '.*y\.txt': output files are \.npy$/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.errLines).toHaveLength(1);
      expect(r.errLines[0]).toMatch(message);
    }
    const wrongShape = path.join(tmp, 'wrong.npy');
    writeFileSync(wrongShape, encodeNpy(tensor('float32', [5, 6], xData)));
    const r = await runCli('run', programFile, '--input', wrongShape, '--output', out);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`error: input 'x' from '${wrongShape}' has shape [5,6] but the program expects [6,5]`]);
    const ints = path.join(tmp, 'ints.npy');
    writeFileSync(ints, encodeNpy(tensor('int32', [6, 5])));
    expect((await runCli('run', programFile, '--input', ints)).errLines).toEqual([`error: input 'x' from '${ints}' is int32; the program takes float32`]);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
