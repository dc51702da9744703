import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poolCase, poolInputShape, poolWindowAttrs } from '../helpers/pool-cases.js';
import { CodeBuilder, type TileProgram } from '../../backend/program.js';
import { HOST_FN, decodeHostOperands, encodeHostOperands, tensorBytes, type TensorRef } from '../../backend/host-ops.js';
import { presetTarget } from '../../backend/target.js';
import { quantizedAdd } from '../../ir/arith.js';
import type { Node, QAddAttrs } from '../../ir/ops.js';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { qAddByteTable } from '../../runtime/int/qadd-rule.js';
import { hostFastPath } from '../../runtime/tile/host/fast-paths.js';
import { hostOps } from '../../runtime/tile/host/index.js';
import { TileMachine } from '../../runtime/tile/machine.js';

// The host ops' fast paths (runtime/tile/host/fast-paths.ts) against the reference kernels: QAdd's byte
// table against ir/arith quantizedAdd on every operand pair, and each fast path, run after run (QAdd first
// per element, then from its table), against the kernel on random shapes, attributes and codes — with
// the whole machine's DRAM and counters equal to a machine that runs every block through the kernel.

const target = presetTarget('default');

/** Deterministic int8 codes from a seed (an LCG; fast-check picks the seed). */
function codes(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) - 128; });
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

interface Placed { readonly t: Tensor; readonly addr: number }

/**
 * Runs a one-HOST-instruction program of `op` with inputs placed in DRAM, `runs` times on one machine (fresh
 * DRAM each run), with and without fast paths; expects each run's DRAM and counters to be the
 * reference machine's, y to be the kernel's output, and the block to have a fast path exactly when `hasFastPath`.
 */
function expectSameAsKernel(op: keyof typeof HOST_FN, attrs: object, inputs: Placed[], y: TensorRef, runs: number, dramBytes: number, hasFastPath: boolean): void {
  const node = { op, name: 'n', inputs: inputs.map((_, i) => `in${i}`), outputs: ['out0'], attrs } as unknown as Node;
  const ref = evaluateFloat(node, inputs.map((p) => p.t))[0]!;
  const block = encodeHostOperands({ node: 'n', inputs: inputs.map((p) => ({ addr: p.addr, dtype: p.t.dtype, shape: [...p.t.shape] })), outputs: [y], attrs: attrs as never });
  expect(hostFastPath(op, decodeHostOperands(block), node) !== undefined).toBe(hasFastPath);
  const code = new CodeBuilder();
  code.host(HOST_FN[op], 0, block.length);
  const p: TileProgram = { target, dramBytes, tensors: [], hostData: block, code: code.bytes(), constants: [] };
  const machine = (fastPaths: boolean): TileMachine => new TileMachine(p, { hostOps: hostOps(target, { fastPaths }) });
  const fast = machine(true), slow = machine(false);
  for (let run = 0; run < runs; run++) {
    const results = [fast, slow].map((m) => {
      m.reset();
      for (const x of inputs) m.dram.set(tensorBytes(x.t), x.addr);
      return { counters: m.run(), dram: m.dram };
    });
    expect(results[0]!.counters).toEqual(results[1]!.counters);
    expect(firstDifference(results[0]!.dram, results[1]!.dram)).toBe(-1);
    const got = y.dtype === 'float32' ? Float32Array.from({ length: ref.data.length }, (_, i) => new DataView(fast.dram.buffer, fast.dram.byteOffset).getFloat32(y.addr + 4 * i, true)) : new Int8Array(fast.dram.buffer, fast.dram.byteOffset + y.addr, ref.data.length);
    expect(Array.from(got)).toEqual(Array.from(ref.data));
  }
}

const multiplier = fc.oneof(fc.constantFrom(0, 2 ** 30, 2 ** 31 - 1), fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }));
const shift = fc.oneof(fc.constantFrom(-31, -1, 0, 1, 30), fc.integer({ min: -31, max: 30 }));
const int8 = fc.oneof(fc.constantFrom(-128, 0, 127), fc.integer({ min: -128, max: 127 }));
const qAddAttrs: fc.Arbitrary<QAddAttrs> = fc.record({
  leftShift: fc.oneof(fc.constantFrom(0, 20, 23), fc.integer({ min: 0, max: 23 })),
  aMultiplier: multiplier, aShift: shift, aZeroPoint: int8,
  bMultiplier: multiplier, bShift: shift, bZeroPoint: int8,
  outMultiplier: multiplier, outShift: shift, zeroPoint: int8,
  clamp: fc.tuple(int8, int8),
}).map(({ clamp, ...t }) => ({ ...t, qmin: Math.min(...clamp), qmax: Math.max(...clamp) }));

describe('host op fast paths', () => {
  it("QAdd's byte table holds ir/arith quantizedAdd for every pair of int8 codes (edge and random attributes)", () => {
    fc.assert(fc.property(qAddAttrs, (t) => {
      const table = qAddByteTable(t);
      const p = { leftShift: t.leftShift, a: { multiplier: t.aMultiplier, shift: t.aShift }, b: { multiplier: t.bMultiplier, shift: t.bShift }, out: { multiplier: t.outMultiplier, shift: t.outShift } };
      for (let qa = -128; qa < 128; qa++) {
        for (let qb = -128; qb < 128; qb++) {
          const want = quantizedAdd(qa, t.aZeroPoint, qb, t.bZeroPoint, p, t.zeroPoint, t.qmin, t.qmax);
          const got = (table[((qa & 0xff) << 8) | (qb & 0xff)]! << 24) >> 24;
          if (got !== want) expect({ qa, qb, got }).toEqual({ qa, qb, got: want });
        }
      }
    }), { seed: 0x0add, numRuns: 25 });
  });

  it('QAdd on same-shape operands equals the kernel, per element and then from the table, in place or not', () => {
    fc.assert(fc.property(
      qAddAttrs, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40000 }), fc.constantFrom('apart', 'y=a', 'y=b', 'a=b', 'y overlaps a'), fc.integer(),
      (attrs, c, inner, layout, seed) => {
        const shape = [1, c, inner], n = c * inner, gap = n + 64;
        const a = tensor('int8', shape, codes(n, seed)), b = tensor('int8', shape, codes(n, seed ^ 0x5bd1e995));
        const aAt = 0, bAt = layout === 'a=b' ? 0 : gap;
        const yAt = layout === 'y=a' ? aAt : layout === 'y=b' ? bAt : layout === 'y overlaps a' ? aAt + 1 : 2 * gap;
        const inputs = [{ t: a, addr: aAt }, { t: layout === 'a=b' ? a : b, addr: bAt }];
        // Three runs: enough elements for the table to take over from the per-element rule.
        expectSameAsKernel('QAdd', attrs, inputs, { addr: yAt, dtype: 'int8', shape }, n < 22000 ? 2 : 3, 3 * gap, layout !== 'y overlaps a');
      },
    ), { seed: 0x0ad2, numRuns: 12 });
  });

  it('QAdd with broadcasting runs the kernel (generic path)', () => {
    const attrs: QAddAttrs = { leftShift: 20, aMultiplier: 2 ** 30, aShift: 0, bMultiplier: 1518500250, bShift: -1, aZeroPoint: -3, bZeroPoint: 5, outMultiplier: 1987654321, outShift: -19, zeroPoint: 2, qmin: -128, qmax: 127 };
    const a = tensor('int8', [1, 3, 2, 2], codes(12, 7)), b = tensor('int8', [1, 3, 1, 1], [-128, 0, 127]);
    expectSameAsKernel('QAdd', attrs, [{ t: a, addr: 0 }, { t: b, addr: 64 }], { addr: 128, dtype: 'int8', shape: [1, 3, 2, 2] }, 2, 256, false);
  });

  it('QAveragePool equals the kernel (1-D to 3-D, pads, dilations, ceil_mode, count_include_pad, zero points)', () => {
    fc.assert(fc.property(
      fc.record({ g: poolCase, includePad: fc.integer({ min: 0, max: 1 }), zeroPoint: int8 }),
      ({ g, includePad, zeroPoint }) => {
        const attrs = { ...poolWindowAttrs(g), count_include_pad: includePad, zeroPoint };
        const xShape = poolInputShape(g);
        const x = tensor('int8', xShape, codes(xShape.reduce((a, b) => a * b, 1), g.seed));
        let ref: Tensor;
        try { ref = evaluateFloat({ op: 'QAveragePool', name: 'n', inputs: ['x'], outputs: ['y'], attrs } as unknown as Node, [x])[0]!; } catch { fc.pre(false); return; }
        expectSameAsKernel('QAveragePool', attrs, [{ t: x, addr: 0 }], { addr: 2048, dtype: 'int8', shape: [...ref.shape] }, 2, 2048 + ref.data.length, true);
      },
    ), { seed: 0xa7e, numRuns: 120 });
  });

  it('QAveragePool with windows of more than 256 cells (codes computed per output, no table) equals the kernel', () => {
    for (const [zeroPoint, includePad] of [[-128, 1], [0, 0], [127, 1], [-3, 0]] as const) {
      const attrs = { kernel_shape: [17, 17], strides: [2, 3], dilations: [1, 1], pads: [2, 1, 0, 3], auto_pad: 'NOTSET', ceil_mode: 1, count_include_pad: includePad, storage_order: 0, zeroPoint };
      const x = tensor('int8', [1, 2, 19, 21], codes(2 * 19 * 21, zeroPoint + 7));
      const ref = evaluateFloat({ op: 'QAveragePool', name: 'n', inputs: ['x'], outputs: ['y'], attrs } as unknown as Node, [x])[0]!;
      expectSameAsKernel('QAveragePool', attrs, [{ t: x, addr: 0 }], { addr: 2048, dtype: 'int8', shape: [...ref.shape] }, 2, 2048 + ref.data.length, true);
    }
  });

  it('QGlobalAveragePool equals the kernel (rank 3 to 5, zero points)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 3, maxLength: 5 }), int8, fc.integer(),
      (shape, zeroPoint, seed) => {
        const x = tensor('int8', shape, codes(shape.reduce((a, b) => a * b, 1), seed));
        const yShape = shape.map((d, i) => (i < 2 ? d : 1));
        expectSameAsKernel('QGlobalAveragePool', { zeroPoint }, [{ t: x, addr: 0 }], { addr: 20000, dtype: 'int8', shape: yShape }, 2, 20000 + shape[0]! * shape[1]!, true);
      },
    ), { seed: 0x61a, numRuns: 60 });
  });

  it('Requantize (per tensor and per channel, in place or not) equals the kernel, before and after its table', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 300 }), fc.boolean(), fc.boolean(),
      fc.array(fc.tuple(multiplier, shift), { minLength: 5, maxLength: 5 }), int8, int8, fc.tuple(int8, int8), fc.integer(),
      (n, c, inner, perChannel, inPlace, pairs, zeroPoint, inZeroPoint, clamp, seed) => {
        const shape = [n, c, inner], count = n * c * inner, used = pairs.slice(0, perChannel ? c : 1);
        const attrs = { multiplier: used.map((p) => p[0]), shift: used.map((p) => p[1]), zeroPoint, inZeroPoint, qmin: Math.min(...clamp), qmax: Math.max(...clamp) };
        const x = tensor('int8', shape, codes(count, seed));
        // Runs until the block has converted a table's worth of elements (256 per channel), and one more.
        const runs = Math.min(12, Math.ceil((256 * (perChannel ? c : 1)) / count) + 1);
        expectSameAsKernel('Requantize', attrs, [{ t: x, addr: 0 }], { addr: inPlace ? 0 : count + 64, dtype: 'int8', shape }, runs, 2 * count + 64, true);
      },
    ), { seed: 0x7e9, numRuns: 60 });
  });

  it('Dequantize of int8 codes equals the kernel, before and after its table (aligned and unaligned output)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 700 }), fc.float({ min: Math.fround(1e-6), max: Math.fround(1e3), noNaN: true }), int8, fc.constantFrom(0, 2), fc.integer(),
      (count, scale, zeroPoint, misalign, seed) => {
        const x = tensor('int8', [1, count], codes(count, seed));
        const yAt = 64 * Math.ceil((count + 1) / 64) + misalign;
        expectSameAsKernel('Dequantize', { scale, zeroPoint }, [{ t: x, addr: 0 }], { addr: yAt, dtype: 'float32', shape: [1, count] }, Math.ceil(256 / count) + 1, yAt + 4 * count, true);
      },
    ), { seed: 0xde9, numRuns: 40 });
  });

  it('Quantize of float32 to int8 equals the kernel (NaN, infinities, ties, clamps; aligned and unaligned input)', () => {
    const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 127.5, -128.5, 1e30);
    fc.assert(fc.property(
      fc.array(fc.oneof(special, fc.float()), { minLength: 1, maxLength: 300 }), fc.float({ min: Math.fround(1e-3), max: Math.fround(4), noNaN: true }),
      int8, fc.tuple(int8, int8), fc.constantFrom(0, 1),
      (values, scale, zeroPoint, clamp, misalign) => {
        const x = tensor('float32', [values.length], values);
        const yAt = 4 * values.length + 64;
        const attrs = { scale, zeroPoint, qmin: Math.min(...clamp), qmax: Math.max(...clamp) };
        expectSameAsKernel('Quantize', attrs, [{ t: x, addr: misalign }], { addr: yAt, dtype: 'int8', shape: [values.length] }, 2, yAt + values.length, true);
      },
    ), { seed: 0x9a7, numRuns: 80 });
  });

  it('Transpose of int8 equals the kernel (rank 1 to 5, any permutation or the default reversal)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }), fc.boolean(), fc.integer(), fc.integer(),
      (shape, givenPerm, permSeed, seed) => {
        const r = shape.length, perm = shape.map((_, i) => i);
        let s = permSeed >>> 0;
        for (let i = r - 1; i > 0; i--) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; const j = s % (i + 1); [perm[i], perm[j]] = [perm[j]!, perm[i]!]; }
        const count = shape.reduce((a, b) => a * b, 1);
        const x = tensor('int8', shape, codes(count, seed));
        const used = givenPerm ? perm : shape.map((_, i) => r - 1 - i);
        expectSameAsKernel('Transpose', givenPerm ? { perm } : {}, [{ t: x, addr: 0 }], { addr: count + 64, dtype: 'int8', shape: used.map((p) => shape[p]!) }, 2, 2 * count + 64, true);
      },
    ), { seed: 0x7a5, numRuns: 80 });
  });

  it('MaxPool over rows of 16 and more codes (the WebAssembly row maxima) equals the kernel', () => {
    fc.assert(fc.property(
      fc.record({
        c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 8 }), w: fc.integer({ min: 16, max: 50 }),
        kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }), stride: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
        dilation: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }), pads: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 4, maxLength: 4 }),
        ceil: fc.integer({ min: 0, max: 1 }), seed: fc.integer(),
      }),
      (g) => {
        const attrs = { kernel_shape: g.kernel, strides: g.stride, dilations: g.dilation, pads: g.pads, auto_pad: 'NOTSET', ceil_mode: g.ceil, count_include_pad: 0, storage_order: 0 };
        const xShape = [1, g.c, g.h, g.w], count = g.c * g.h * g.w;
        const x = tensor('int8', xShape, codes(count, g.seed));
        let ref: Tensor;
        try { ref = evaluateFloat({ op: 'MaxPool', name: 'n', inputs: ['x'], outputs: ['y'], attrs } as unknown as Node, [x])[0]!; } catch { fc.pre(false); return; }
        expectSameAsKernel('MaxPool', attrs, [{ t: x, addr: 0 }], { addr: count + 64, dtype: 'int8', shape: [...ref.shape] }, 2, count + 64 + ref.data.length, true);
      },
    ), { seed: 0x3a9, numRuns: 80 });
  });

  it('MaxPool at int8 extremes equals the kernel, in padding-heavy windows', () => {
    const attrs = { kernel_shape: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], auto_pad: 'NOTSET', ceil_mode: 1, count_include_pad: 0, storage_order: 0 };
    const x = tensor('int8', [1, 2, 5, 5], Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? -128 : i % 3 === 1 ? 127 : -127)));
    const allMin = tensor('int8', [1, 2, 5, 5], new Array(50).fill(-128));
    for (const t of [x, allMin]) expectSameAsKernel('MaxPool', attrs, [{ t, addr: 0 }], { addr: 64, dtype: 'int8', shape: [1, 2, 3, 3] }, 2, 128, true);
  });
});
