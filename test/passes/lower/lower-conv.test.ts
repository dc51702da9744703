import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { windowGeometry } from '../../../ir/geometry.js';
import type { Graph } from '../../../ir/graph.js';
import { graphDiff } from '../../../ir/equal.js';
import type { AutoPad, NodeOf } from '../../../ir/ops.js';
import { parseGraph } from '../../../ir/parse.js';
import { printGraph } from '../../../ir/print.js';
import { STAGES, checkStage } from '../../../ir/stages.js';
import { verifyGraph } from '../../../ir/verify.js';
import { lowerConvPass, lowerConvRules } from '../../../passes/lower/lower-conv.js';
import { runPasses } from '../../../passes/manager.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { type ConvCase, type GemmCase, feedX, lower, qconvGraph, qgemmGraph, runY } from './qgraph.js';

const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);
const node = <O extends 'Im2Col' | 'TileGemm' | 'Lift' | 'Transpose'>(g: Graph, op: O): NodeOf<O>[] => g.nodes.filter((n) => n.op === op) as NodeOf<O>[];

const base: ConvCase = {
  batch: 2, group: 1, cPerGroup: 3, oPerGroup: 4, spatial: [5, 6], kernel: [3, 3], pads: [1, 1, 1, 1], autoPad: 'NOTSET',
  xBits: 8, wBits: 8, perChannel: true, bias: true, seed: 7,
};

describe('lower-conv: structure', () => {
  it('lowers a QConv to Im2Col -> TileGemm -> Lift in the seed layout, keeping the output name', () => {
    const g = qconvGraph(base), low = lower(g);
    expect(ops(low)).toEqual(['Im2Col', 'TileGemm', 'Lift']);
    const [im] = node(low, 'Im2Col'), [gemm] = node(low, 'TileGemm'), [lift] = node(low, 'Lift');
    expect(im!.attrs).toEqual({ kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], padValue: g.values.get('x')!.quant!.zeroPoint[0], channelStart: 0, channels: 3 });
    expect(low.values.get(im!.outputs[0]!)!.shape).toEqual([27, 2 * 5 * 6]);
    expect(gemm!.inputs).toEqual(['w:A', 'y:im2col', 'b']);
    expect(gemm!.attrs.gather).toBe('none');
    expect(low.initializers.get('w:A')!.shape).toEqual([4, 27]);
    expect(low.values.get('w:A')!.quant).toEqual(g.values.get('w')!.quant);
    expect(low.values.get('y:gemm')).toEqual({ dtype: 'int8', shape: [4, 60], quant: g.values.get('y')!.quant });
    expect(lift!.outputs).toEqual(['y']);
    expect(lift!.attrs.spatial).toEqual([5, 6]);
    // the original 4-D weight is dead and gone; the bias is reused as it is
    expect([...low.initializers.keys()].sort()).toEqual(['b', 'w:A']);
    checkStage(low, STAGES.lowered);
  });

  it('makes one GEMM per group (weights, bias and per-channel requant sliced) and one Lift', () => {
    const g = qconvGraph({ ...base, group: 2, cPerGroup: 2, oPerGroup: 3 }), low = lower(g);
    expect(ops(low)).toEqual(['Im2Col', 'TileGemm', 'Im2Col', 'TileGemm', 'Lift']);
    const gemms = node(low, 'TileGemm'), conv = g.nodes[0] as NodeOf<'QConv'>;
    expect(gemms.map((n) => n.inputs)).toEqual([['w:A:g0', 'y:im2col:g0', 'b:g0'], ['w:A:g1', 'y:im2col:g1', 'b:g1']]);
    expect(node(low, 'Im2Col').map((n) => [n.attrs.channelStart, n.attrs.channels])).toEqual([[0, 2], [2, 2]]);
    expect(gemms[1]!.attrs.multiplier).toEqual(conv.attrs.multiplier.slice(3, 6));
    expect(Array.from(low.initializers.get('b:g1')!.data)).toEqual(Array.from(g.initializers.get('b')!.data.subarray(3, 6)));
    expect(low.values.get('b:g1')!.quant!.scale).toEqual(g.values.get('b')!.quant!.scale.slice(3, 6));
    expect(node(low, 'Lift')[0]!.inputs).toEqual(['y:gemm:g0', 'y:gemm:g1']);
  });

  it('implicit im2col: the TileGemm reads x and carries the resolved geometry; no Im2Col node', () => {
    const g = qconvGraph({ ...base, autoPad: 'SAME_LOWER', pads: undefined, strides: [2, 1], kernel: [2, 3] });
    const low = lower(g, 'implicit');
    expect(ops(low)).toEqual(['TileGemm', 'Lift']);
    const [gemm] = node(low, 'TileGemm');
    expect(gemm!.inputs).toEqual(['w:A', 'x', 'b']);
    expect(gemm!.attrs).toMatchObject({ gather: 'im2col', kernel_shape: [2, 3], strides: [2, 1], pads: [1, 1, 0, 1], dilations: [1, 1], channelStart: 0, channels: 3 });
  });

  it('lowers a QGemm to Transpose -> TileGemm (weights as rows) -> Transpose', () => {
    for (const transB of [0, 1]) {
      const g = qgemmGraph({ m: 3, k: 5, n: 4, transB, perChannel: true, bias: true, xBits: 8, seed: 3 }), low = lower(g);
      expect(ops(low)).toEqual(['Transpose', 'TileGemm', 'Transpose']);
      const [gemm] = node(low, 'TileGemm');
      const a = transB ? 'w' : 'w:T';
      expect(gemm!.inputs).toEqual([a, 'y:in_T', 'b']);
      expect(low.initializers.get(a)!.shape).toEqual([4, 5]);
      expect(low.values.get(a)!.quant!.axis).toBe(0);
      expect(low.values.get('y:gemm')!.shape).toEqual([4, 3]);
    }
  });

  it('the lowered graph verifies and round-trips through the text form', () => {
    for (const mode of ['explicit', 'implicit'] as const) {
      const low = lower(qconvGraph({ ...base, group: 2, cPerGroup: 1, oPerGroup: 2 }), mode);
      const back = parseGraph(printGraph(low), 'lowered.ir');
      expect(graphDiff(back, low)).toBeUndefined();
      verifyGraph(back);
    }
  });

  it('rules decline other nodes; the pass changes nothing without QConv/QGemm and rejects a bad option', () => {
    const low = lower(qconvGraph(base));
    for (const rule of lowerConvRules('explicit')) for (const n of low.nodes) expect(rule(n, low)).toBeUndefined();
    expect(lowerConvPass.run(low, { evaluate: evaluateFloat, options: {} })).toBe(low);
    expect(() => lowerConvPass.run(low, { evaluate: evaluateFloat, options: { im2col: 'lazy' } })).toThrow(`option im2col must be 'explicit' or 'implicit', got "lazy"`);
  });

  it('the stage `lowered` rejects a QConv that was left behind', () => {
    const g = qconvGraph(base);
    expect(() => checkStage(g, STAGES.lowered)).toThrow("violates stage 'lowered'");
    expect(() => runPasses(g, [{ name: 'skip', stage: STAGES.lowered, run: (x) => x }], { evaluate: evaluateFloat, options: {} })).toThrow("QConv 'conv' is not allowed");
  });
});

// ---- bit-exactness against the QConv / QGemm reference kernels (runtime/int), fast-check seeded.

const autoPads: readonly AutoPad[] = ['NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** A random conv: 1-D to 3-D, strides, dilations, asymmetric pads, auto_pad, groups or depthwise. */
const convCase: fc.Arbitrary<ConvCase> = fc.record({
  rank: fc.constantFrom(1, 1, 2, 2, 2, 3),
  batch: fc.integer({ min: 1, max: 2 }),
  depthwise: fc.boolean(),
  group: fc.integer({ min: 1, max: 3 }),
  cPerGroup: fc.integer({ min: 1, max: 3 }),
  oPerGroup: fc.integer({ min: 1, max: 3 }),
  axes: fc.array(fc.record({ k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), extra: fc.integer({ min: 0, max: 4 }), pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }) }), { minLength: 3, maxLength: 3 }),
  autoPad: fc.constantFrom(...autoPads),
  defaults: fc.boolean(),
  xBits: fc.constantFrom(8, 8, 4, 2),
  wBits: fc.constantFrom(8, 8, 5),
  perChannel: fc.boolean(),
  bias: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
}).map((r): ConvCase => {
  const axes = r.axes.slice(0, r.rank);
  const depthwise = r.depthwise && r.group > 1;
  // With depthwise: one input channel per group (C = group), oPerGroup is the channel multiplier.
  return {
    batch: r.batch, group: r.group, cPerGroup: depthwise ? 1 : r.cPerGroup, oPerGroup: r.oPerGroup,
    kernel: axes.map((a) => a.k),
    // The input always holds one dilated window, so every auto_pad gives an output.
    spatial: axes.map((a) => (a.k - 1) * a.d + 1 + a.extra),
    ...(r.defaults ? {} : { strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d) }),
    ...(r.autoPad === 'NOTSET' && !r.defaults ? { pads: [...axes.map((a) => a.pb), ...axes.map((a) => a.pe)] } : {}),
    autoPad: r.autoPad, xBits: r.xBits, wBits: r.wBits, perChannel: r.perChannel, bias: r.bias, seed: r.seed,
  };
});

describe('lower-conv: the lowered graph equals the QConv reference bit for bit', () => {
  for (const mode of ['explicit', 'implicit'] as const) {
    it(`random geometries, groups and depthwise, 1-D to 3-D (${mode} im2col)`, () => {
      let inside = 0, total = 0;
      fc.assert(fc.property(convCase, (c) => {
        const g = qconvGraph(c), low = lower(g, mode);
        const feeds = feedX(g, c.seed ^ 0x5a5a);
        const want = runY(g, feeds), got = runY(low, feeds);
        expect(got.length).toBe(want.length);
        expect(Array.from(got)).toEqual(Array.from(want));
        const { qmin, qmax, zeroPoint } = (g.nodes[0] as NodeOf<'QConv'>).attrs;
        total += want.length;
        for (const v of want) if (v > qmin && v < qmax && v !== zeroPoint) inside++;
      }), { seed: mode === 'explicit' ? 4242 : 2424, numRuns: 120 });
      // Most codes are neither clamped nor the zero point, so the comparison sees the arithmetic, not saturation.
      expect(inside / total).toBeGreaterThan(0.4);
    });
  }

  it('covers what it claims: the generator reaches groups, depthwise, 1-D, 3-D, strides, dilations and every auto_pad', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(convCase, (c) => {
      const r = c.spatial.length;
      seen.add(`rank${r}`);
      if (c.group > 1) seen.add(c.cPerGroup === 1 ? 'depthwise' : 'groups');
      if (c.strides?.some((s) => s > 1)) seen.add('strides');
      if (c.dilations?.some((d) => d > 1)) seen.add('dilations');
      if (c.pads && c.pads.slice(0, r).some((p, i) => p !== c.pads![i + r])) seen.add('asymmetric');
      seen.add(c.autoPad);
      const geo = windowGeometry(c.spatial, c.kernel, { ...c, auto_pad: c.autoPad }, 't');
      expect(geo.out.every((o) => o >= 1)).toBe(true);
    }), { seed: 4242, numRuns: 120 });
    expect([...seen].sort()).toEqual(['NOTSET', 'SAME_LOWER', 'SAME_UPPER', 'VALID', 'asymmetric', 'depthwise', 'dilations', 'groups', 'rank1', 'rank2', 'rank3', 'strides']);
  });

  it('a depthwise conv with channel multiplier 2 on 8 channels, both modes', () => {
    const g = qconvGraph({ ...base, group: 8, cPerGroup: 1, oPerGroup: 2, spatial: [7, 7], strides: [2, 2], pads: [1, 0, 2, 1] });
    const feeds = feedX(g, 99), want = runY(g, feeds);
    for (const mode of ['explicit', 'implicit'] as const) {
      const low = lower(g, mode);
      expect(node(low, 'TileGemm')).toHaveLength(8);
      expect(Array.from(runY(low, feeds))).toEqual(Array.from(want));
    }
  });
});

const gemmCase: fc.Arbitrary<GemmCase> = fc.record({
  m: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 1, max: 24 }), n: fc.integer({ min: 1, max: 7 }), transB: fc.constantFrom(0, 1),
  perChannel: fc.boolean(), bias: fc.boolean(), xBits: fc.constantFrom(8, 3), seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

describe('lower-conv: QGemm -> TileGemm equals the QGemm reference bit for bit', () => {
  it('random sizes, transB, per-column and per-tensor requant, with and without bias', () => {
    fc.assert(fc.property(gemmCase, (c) => {
      const g = qgemmGraph(c), low = lower(g);
      const feeds = feedX(g, c.seed + 1);
      expect(Array.from(runY(low, feeds))).toEqual(Array.from(runY(g, feeds)));
    }), { seed: 777, numRuns: 150 });
  });
});
