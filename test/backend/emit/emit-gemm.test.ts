import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOOP_ORDERS, TARGET_PRESETS, presetTarget, withTile, type LoopOrder, type Target } from '../../../backend/target.js';
import { decodeCode } from '../../../backend/program.js';
import { emitProgram, HOST_IM2COL_NOTE, type EmitOptions } from '../../../backend/emit/index.js';
import type { Graph } from '../../../ir/graph.js';
import type { AutoPad } from '../../../ir/ops.js';
import { tensor, type Tensor } from '../../../ir/tensor.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runProgram } from '../../../runtime/tile/run-program.js';
import { type ConvCase, feedX, lower, qconvGraph, qgemmGraph } from '../../passes/lower/qgraph.js';
import { GraphBuilder, expectBitExact, int32s, int8s, q8, quantize, randomRequant, rng } from './fixture.js';

// The tile program of a lowered graph equals the integer reference (runGraph of the same lowered graph with
// the reference kernels) bit for bit, over random GEMM and convolution shapes, tile sizes 1..33, every preset
// and every loop order. Graphs come from LOWER_PIPELINE itself (test/passes/lower/qgraph.ts builds the QConv/QGemm).

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

/** Sizes worth testing against tile size t: 1, t-1, t, t+1, primes, anything small. */
const dimArb = (t: number, max: number): fc.Arbitrary<number> => fc.oneof(
  fc.constantFrom(1, Math.max(1, t - 1), t, t + 1),
  fc.constantFrom(...PRIMES),
  fc.integer({ min: 1, max }),
).map((d) => Math.min(d, max));

const machineArb = fc.record({
  preset: fc.constantFrom(...TARGET_PRESETS.keys()),
  strategy: fc.constantFrom(...LOOP_ORDERS),
  t: fc.integer({ min: 1, max: 33 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

/** Runs the lowered graph both ways on codes for x and expects y equal (codes, not dequantized). */
function expectSame(low: Graph, target: Target, strategy: LoopOrder, seed: number, opts: EmitOptions = {}): void {
  const feeds = feedX(low, seed);
  const want = runGraph(low, feeds, evaluateFloat).get('y')!;
  const { program, totals } = emitProgram(low, target, { strategy, ...opts });
  const got = runProgram(program, feeds, { codes: true, overflow: 'fault' });
  const y = got.outputs.get('y')!;
  expect(y.shape).toEqual(want.shape);
  expect(Array.from(y.data)).toEqual(Array.from(want.data));
  expect(got.counters.cycles).toBe(totals.cycles);
  // Every tile op is at most t on every side, as the seed's tmul asserts.
  for (const ins of decodeCode(program.code, 'instruction ')) {
    if (ins.op === 'MATMUL') expect(Math.max(ins.m, ins.n, ins.k)).toBeLessThanOrEqual(target.tile);
  }
}

describe('TileGemm emission equals the integer reference bit for bit', () => {
  it('QGemm layers (transposed around a TileGemm): random M, K, N against t', () => {
    const arb = machineArb.chain((r) => fc.record({
      m: dimArb(r.t, 40), k: dimArb(r.t, 70), n: dimArb(r.t, 70), transB: fc.constantFrom(0, 1),
      perChannel: fc.boolean(), bias: fc.boolean(), xBits: fc.constantFrom(2, 4, 8),
    }).map((c) => ({ ...r, ...c })));
    fc.assert(fc.property(arb, (r) => {
      const low = lower(qgemmGraph({ m: r.m, k: r.k, n: r.n, transB: r.transB, perChannel: r.perChannel, bias: r.bias, xBits: r.xBits, seed: r.seed }));
      expectSame(low, withTile(presetTarget(r.preset), r.t), r.strategy, r.seed);
    }), { seed: 0x7e11, numRuns: 60 });
  });

  it('QConv layers in both im2col modes: random 1-D/2-D geometry, groups, batch', () => {
    const arb = machineArb.chain((r) => fc.record({
      mode: fc.constantFrom('explicit' as const, 'implicit' as const),
      batch: fc.integer({ min: 1, max: 2 }),
      group: fc.constantFrom(1, 1, 2, 3),
      cPerGroup: fc.integer({ min: 1, max: 5 }),
      oPerGroup: dimArb(r.t, 24),
      rank: fc.constantFrom(1, 2, 2),
      size: fc.integer({ min: 1, max: 9 }),
      kernel: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 2 }),
      dilation: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 2 }),
      autoPad: fc.constantFrom<AutoPad>('NOTSET', 'NOTSET', 'SAME_UPPER', 'VALID'),
      perChannel: fc.boolean(),
      bias: fc.boolean(),
      xBits: fc.constantFrom(3, 8),
    }).map((c) => ({ ...r, ...c })));
    fc.assert(fc.property(arb, (r) => {
      const spatial = Array.from({ length: r.rank }, (_, i) => r.size + i);
      // The dilated kernel fits the (padded) input, so every case has an output.
      const pad = r.autoPad === 'NOTSET' ? r.pad : 0, dilation = r.autoPad === 'NOTSET' ? r.dilation : 1;
      const kernel = spatial.map((s) => Math.min(r.kernel, Math.floor((s + 2 * pad - 1) / dilation) + 1));
      const c: ConvCase = {
        batch: r.batch, group: r.group, cPerGroup: r.cPerGroup, oPerGroup: r.oPerGroup, spatial, kernel,
        strides: spatial.map(() => r.stride), dilations: spatial.map(() => dilation),
        ...(r.autoPad === 'NOTSET' ? { pads: [...spatial.map(() => r.pad), ...spatial.map(() => r.pad)] } : {}),
        autoPad: r.autoPad, xBits: r.xBits, wBits: 8, perChannel: r.perChannel, bias: r.bias, seed: r.seed,
      };
      expectSame(lower(qconvGraph(c), r.mode), withTile(presetTarget(r.preset), r.t), r.strategy, r.seed);
    }), { seed: 0xc0417, numRuns: 60 });
  });

  it('1x1 stride-1 convolutions over batch 1 read x in place: no im2col buffer, no host op', () => {
    const c: ConvCase = { batch: 1, group: 2, cPerGroup: 3, oPerGroup: 5, spatial: [4, 5], kernel: [1, 1], autoPad: 'NOTSET', xBits: 8, wBits: 8, perChannel: true, bias: true, seed: 5 };
    for (const mode of ['explicit', 'implicit'] as const) {
      const low = lower(qconvGraph(c), mode);
      const { program, report, notes } = emitProgram(low, presetTarget('tiny'));
      expect(report.map((l) => l.kind)).toEqual(['tile', 'tile']);
      expect(notes).toEqual([]);
      // The two group GEMMs write their rows of the Lift output directly (batch 1): y is their C.
      const at = (n: string) => program.tensors.find((e) => e.name === n)!.addr;
      expect(at('y:gemm:g0')).toBe(at('y'));
      expect(at('y:gemm:g1')).toBe(at('y') + 5 * 20);
      expectSame(low, presetTarget('tiny'), 'auto', 5);
    }
  });

  it('with hostIm2col, implicit im2col with padding becomes a host Im2Col into a scratch buffer, and says so', () => {
    const c: ConvCase = { batch: 2, group: 1, cPerGroup: 3, oPerGroup: 4, spatial: [5, 5], kernel: [3, 3], pads: [1, 1, 1, 1], autoPad: 'NOTSET', xBits: 8, wBits: 8, perChannel: false, bias: true, seed: 9 };
    const low = lower(qconvGraph(c), 'implicit');
    const { program, report, notes } = emitProgram(low, presetTarget('default'), { hostIm2col: true });
    expect(report.map((l) => [l.op, l.kind])).toEqual([['Im2Col', 'host'], ['TileGemm', 'tile'], ['Lift', 'host']]);
    expect(report[0]!.name).toBe('conv:gemm:im2col');
    expect(notes).toEqual([HOST_IM2COL_NOTE]);
    expect(program.tensors.find((e) => e.name === 'conv:gemm:im2col')).toMatchObject({ role: 'scratch', dtype: 'int8', shape: [27, 50] });
    expectSame(low, presetTarget('default'), 'auto', 9, { hostIm2col: true });
  });

  it('reports each GEMM: sizes, tile ops, MACs, DRAM bytes, cycles, utilization', () => {
    const low = lower(qgemmGraph({ m: 1, k: 50, n: 20, transB: 1, perChannel: true, bias: true, xBits: 8, seed: 2 }));
    const target = withTile(presetTarget('default'), 8);
    const { report, totals } = emitProgram(low, target, { strategy: 'seed' });
    // M = 1: both transposes are relabels, so the program is the GEMM alone.
    expect(report).toHaveLength(1);
    const l = report[0]!;
    expect(l).toMatchObject({ name: 'fc:gemm', op: 'TileGemm', kind: 'tile', m: 20, n: 1, k: 50, macs: 1000, strategy: 'seed' });
    expect(l.tile_ops).toBe(3 * 1 * 7); // ceil(20/8) x ceil(1/8) x ceil(50/8)
    expect(l.utilization).toBeCloseTo(Math.ceil(1000 / 64) / l.cycles, 12);
    expect(totals).toMatchObject({ tile_ops: 21, macs: 1000, ideal_cycles: 16, cycles: l.cycles, host_cycles: 0 });
    expect(totals.dram_bytes).toBe(l.dram_bytes);
  });
});

describe('a hand-built float-in / float-out network', () => {
  it('Quantize -> TileGemm -> Requantize -> TileGemm -> Dequantize on every preset and loop order', () => {
    const r = rng(3);
    const b = new GraphBuilder();
    const x = b.node('Quantize', [b.input('x', 'float32', [13, 9])], quantize(1 / 64), { quant: q8(1 / 64) });
    const w1 = b.init('w1', tensor('int8', [17, 13], int8s(r, 17 * 13)), q8(0.01));
    const b1 = b.init('b1', tensor('int32', [17], int32s(r, 17, 5000)), { scale: [0.01 / 64], zeroPoint: [0], bits: 32 });
    const h = b.node('TileGemm', [w1, x, b1], { ...randomRequant(r, 17, true), gather: 'none' }, { quant: q8(0.05) });
    const h2 = b.node('Requantize', [h], { multiplier: [1717986918], shift: [0], zeroPoint: 3, qmin: -100, qmax: 100, inZeroPoint: 0 }, { quant: q8(0.06, 3) });
    const w2 = b.init('w2', tensor('int8', [4, 17], int8s(r, 4 * 17)), q8(0.02));
    const o = b.node('TileGemm', [w2, h2, ''], { ...randomRequant(r, 4, false), gather: 'none' }, { quant: q8(0.1, -2) });
    const y = b.node('Dequantize', [o], { scale: 0.1, zeroPoint: -2 }, { outputs: ['y'] });
    const g = b.build([y]);
    for (const preset of TARGET_PRESETS.keys()) {
      for (const strategy of LOOP_ORDERS) {
        const { report } = expectBitExact(g, withTile(presetTarget(preset), 4), { strategy });
        expect(report.map((l) => l.op)).toEqual(['TileGemm', 'Requantize', 'TileGemm']);
      }
    }
  });

  it('runProgram checks its feeds', () => {
    const b = new GraphBuilder();
    const x = b.node('Quantize', [b.input('x', 'float32', [2, 3])], quantize(0.1), { quant: q8(0.1) });
    const y = b.node('Dequantize', [x], { scale: 0.1, zeroPoint: 0 }, { outputs: ['y'] });
    const { program } = emitProgram(b.build([y]), presetTarget('default'));
    const feed = (t: Tensor): Map<string, Tensor> => new Map([['x', t]]);
    expect(() => runProgram(program, new Map())).toThrow("program input 'x' is not fed");
    expect(() => runProgram(program, new Map([['z', tensor('float32', [2, 3])]]))).toThrow("feed 'z' is not an input of the program (inputs: x)");
    expect(() => runProgram(program, feed(tensor('float32', [3, 2])))).toThrow("input 'x' has shape [3,2] but the program expects [2,3]");
    expect(() => runProgram(program, feed(tensor('int32', [2, 3])))).toThrow("input 'x' is int32 but the program takes float32 (quantized on entry) or int8 codes");
    // Quantized on entry (round half to even, saturating), dequantized on exit.
    const out = runProgram(program, feed(tensor('float32', [2, 3], [0.05, 0.15, -0.25, 100, -100, 0.31]))).outputs.get('y')!;
    expect(Array.from(out.data)).toEqual([0, 0.2, -0.2, 12.7, -12.8, 0.3].map(Math.fround));
    // int8 codes pass as they are.
    const codes = runProgram(program, feed(tensor('int8', [2, 3], [1, 2, 3, 4, 5, 6])), { codes: true }).outputs.get('y')!;
    expect(Array.from(codes.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
