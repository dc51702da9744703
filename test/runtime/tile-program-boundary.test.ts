import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodeBuilder, type TensorEntry, type TileProgram } from '../../backend/program.js';
import { HOST_FN, encodeHostOperands } from '../../backend/host-ops.js';
import { presetTarget } from '../../backend/target.js';
import { dequantizeF32, quantizeF32 } from '../../ir/arith.js';
import type { QuantParams } from '../../ir/graph.js';
import { tensor } from '../../ir/tensor.js';
import { ProgramRunner } from '../../runtime/tile/run-program.js';

// ProgramRunner at the program boundary (docs/host-ops.md section 4): a float32 feed is quantized on entry with
// ir/arith quantizeF32 per element (per tensor or per channel), an output dequantized with dequantizeF32, and
// every run starts from fresh DRAM whatever the previous run left there.

const target = presetTarget('default');

/**
 * A program whose int8 input x (at 0) is read back as its output y (same bytes), plus `code`: x's codes in,
 * the same codes (dequantized) out.
 */
function echoProgram(shape: number[], quant: QuantParams, extra?: (code: CodeBuilder) => Uint8Array): TileProgram {
  const n = shape.reduce((a, b) => a * b, 1);
  const tensors: TensorEntry[] = [
    { name: 'x', role: 'input', dtype: 'int8', shape, addr: 0, quant },
    { name: 'y', role: 'output', dtype: 'int8', shape, addr: 0, quant },
  ];
  const code = new CodeBuilder();
  const hostData = extra?.(code) ?? new Uint8Array(0);
  return { target, dramBytes: Math.max(64, 2 * n + 64), tensors, hostData, code: code.bytes(), constants: [{ name: 'k', kind: 'bytes', addr: n, data: Uint8Array.from([1, 2, 3, 4]) }] };
}

/** The element's (scale, zero point) as the tensor table defines them, computed independently of the runner. */
function paramsOf(q: QuantParams, shape: number[], i: number): [number, number] {
  if (q.scale.length === 1) return [q.scale[0]!, q.zeroPoint[0]!];
  const axis = q.axis ?? 0, inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const c = Math.floor(i / inner) % shape[axis]!;
  return [q.scale[c]!, q.zeroPoint[c]!];
}

const f32 = fc.oneof(
  fc.float({ noDefaultInfinity: false, noNaN: false }),
  fc.constantFrom(0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e30, Number.NaN, Infinity, -Infinity),
);

describe('ProgramRunner boundary', () => {
  it('quantizes float32 feeds with quantizeF32 and dequantizes outputs with dequantizeF32, per tensor and per channel', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.boolean(), fc.integer({ min: 2, max: 8 }), fc.nat(), fc.integer(),
      (shape, perChannel, bits, axisPick, seed) => {
        const axis = axisPick % shape.length, channels = perChannel ? shape[axis]! : 1;
        let s = seed >>> 0;
        const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
        const scale = Array.from({ length: channels }, () => Math.fround(2 ** ((next() % 16) - 10) * (1 + (next() % 1000) / 1000)));
        const half = 2 ** (bits - 1);
        const zeroPoint = Array.from({ length: channels }, () => (next() % (2 * half)) - half);
        const quant: QuantParams = perChannel ? { scale, zeroPoint, bits, axis } : { scale, zeroPoint, bits };
        const n = shape.reduce((a, b) => a * b, 1);
        const values = fc.sample(fc.array(f32, { minLength: n, maxLength: n }), { seed, numRuns: 1 })[0]!;
        // Ties and values right at the clamp, at each element's own scale.
        values.forEach((v, i) => { if (i % 3 === 0) values[i] = Math.fround((next() % 300 - 150 + 0.5) * paramsOf(quant, shape, i)[0]); else values[i] = v; });
        const runner = new ProgramRunner(echoProgram(shape, quant));
        const feed = tensor('float32', shape, values);
        const y = runner.run(new Map([['x', feed]])).outputs.get('y')!;
        const codes = runner.run(new Map([['x', feed]])).outputs.get('y')!;
        const want = values.map((v, i) => {
          const [sc, zp] = paramsOf(quant, shape, i);
          return quantizeF32(Math.fround(v), sc, zp, -half, half - 1);
        });
        expect(Array.from(y.data)).toEqual(want.map((q, i) => dequantizeF32(q, ...paramsOf(quant, shape, i))));
        expect(y.dtype).toBe('float32');
        const raw = new ProgramRunner(echoProgram(shape, quant), { codes: true }).run(new Map([['x', feed]])).outputs.get('y')!;
        expect(raw.dtype).toBe('int8');
        expect(Array.from(raw.data)).toEqual(want);
        expect(codes).toEqual(y);
      },
    ), { seed: 0xb0d4, numRuns: 200 });
  });

  it('takes int8 codes as they are, and reports a bad shape, dtype or per-channel quantization', () => {
    const quant: QuantParams = { scale: [0.5], zeroPoint: [3], bits: 8 };
    const runner = new ProgramRunner(echoProgram([2, 2], quant), { codes: true });
    expect(Array.from(runner.run(new Map([['x', tensor('int8', [2, 2], [-128, 0, 5, 127])]])).outputs.get('y')!.data)).toEqual([-128, 0, 5, 127]);
    expect(() => runner.run(new Map([['x', tensor('float32', [4], [0, 0, 0, 0])]]))).toThrow(/input 'x' has shape \[4\] but the program expects \[2,2\]/);
    expect(() => runner.run(new Map([['x', tensor('int32', [2, 2], [0, 0, 0, 0])]]))).toThrow(/input 'x' is int32 but the program takes float32 \(quantized on entry\) or int8 codes/);
    const bad = new ProgramRunner(echoProgram([2, 3], { scale: [1, 2], zeroPoint: [0, 0], bits: 8, axis: 1 }));
    expect(() => bad.run(new Map([['x', tensor('float32', [2, 3], [0, 0, 0, 0, 0, 0])]]))).toThrow(/quantization has 2 scales but axis 1 of shape \[2,3\] has 3 entries/);
  });

  it('a run after a run that wrote over DRAM (activations and constants) gives the fresh machine\'s results', () => {
    const quant: QuantParams = { scale: [0.25], zeroPoint: [-1], bits: 8 };
    const shape = [1, 1, 4, 4];
    const v4 = (addr: number): { addr: number; dtype: 'int8'; shape: number[] } => ({ addr, dtype: 'int8', shape: [4] });
    const copy = (from: number, to: number): [number, Uint8Array] => [HOST_FN.Identity, encodeHostOperands({ node: 'id', inputs: [v4(from)], outputs: [v4(to)], attrs: {} })];
    // Reads the constant (16..19) and an area written only later (240..243), then pools x and writes both.
    const ops: [number, Uint8Array][] = [
      copy(16, 200), copy(240, 224),
      [HOST_FN.MaxPool, encodeHostOperands({ node: 'mp', inputs: [{ addr: 0, dtype: 'int8', shape }], outputs: [{ addr: 128, dtype: 'int8', shape: [1, 1, 2, 2] }], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], auto_pad: 'NOTSET', ceil_mode: 0, storage_order: 0 } as never })],
      copy(128, 16), copy(128, 240),
    ];
    const program = (): TileProgram => {
      const base = echoProgram(shape, quant, (code) => {
        const data = new Uint8Array(ops.reduce((a, [, b]) => a + b.length, 0));
        let at = 0;
        for (const [fn, b] of ops) { code.host(fn, at, b.length); data.set(b, at); at += b.length; }
        return data;
      });
      const out = (name: string, addr: number): TensorEntry => ({ name, role: 'output', dtype: 'int8', shape: [4], addr, quant });
      return { ...base, dramBytes: 256, tensors: [...base.tensors, out('const', 200), out('early', 224), out('pooled', 128)] };
    };
    const feeds = [0, 1, 2].map((k) => new Map([['x', tensor('float32', shape, Array.from({ length: 16 }, (_, i) => ((i * 7 + k * 5) % 11) - 5))]]));
    const runner = new ProgramRunner(program(), { codes: true });
    const first = runner.run(feeds[0]!);
    expect(Array.from(first.outputs.get('const')!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(first.outputs.get('early')!.data)).toEqual([0, 0, 0, 0]);
    for (const feed of [...feeds, ...feeds.reverse()]) {
      expect(runner.run(feed)).toEqual(new ProgramRunner(program(), { codes: true }).run(feed));
    }
  });
});
