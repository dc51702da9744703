import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOOP_ORDERS, TARGET_PRESETS, presetTarget, withTile, type Target } from '../../../backend/target.js';
import { CodeBuilder, decodeCode, type TileProgram } from '../../../backend/program.js';
import { encodeGatherDescriptor, gatherDescriptorBytes } from '../../../backend/gather.js';
import { decodeTbin, encodeTbin } from '../../../backend/tbin.js';
import { assemble, disassemble } from '../../../backend/tasm.js';
import { INSTRUCTION_BYTES, OP, decodeInstruction } from '../../../backend/isa.js';
import { emitProgram } from '../../../backend/emit/index.js';
import { TileMachine } from '../../../runtime/tile/machine.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runProgram } from '../../../runtime/tile/run-program.js';
import { TilecError } from '../../../ir/errors.js';
import { type ConvCase, feedX, lower, qconvGraph } from '../../passes/lower/qgraph.js';

// Implicit im2col: LOAD_IM2COL gathers B's tiles from the conv input (docs/isa.md, "LOAD_IM2COL").

const T4: Target = {
  name: 'hand', tile: 4, scratchpadBytes: 0, accumulatorBytes: 0, dramBytesPerCycle: 2,
  latency: { load: 10, matmul: 5, store: 3 }, loopOrder: 'auto', unlimitedMemory: true,
};

/** x = 1..9 as [1, 1, 3, 3] at 96 (after the 76-byte descriptor); a 2×2 kernel, pads top 1 / left 0 / bottom 0 / right 1, pad value -5. */
function handProgram(build: (c: CodeBuilder) => void): TileProgram {
  const attrs = { kernel_shape: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [1, 0, 0, 1], padValue: -5, channelStart: 0, channels: 1 };
  const desc = encodeGatherDescriptor({ x: 96, xShape: [1, 1, 3, 3], attrs });
  const code = new CodeBuilder();
  build(code);
  return {
    target: T4, dramBytes: 128, tensors: [], hostData: new Uint8Array(0), code: code.bytes(),
    constants: [{ name: 'desc', kind: 'int32', addr: 0, data: desc }, { name: 'x', kind: 'int8', addr: 96, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) }],
  };
}

describe('LOAD_IM2COL semantics', () => {
  it('gathers taps × positions, writes the pad value in the padding and zeros beyond the tile', () => {
    // Matrix element (tap (i, j), position (oh, ow)) = x[oh - 1 + i][ow + j], x[h][w] = 1 + 3h + w.
    const p = handProgram((c) => {
      c.loadIm2col(0, 0, 0, 0, 4, 4);
      c.loadIm2col(1, 0, 2, 8, 2, 1); // taps (1,0), (1,1) at position (2,2)
    });
    const m = new TileMachine(p);
    const counters = m.run();
    expect([...m.scratchpadTile(0)]).toEqual([
      -5, -5, -5, 1, // tap (0,0): the top row is padding until oh = 1
      -5, -5, -5, 2, // tap (0,1)
      1, 2, 3, 4, // tap (1,0)
      2, 3, -5, 5, // tap (1,1): (0,2) reads w = 3, the right pad
    ]);
    expect([...m.scratchpadTile(1)]).toEqual([9, 0, 0, 0, -5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Charged the distinct input bytes: x[0..4] (5 bytes), then x[8] (1 byte).
    expect(counters).toMatchObject({ loads: 2, loadBytes: 6, instructions: 2 });
    // Load queue: ceil(5/2) = 3 cycles, then 1; + latency 10.
    expect(counters.cycles).toBe(3 + 1 + 10);
  });

  it('faults on a tile outside the matrix and on a corrupt descriptor', () => {
    const fault = (p: TileProgram): string => {
      try { new TileMachine(p).run(); } catch (e) { expect(e).toBeInstanceOf(TilecError); return (e as Error).message; }
      throw new Error('expected a fault');
    };
    expect(fault(handProgram((c) => c.loadIm2col(0, 0, 3, 0, 2, 1)))).toMatch(/instruction 0 \(LOAD_IM2COL\): rows 3\.\.4, columns 0\.\.0 lie outside the 4x9 im2col matrix/);
    const bad = handProgram((c) => c.loadIm2col(0, 0, 0, 0, 1, 1));
    const corrupt = new Uint8Array(bad.constants[0]!.data);
    new DataView(corrupt.buffer).setInt32(4, 99, true); // rank 99
    expect(fault({ ...bad, constants: [{ ...bad.constants[0]!, data: corrupt }, bad.constants[1]!] })).toMatch(/im2col descriptor at 0x00000000 declares spatial rank 99/);
  });

  it('encodes canonically and survives disasm/asm and .tbin byte for byte', () => {
    const p = handProgram((c) => { c.loadIm2col(3, 0, 2, 8, 2, 1); c.load(0, 96, 3, 2, 3); });
    const text = disassemble(p);
    expect(text).toContain('LOAD_IM2COL spad=3 desc=0x00000000 row0=2 col0=8 rows=2 cols=1 ; #0');
    const bin = encodeTbin(p);
    expect(encodeTbin(assemble(text))).toEqual(bin);
    expect(encodeTbin(decodeTbin(bin, 'a.tbin'))).toEqual(bin);
    const word = p.code.slice(0, INSTRUCTION_BYTES);
    expect(word[0]).toBe(OP.LOAD_IM2COL);
    word[6] = 1; // aux is unused
    expect(() => decodeInstruction(new DataView(word.buffer), 0, 'instruction ', 0)).toThrow(/field aux is 1 but LOAD_IM2COL does not use it/);
    expect(gatherDescriptorBytes(2)).toBe(p.constants[0]!.data.length);
  });
});

const machineArb = fc.record({
  preset: fc.constantFrom(...TARGET_PRESETS.keys()),
  strategy: fc.constantFrom(...LOOP_ORDERS),
  t: fc.integer({ min: 1, max: 33 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

describe('implicit im2col programs equal the integer reference bit for bit', () => {
  it('random 1-D/2-D geometry, strides, dilations, asymmetric pads, groups and depthwise, batch', () => {
    const arb = machineArb.chain((r) => fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      depthwise: fc.boolean(),
      group: fc.constantFrom(1, 2, 3),
      cPerGroup: fc.integer({ min: 1, max: 4 }),
      oPerGroup: fc.integer({ min: 1, max: 20 }),
      rank: fc.constantFrom(1, 2),
      sizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 2 }),
      kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
      strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
      dilations: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
      pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
      perChannel: fc.boolean(),
      bias: fc.boolean(),
    }).map((c) => ({ ...r, ...c })));
    let gathered = 0;
    fc.assert(fc.property(arb, (r) => {
      const spatial = r.sizes.slice(0, r.rank);
      const pads = [...r.pads.slice(0, r.rank), ...r.pads.slice(2, 2 + r.rank)];
      // The dilated kernel fits the padded input, so every case has an output.
      const kernel = spatial.map((s, d) => Math.min(r.kernel[d]!, Math.floor((s + pads[d]! + pads[d + r.rank]! - 1) / r.dilations[d]!) + 1));
      const c: ConvCase = {
        batch: r.batch, group: r.group, cPerGroup: r.depthwise ? 1 : r.cPerGroup, oPerGroup: r.depthwise ? 1 : r.oPerGroup, spatial, kernel,
        strides: r.strides.slice(0, r.rank), dilations: r.dilations.slice(0, r.rank), pads, autoPad: 'NOTSET',
        xBits: 8, wBits: 8, perChannel: r.perChannel, bias: r.bias, seed: r.seed,
      };
      const low = lower(qconvGraph(c), 'implicit');
      const target = withTile(presetTarget(r.preset), r.t);
      const feeds = feedX(low, r.seed);
      const want = runGraph(low, feeds, evaluateFloat).get('y')!;
      const { program, totals, report } = emitProgram(low, target, { strategy: r.strategy });
      const got = runProgram(program, feeds, { codes: true, overflow: 'fault' });
      expect(Array.from(got.outputs.get('y')!.data)).toEqual(Array.from(want.data));
      expect(got.counters.cycles).toBe(totals.cycles);
      expect(got.counters.loadBytes + got.counters.storeBytes + got.counters.tableBytes).toBe(
        totals.dram_bytes - report.filter((l) => l.kind === 'host').reduce((s, l) => s + l.dram_bytes, 0));
      // No host Im2Col: the matrix is gathered (or, for 1x1 stride-1 unpadded batch-1, read in place).
      expect(report.some((l) => l.op === 'Im2Col')).toBe(false);
      if (decodeCode(program.code, 'instruction ').some((i) => i.op === 'LOAD_IM2COL')) gathered++;
    }), { seed: 0x6a7e, numRuns: 50 });
    expect(gathered).toBeGreaterThan(30);
  });
});

describe('im2col DRAM traffic in the report', () => {
  const conv3x3: ConvCase = { batch: 1, group: 1, cPerGroup: 8, oPerGroup: 16, spatial: [12, 12], kernel: [3, 3], pads: [1, 1, 1, 1], autoPad: 'NOTSET', xBits: 8, wBits: 8, perChannel: true, bias: true, seed: 4 };

  it('a 3x3 conv gathers less than explicit im2col moves, and the explicit figure is what host im2col really moves', () => {
    const low = lower(qconvGraph(conv3x3), 'implicit');
    const target = presetTarget('default');
    const implicit = emitProgram(low, target, { strategy: 'seed' });
    const layer = implicit.report.find((l) => l.op === 'TileGemm')!;
    const traffic = layer.im2col_dram_bytes!;
    expect(traffic.implicit).toBe(layer.dram_bytes);
    expect(traffic.implicit).toBeLessThan(traffic.explicit);
    expect(implicit.totals.im2col_dram_bytes).toEqual(traffic);
    // The same GEMM with the matrix materialised by a host Im2Col moves exactly the explicit figure.
    const host = emitProgram(low, target, { strategy: 'seed', hostIm2col: true });
    const im2col = host.report.find((l) => l.op === 'Im2Col')!, gemm = host.report.find((l) => l.op === 'TileGemm')!;
    expect(im2col.dram_bytes).toBe(8 * 144 + 72 * 144); // x read + the K×N matrix written
    expect(im2col.dram_bytes + gemm.dram_bytes).toBe(traffic.explicit);
    expect(host.totals.im2col_dram_bytes).toBeUndefined();
  });
});
