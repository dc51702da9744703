import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poolCase, poolInputShape, poolWindowAttrs } from '../helpers/pool-cases.js';
import { CodeBuilder, type TileProgram } from '../../backend/program.js';
import { HOST_FN, encodeHostOperands, tensorBytes } from '../../backend/host-ops.js';
import { encodeGatherDescriptor } from '../../backend/gather.js';
import { presetTarget } from '../../backend/target.js';
import type { Node } from '../../ir/ops.js';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { Im2Col } from '../../runtime/int/Im2Col.js';
import { MaxPool } from '../../runtime/float/MaxPool.js';
import { hostOps } from '../../runtime/tile/host/index.js';
import { type HostOp, TileMachine } from '../../runtime/tile/machine.js';

// The machine's caches must never change a result: the Im2Col host op's table gather equals the reference
// kernel on random geometries, and counters follow host cycles that change from run to run.

const target = presetTarget('default');

describe('tile machine caches', () => {
  it('the Im2Col gather writes exactly what the reference Im2Col kernel computes, run after run', () => {
    fc.assert(fc.property(
      fc.record({
        n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 6 }), w: fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 24, max: 60 })),
        kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), d: fc.integer({ min: 1, max: 2 }),
        pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), padValue: fc.integer({ min: -128, max: 127 }), seed: fc.integer(),
      }),
      (g) => {
        const ext = (size: number, k: number, p0: number, p1: number): number => Math.floor((size + p0 + p1 - g.d * (k - 1) - 1) / g.s) + 1;
        const oh = ext(g.h, g.kh, g.pads[0]!, g.pads[2]!), ow = ext(g.w, g.kw, g.pads[1]!, g.pads[3]!);
        fc.pre(oh >= 1 && ow >= 1);
        const attrs = { kernel_shape: [g.kh, g.kw], strides: [g.s, g.s], dilations: [g.d, g.d], pads: g.pads, padValue: g.padValue, channelStart: 0, channels: g.c };
        const xShape = [g.n, g.c, g.h, g.w];
        const count = g.n * g.c * g.h * g.w;
        let s = g.seed >>> 0;
        const values = Array.from({ length: count }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) - 128; });
        const x = tensor('int8', xShape, values);
        const node = { op: 'Im2Col', name: 'im', inputs: ['x'], outputs: ['y'], attrs } as unknown as Node;
        const ref = Im2Col(node as never, [x])[0]!;
        expectHostOpRuns(HOST_FN.Im2Col, 'im', x, ref, attrs);
      },
    ), { seed: 0x1c2c, numRuns: 60 });
  });

  it('counters follow host cycles that change from run to run (the cost model replays)', () => {
    let cycles = 500;
    const op: HostOp = { name: 'varying', run: () => cycles };
    const code = new CodeBuilder();
    code.load(0, 0, 16, 16, 16);
    code.fence();
    code.matmul(0, 0, 0, 16, 16, 16, false);
    code.host(7, 0, 0);
    code.matmul(0, 0, 0, 16, 16, 16, true);
    const p: TileProgram = { target, dramBytes: 4096, tensors: [], hostData: new Uint8Array(0), code: code.bytes(), constants: [] };
    const fresh = (c: number): unknown => { cycles = c; return new TileMachine(p, { hostOps: new Map([[7, op]]) }).run(); };
    const expected500 = fresh(500), expected9000 = fresh(9000);
    const m = new TileMachine(p, { hostOps: new Map([[7, op]]) });
    cycles = 500;
    expect(m.run()).toEqual(expected500);
    cycles = 9000;
    expect(m.run()).toEqual(expected9000);
    cycles = 500;
    expect(m.run()).toEqual(expected500);
    expect(expected9000).not.toEqual(expected500);
  });

  it('LOAD_IM2COL follows a descriptor that changes between runs', () => {
    const xShape = [1, 2, 5, 5];
    const x = Uint8Array.from({ length: 50 }, (_, i) => (i * 37) & 0xff);
    const attrsA = { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], padValue: -3, channelStart: 0, channels: 2 };
    const attrsB = { ...attrsA, strides: [2, 1], pads: [0, 2, 1, 0], padValue: 9 };
    const descA = encodeGatherDescriptor({ x: 0, xShape, attrs: attrsA }), descB = encodeGatherDescriptor({ x: 0, xShape, attrs: attrsB });
    expect(descB.length).toBe(descA.length);
    const program = (desc: Uint8Array): TileProgram => {
      const code = new CodeBuilder();
      code.loadIm2col(0, 64, 2, 3, 8, 5); // inside both matrices: A is 18x25, B 18x10
      return { target, dramBytes: 256, tensors: [], hostData: new Uint8Array(0), code: code.bytes(), constants: [{ name: 'x', kind: 'bytes', addr: 0, data: x }, { name: 'd', kind: 'bytes', addr: 64, data: desc }] };
    };
    const fresh = (desc: Uint8Array): [number[], unknown] => { const m = new TileMachine(program(desc)); const c = m.run(); return [[...m.scratchpadTile(0)], c]; };
    const m = new TileMachine(program(descA));
    const a = m.run();
    expect([[...m.scratchpadTile(0)], a]).toEqual(fresh(descA));
    m.reset();
    m.dram.set(descB, 64);
    const b = m.run();
    expect([[...m.scratchpadTile(0)], b]).toEqual(fresh(descB));
    expect(fresh(descB)).not.toEqual(fresh(descA));
  });

  it('the MaxPool gather writes exactly what the reference MaxPool kernel computes (1-D to 3-D, pads, dilations, ceil_mode)', () => {
    fc.assert(fc.property(
      poolCase,
      (g) => {
        const attrs = { ...poolWindowAttrs(g), count_include_pad: 0 };
        const xShape = poolInputShape(g);
        const count = xShape.reduce((a, b) => a * b, 1);
        let s = g.seed >>> 0;
        const x = tensor('int8', xShape, Array.from({ length: count }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) - 128; }));
        const node = { op: 'MaxPool', name: 'mp', inputs: ['x'], outputs: ['y'], attrs } as unknown as Node;
        let ref;
        try { ref = MaxPool(node as never, [x])[0]!; } catch { fc.pre(false); return; }
        expectHostOpRuns(HOST_FN.MaxPool, 'mp', x, ref, attrs);
      },
    ), { seed: 0x9001, numRuns: 150 });
  });
});

/**
 * Runs a one-HOST-instruction program of host op `fn` on x (at DRAM 0) twice, so the second run goes through
 * the op's cache, and expects the reference output `ref` at 4096 (beyond every x these tests draw) both times.
 */
function expectHostOpRuns(fn: number, name: string, x: Tensor, ref: Tensor, attrs: object): void {
  const yAddr = 4096;
  const block = encodeHostOperands({ node: name, inputs: [{ addr: 0, dtype: 'int8', shape: [...x.shape] }], outputs: [{ addr: yAddr, dtype: 'int8', shape: [...ref.shape] }], attrs: attrs as never });
  const code = new CodeBuilder();
  code.host(fn, 0, block.length);
  const p: TileProgram = { target, dramBytes: yAddr + ref.data.length, tensors: [], hostData: block, code: code.bytes(), constants: [] };
  const m = new TileMachine(p, { hostOps: hostOps(target) });
  for (let run = 0; run < 2; run++) {
    m.reset();
    m.dram.set(tensorBytes(x), 0);
    m.run();
    expect(Array.from(new Int8Array(m.dram.buffer, yAddr, ref.data.length))).toEqual(Array.from(ref.data));
  }
}
