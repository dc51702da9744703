import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodeBuilder, type TileProgram } from '../../backend/program.js';
import type { Target } from '../../backend/target.js';
import { INT32_MAX, INT32_MIN } from '../../ir/arith.js';
import { encodeGatherDescriptor } from '../../backend/gather.js';
import { im2colGeometry, im2colSource } from '../../ir/im2col.js';
import { type HostOp, TileMachine, type TileKernels } from '../../runtime/tile/machine.js';

// The WebAssembly LOAD, MATMUL and STORE requantization against the TypeScript reference: seeded random tile programs (every t shape class:
// below, at and above the kernel's 16-column blocks, odd k, partial m/n/k, accumulate or not, garbage left
// in the scratchpad beyond each tile's extent) must leave identical DRAM and identical counters.

const target = (tile: number): Target => ({
  name: 'prop', tile, scratchpadBytes: 6 * tile * tile, accumulatorBytes: 3 * 4 * tile * tile, dramBytesPerCycle: 16,
  latency: { load: 7, matmul: 3, store: 5 }, loopOrder: 'auto', unlimitedMemory: false,
});

interface Case { readonly tile: number; readonly seed: number; readonly ops: number }

/** A program of random LOADs (full tiles of random int8 DRAM), MATMULs, and raw and requantizing STOREs of every accumulator. */
function randomProgram({ tile: t, seed, ops }: Case): TileProgram {
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
  const below = (n: number): number => next() % n;
  const data = new Uint8Array(8 * t * t);
  for (let i = 0; i < data.length; i++) data[i] = below(256);
  // Extremes make the exact int16 widening matter: -128·-128 and -128·127.
  for (let i = 0; i < data.length; i += 7) data[i] = below(2) === 0 ? 0x80 : 0x7f;
  const out = data.length;
  const c = new CodeBuilder();
  for (let slot = 0; slot < 6; slot++) c.load(slot, below(data.length - t * t + 1), t, t, t);
  const strided = (rows: number, cols: number): [number, number] => { const stride = cols + below(3); return [below(data.length - (rows - 1) * stride - cols + 1), stride]; };
  for (let i = 0; i < ops; i++) {
    const kind = below(4);
    if (kind === 0) {
      const rows = 1 + below(t), cols = 1 + below(t), [addr, stride] = strided(rows, cols);
      c.load(below(6), addr, stride, rows, cols);
    }
    else c.matmul(below(3), below(6), below(6), 1 + below(t), 1 + below(t), 1 + below(t), below(2) === 1);
  }
  for (let slot = 0; slot < 3; slot++) c.store(slot, out + slot * 4 * t * t, 4 * t, t, t, 'raw32', 0, false, 0, 0);
  // Requantizing STOREs of every accumulator: random per-row tables (any multiplier >= 0, every shift, wide
  // zero points) and clamp bounds.
  const table = out + 3 * 4 * t * t, entries = new Int32Array(3 * t);
  for (let r = 0; r < t; r++) {
    entries[3 * r] = below(2) === 0 ? next() >>> 1 : 0x40000000 + (next() >>> 2);
    entries[3 * r + 1] = below(62) - 31;
    entries[3 * r + 2] = below(4) === 0 ? (next() | 0) : below(256) - 128;
  }
  const q8 = table + entries.byteLength;
  for (let slot = 0; slot < 3; slot++) {
    const a = below(256) - 128, b = below(256) - 128;
    c.store(slot, q8 + slot * t * t, t, t, t, 'requant', table, below(2) === 1, Math.min(a, b), Math.max(a, b));
  }
  return {
    target: target(t), dramBytes: q8 + 3 * t * t, tensors: [], hostData: new Uint8Array(0), code: c.bytes(),
    constants: [{ name: 'data', kind: 'bytes', addr: 0, data }, { name: 'table', kind: 'requant', addr: table, data: new Uint8Array(entries.buffer) }],
  };
}

function runWith(p: TileProgram, kernels: TileKernels): { dram: Uint8Array; counters: unknown } {
  const m = new TileMachine(p, { kernels });
  const counters = m.run();
  return { dram: m.dram.slice(), counters };
}

describe("tile machine kernels: 'wasm' equals 'ts'", () => {
  it('seeded random tile programs, t from 1 to 40', () => {
    fc.assert(fc.property(
      fc.record({ tile: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(16, 31, 32, 33, 40)), seed: fc.integer(), ops: fc.integer({ min: 1, max: 40 }) }),
      (k) => {
        const p = randomProgram(k);
        const ts = runWith(p, 'ts'), wasm = runWith(p, 'wasm');
        expect(Buffer.from(wasm.dram).equals(Buffer.from(ts.dram))).toBe(true);
        expect(wasm.counters).toEqual(ts.counters);
      },
    ), { seed: 0x7e57, numRuns: 150 });
  });

  it('accumulation wraps modulo 2^32 in both', () => {
    // acc = INT32_MAX, then += 127·127 per MATMUL: both must wrap the same way.
    const c = new CodeBuilder();
    c.load(0, 0, 4, 4, 4);
    c.preload(0, 'broadcast', 16, 0, 4, 4);
    for (let i = 0; i < 3; i++) c.matmul(0, 0, 0, 4, 4, 4, true);
    c.store(0, 32, 16, 4, 4, 'raw32', 0, false, 0, 0);
    const p: TileProgram = {
      target: target(4), dramBytes: 96, tensors: [], hostData: new Uint8Array(0), code: c.bytes(),
      constants: [{ name: 'a', kind: 'bytes', addr: 0, data: new Uint8Array(16).fill(127) }, { name: 'b', kind: 'int32', addr: 16, data: new Uint8Array(Int32Array.of(INT32_MAX).buffer) }],
    };
    const ts = runWith(p, 'ts'), wasm = runWith(p, 'wasm');
    expect(Buffer.from(wasm.dram).equals(Buffer.from(ts.dram))).toBe(true);
    const first = new DataView(wasm.dram.buffer).getInt32(32, true);
    expect(first).toBe((INT32_MAX + 3 * 4 * 127 * 127) | 0);
  });

  it('a machine reused across runs returns the same counters every run', () => {
    const p = randomProgram({ tile: 16, seed: 5, ops: 30 });
    const m = new TileMachine(p);
    const first = m.run();
    first.cycles = -1; // the caller owns what run() returns
    m.reset();
    const again = m.run();
    expect(again).toEqual(new TileMachine(p, { kernels: 'ts' }).run());
  });
});

/** A gather geometry: x's shape and the Im2Col attributes (out extents >= 1 on every axis). */
interface GatherCase { readonly tile: number; readonly rank: number; readonly seed: number; readonly ops: number; readonly rewrite: 'none' | 'store' | 'host' }

const HOST_REWRITE = 9;
/** Byte regions of a gather program's DRAM. */
const DESC = 0, DESC_B = 128, X = 256;

/**
 * Seeded random LOAD_IM2COLs (rank 1 to 3, batch 1-2, a channel range of a grouped conv, strides, dilations,
 * asymmetric pads, any pad value, partial tiles anywhere in the matrix) over scratchpad slots holding garbage,
 * then every slot multiplied into the accumulator and stored raw. Optionally the descriptor is rewritten
 * mid-run (by a raw32 STORE or a HOST op) with another geometry of the same matrix size, so later gathers
 * through it must follow its new meaning, and on the next run the earlier ones too.
 */
function randomGatherProgram({ tile: t, rank, seed, ops, rewrite }: GatherCase): { program: TileProgram; slotsAfterRun: (run: 1 | 2) => number[][] } {
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
  const below = (n: number): number => next() % n;
  const spatial = Array.from({ length: rank }, () => 1 + below(rank === 3 ? 4 : 7));
  const kernel = spatial.map(() => 1 + below(3)), stride = spatial.map(() => 1 + below(3)), dilation = spatial.map(() => 1 + below(2));
  const pads = [...spatial.map(() => below(3)), ...spatial.map(() => below(3))];
  // A window that does not fit is shrunk to 1 (out = 1 + floor((size + pads − 1) / stride) >= 1).
  spatial.forEach((n, d) => { if (n + pads[d]! + pads[rank + d]! < dilation[d]! * (kernel[d]! - 1) + 1) kernel[d] = 1; });
  const batch = 1 + below(2), channels = 1 + below(4), c = channels + below(3), channelStart = below(c - channels + 1);
  const xShape = [batch, c, ...spatial];
  const attrs = { kernel_shape: kernel, strides: stride, dilations: dilation, pads, padValue: below(256) - 128, channelStart, channels };
  // B: the same matrix size (begin and end pads swapped), another pad value and input.
  const attrsB = { ...attrs, pads: [...pads.slice(rank), ...pads.slice(0, rank)], padValue: below(256) - 128 };
  const xBytes = xShape.reduce((p, v) => p * v, 1), xB = X + xBytes;
  const geo = im2colGeometry(xShape, attrs, 'case');
  const data = new Uint8Array(2 * xBytes);
  for (let i = 0; i < data.length; i++) data[i] = below(256);
  const descA = encodeGatherDescriptor({ x: X, xShape, attrs }), descB = encodeGatherDescriptor({ x: xB, xShape, attrs: attrsB });
  const garbage = X + data.length, out = garbage + t * t + 4 - ((garbage + t * t) % 4);
  const code = new CodeBuilder();
  for (let slot = 0; slot < 6; slot++) code.load(slot, garbage, t, t, t);
  // The last gather into each slot, and whether it ran after the rewrite.
  const last: ({ row0: number; col0: number; rows: number; cols: number; rewritten: boolean } | undefined)[] = new Array(6).fill(undefined);
  // The STORE rewrite copies 100 bytes through the accumulator (rows·cols = 25 words cover rank 3's 25).
  const rewriteAt = rewrite === 'none' || (rewrite === 'store' && t < 5) ? -1 : below(ops);
  for (let i = 0; i < ops; i++) {
    if (i === rewriteAt) {
      if (rewrite === 'host') code.host(HOST_REWRITE, 0, 0);
      else {
        code.preload(2, 'tile', DESC_B, 20, 5, 5);
        code.store(2, DESC, 20, 5, 5, 'raw32', 0, false, 0, 0);
      }
    }
    const row0 = below(geo.rows), col0 = below(geo.cols);
    const rows = 1 + below(Math.min(t, geo.rows - row0)), cols = 1 + below(Math.min(t, geo.cols - col0));
    const slot = below(6);
    code.loadIm2col(slot, DESC, row0, col0, rows, cols);
    last[slot] = { row0, col0, rows, cols, rewritten: rewriteAt >= 0 && i >= rewriteAt };
  }
  for (let slot = 0; slot < 6; slot++) {
    code.matmul(slot % 3, slot, slot, t, t, t, slot >= 3);
  }
  for (let slot = 0; slot < 3; slot++) code.store(slot, out + slot * 4 * t * t, 4 * t, t, t, 'raw32', 0, false, 0, 0);
  const garbageBytes = Uint8Array.from({ length: t * t }, () => below(256));
  // The reference: each slot's last gather element by element with im2colSource, through A or B.
  const geoB = im2colGeometry(xShape, attrsB, 'case B');
  const slotsAfterRun = (run: 1 | 2): number[][] => last.map((g) => {
    if (g === undefined) return [...new Int8Array(garbageBytes.buffer)];
    const useB = rewriteAt >= 0 && (run === 2 || g.rewritten);
    const [gg, x, pad] = useB ? [geoB, xB, attrsB.padValue] : [geo, X, attrs.padValue];
    return Array.from({ length: t * t }, (_, e) => {
      const r = Math.floor(e / t), c = e % t;
      if (r >= g.rows || c >= g.cols) return 0;
      const src = im2colSource(gg, g.row0 + r, g.col0 + c);
      return src < 0 ? pad : (data[x - X + src]! << 24) >> 24;
    });
  });
  const program: TileProgram = {
    target: target(t), dramBytes: out + 3 * 4 * t * t, tensors: [], hostData: new Uint8Array(0), code: code.bytes(),
    constants: [
      { name: 'descA', kind: 'int32', addr: DESC, data: descA }, { name: 'descB', kind: 'int32', addr: DESC_B, data: descB },
      { name: 'x', kind: 'bytes', addr: X, data }, { name: 'garbage', kind: 'bytes', addr: garbage, data: garbageBytes },
    ],
  };
  return { program, slotsAfterRun };
}

/** The HOST op of randomGatherProgram: copies descriptor B over descriptor A. */
const rewriteOp: HostOp = { name: 'rewrite', run: ({ dram }) => { dram.copyWithin(DESC, DESC_B, DESC_B + 128); return 10; } };

/** Two runs on one machine (DRAM kept between them): counters, DRAM and every scratchpad slot after each. */
function runGatherTwice(p: TileProgram, kernels: TileKernels): [unknown, string, number[][]][] {
  const m = new TileMachine(p, { kernels, hostOps: new Map([[HOST_REWRITE, rewriteOp]]) });
  const state = (counters: unknown): [unknown, string, number[][]] => [counters, Buffer.from(m.dram).toString('hex'), Array.from({ length: 6 }, (_, s) => [...m.scratchpadTile(s)])];
  const first = state(m.run());
  return [first, state(m.run())];
}

describe("tile machine LOAD_IM2COL: 'wasm' equals 'ts'", () => {
  it('seeded random gathers (rank 1-3, batch, groups, pads, strides, dilations, partial tiles, descriptor rewrites)', () => {
    fc.assert(fc.property(
      fc.record({
        tile: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(16, 17, 32)), rank: fc.integer({ min: 1, max: 3 }), seed: fc.integer(),
        ops: fc.integer({ min: 1, max: 24 }), rewrite: fc.constantFrom('none', 'store', 'host'),
      }),
      (k) => {
        const { program, slotsAfterRun } = randomGatherProgram(k);
        const ts = runGatherTwice(program, 'ts');
        expect(runGatherTwice(program, 'wasm')).toEqual(ts);
        // And both equal im2colSource element by element, following the rewrite within the run and after it.
        expect(ts[0]![2]).toEqual(slotsAfterRun(1));
        expect(ts[1]![2]).toEqual(slotsAfterRun(2));
      },
    ), { seed: 0x9a7e, numRuns: 150 });
  });

});

describe("tile machine faults: 'wasm' equals 'ts'", () => {
  const fault = (p: TileProgram, kernels: TileKernels): [string, string] => {
    const m = new TileMachine(p, { kernels });
    try { m.run(); } catch (e) { return [(e as Error).message, Buffer.from(m.dram).toString('hex')]; }
    return ['no fault', ''];
  };

  it('a bad requant table entry faults with the same message, after the same rows are written', () => {
    for (const [bad, entry] of [[0, [-1, 0, 0]], [3, [5, 31, 0]], [5, [5, -32, 1]], [7, [-7, 99, 0]]] as const) {
      const t = 8, c = new CodeBuilder();
      c.preload(0, 'tile', 0, 4 * t, t, t);
      c.store(0, 4 * t * t, t, t, t, 'requant', 5 * t * t, true, -100, 90);
      const table = new Int32Array(3 * t);
      for (let r = 0; r < t; r++) table.set([0x50000000 + r, -r, r - 3], 3 * r);
      table.set(entry, 3 * bad);
      const p: TileProgram = {
        target: target(t), dramBytes: 5 * t * t + table.byteLength, tensors: [], hostData: new Uint8Array(0), code: c.bytes(),
        constants: [{ name: 'acc', kind: 'int32', addr: 0, data: new Uint8Array(Int32Array.from({ length: t * t }, (_, i) => (i * 7919) % 5000 - 2500).buffer) },
          { name: 'table', kind: 'requant', addr: 5 * t * t, data: new Uint8Array(table.buffer) }],
      };
      const ts = fault(p, 'ts');
      expect(ts[0]).toMatch(/^tile machine fault at instruction 1 \(STORE\): requant entry at 0x[0-9a-f]+ has/);
      expect(fault(p, 'wasm')).toEqual(ts);
    }
  });

  it('an instruction whose fields are bad faults in program order, after the same stores, with the same message', () => {
    const t = 8, bad: ((c: CodeBuilder) => void)[] = [
      (c) => c.load(0, 0, t, t + 1, t),
      (c) => c.load(99, 0, t, t, t),
      (c) => c.load(0, 4 * t * t - 3, t, 2, t),
      (c) => c.matmul(0, 0, 0, t, t, 0, false),
      (c) => c.matmul(3, 0, 0, t, t, t, false),
      (c) => c.preload(0, 'tile', 2, 4 * t, t, t),
      (c) => c.store(0, 0, 2, 2, t, 'requant', 0, false, -1, 1),
      (c) => c.store(0, 0, t, t, t, 'requant', 4 * t * t - 4, true, -1, 1),
      (c) => c.loadIm2col(0, 0, 0, 0, t, 0),
    ];
    for (const add of bad) {
      const c = new CodeBuilder();
      c.load(0, 0, t, t, t);
      c.matmul(0, 0, 0, t, t, t, false);
      c.store(0, 0, 4 * t, t, t, 'raw32', 0, false, 0, 0);
      add(c);
      c.store(0, 0, 4 * t, t, t, 'raw32', 0, false, 0, 0);
      const p: TileProgram = {
        target: target(t), dramBytes: 4 * t * t, tensors: [], hostData: new Uint8Array(0), code: c.bytes(),
        constants: [{ name: 'x', kind: 'bytes', addr: 0, data: Uint8Array.from({ length: t * t }, (_, i) => i) }],
      };
      const ts = fault(p, 'ts');
      expect(ts[0]).toMatch(/^tile machine fault at instruction 3 /);
      expect(fault(p, 'wasm')).toEqual(ts);
    }
  });

  it('a gather outside the matrix or through a corrupt descriptor faults with the same message, after the same stores', () => {
    const good = randomGatherProgram({ tile: 8, rank: 2, seed: 3, ops: 2, rewrite: 'none' }).program;
    // After a store (its bytes must be in DRAM at the fault) and a good gather, in one run of instructions.
    const outside = new CodeBuilder();
    outside.preload(0, 'broadcast', DESC, 0, 8, 8);
    outside.store(0, X, 32, 8, 8, 'raw32', 0, false, 0, 0);
    outside.loadIm2col(1, DESC, 0, 0, 1, 1);
    outside.loadIm2col(0, DESC, 0, 100000, 1, 1);
    const corrupt = { ...good.constants[0]!, data: good.constants[0]!.data.slice() };
    new DataView(corrupt.data.buffer).setInt32(4, 9, true); // rank 9
    for (const p of [{ ...good, code: outside.bytes() }, { ...good, constants: [corrupt, ...good.constants.slice(1)] }]) {
      const ts = fault(p, 'ts');
      expect(ts[0]).toMatch(/^tile machine fault at instruction \d+ \(LOAD_IM2COL\): /);
      expect(fault(p, 'wasm')).toEqual(ts);
    }
  });
});

describe("tile machine STORE requant: 'wasm' equals 'ts' on extreme values", () => {
  it('every lane of a row sees edge accumulators, multipliers, shifts, zero points and clamps', () => {
    const EDGE_X = [0, 1, -1, 2, -3, 127, -128, 2 ** 15, -(2 ** 15), 2 ** 30, -(2 ** 30), 2 ** 30 + 1, -(2 ** 30) - 1, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 1 << 24, -(1 << 24) - 1];
    const EDGE_M = [0, 1, 2 ** 30, 2 ** 30 + 1, INT32_MAX, 1518500250, 1073741823];
    const EDGE_ZP = [0, 1, -1, 127, -128, INT32_MAX, INT32_MIN, 2 ** 31 - 100, -(2 ** 31) + 100];
    const t = 20; // a full 16-lane chunk and a partial one per row
    // [-128, -2] and [0, 127] make rows with zero point INT32_MAX and INT32_MIN saturate whatever the accumulator.
    for (const [qmin, qmax] of [[-128, 127], [0, 127], [-5, 5], [7, 7], [-128, -2], [-128, -128]] as const) {
      // Rows of every (multiplier, zero point), per row a different shift, the columns the edge accumulators (rotated per row).
      const acc = new Int32Array(t * t), table = new Int32Array(3 * t), programs: TileProgram[] = [];
      let row = 0;
      const flush = (): void => {
        const cc = new CodeBuilder();
        cc.preload(0, 'tile', 0, 4 * t, t, t);
        cc.store(0, 4 * t * t, t, t, t, 'requant', 4 * t * t + t * t, true, qmin, qmax);
        programs.push({
          target: target(t), dramBytes: 5 * t * t + table.byteLength, tensors: [], hostData: new Uint8Array(0), code: cc.bytes(),
          constants: [{ name: 'acc', kind: 'int32', addr: 0, data: new Uint8Array(acc.slice().buffer) }, { name: 'table', kind: 'requant', addr: 5 * t * t, data: new Uint8Array(table.slice().buffer) }],
        });
        row = 0;
      };
      for (const m of EDGE_M) for (const zp of EDGE_ZP) for (let shift = -31; shift <= 30; shift += 3) {
        for (let j = 0; j < t; j++) acc[row * t + j] = EDGE_X[(j + row + shift + 31) % EDGE_X.length]!;
        table.set([m, shift, zp], 3 * row);
        if (++row === t) flush();
      }
      if (row > 0) flush();
      for (const p of programs) {
        expect(Buffer.from(runWith(p, 'wasm').dram).equals(Buffer.from(runWith(p, 'ts').dram))).toBe(true);
      }
    }
  });
});

describe("tile machine packed-B reuse: 'wasm' equals 'ts'", () => {
  it('a B slot rewritten by LOAD, LOAD_IM2COL or reset is packed again', () => {
    const t = 16, c = new CodeBuilder();
    const desc = encodeGatherDescriptor({ x: 0, xShape: [1, 4, 8, 8], attrs: { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], padValue: 3, channelStart: 0, channels: 4 } });
    // A descriptor written into DRAM before the run (not a constant) whose tables exceed the machine's spare
    // table room: it gathers in TypeScript even with the wasm kernels.
    const descAt = 4 * t * t, desc3At = descAt + 128, out = desc3At + 128, x3At = out + 7 * 4 * t * t;
    const desc3 = encodeGatherDescriptor({ x: x3At, xShape: [1, 2, 64, 64], attrs: { kernel_shape: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], padValue: -9, channelStart: 0, channels: 2 } });
    let o = out;
    const step = (): void => { c.matmul(0, 0, 1, t, t, t, false); c.store(0, o, 4 * t, t, t, 'raw32', 0, false, 0, 0); o += 4 * t * t; };
    c.load(0, 0, t, t, t);
    step(); // B = slot 1 before any LOAD: zeros (also on the second run, after reset)
    c.load(1, t * t, t, t, t);
    step();
    step(); // the same B again: reused
    c.load(1, 2 * t * t, t, t, t);
    step();
    c.loadIm2col(1, descAt, 0, 0, t, t);
    step();
    c.loadIm2col(1, desc3At, 0, 0, t, t);
    step();
    c.load(1, 3 * t * t + 5, t, t, t);
    step();
    const p: TileProgram = {
      target: target(t), dramBytes: x3At + 8192, tensors: [], hostData: new Uint8Array(0), code: c.bytes(),
      constants: [{ name: 'data', kind: 'bytes', addr: 0, data: Uint8Array.from({ length: 4 * t * t }, (_, i) => (i * 97 + (i >> 4)) & 0xff) }, { name: 'desc', kind: 'int32', addr: descAt, data: desc },
        { name: 'x3', kind: 'bytes', addr: x3At, data: Uint8Array.from({ length: 8192 }, (_, i) => (i * 13) >> 3) }],
    };
    const twice = (kernels: TileKernels): string[] => {
      const m = new TileMachine(p, { kernels });
      m.dram.set(desc3, desc3At);
      m.run();
      const first = Buffer.from(m.dram).toString('hex');
      m.reset();
      m.dram.set(desc3, desc3At);
      m.dram.fill(7, 0, t * t); // new A and B contents after the reset
      m.dram.fill(9, t * t, 2 * t * t);
      m.run();
      return [first, Buffer.from(m.dram).toString('hex')];
    };
    const ts = twice('ts');
    expect(twice('wasm')).toEqual(ts);
    // The seven products differ except the repeated one (so a stale packed B could not go unnoticed).
    const products = Array.from({ length: 7 }, (_, i) => ts[0]!.slice(2 * (out + i * 4 * t * t), 2 * (out + (i + 1) * 4 * t * t)));
    expect(new Set(products).size).toBe(6);
  });
});

describe('tile machine LOAD_IM2COL windows', () => {
  it('an input at DRAM 0 with top-left padding (a window starting below address 0) gathers like the reference', () => {
    for (const [h, w, s] of [[5, 5, 1], [9, 20, 2], [3, 40, 1]] as const) {
      const xShape = [1, 2, h, w], attrs = { kernel_shape: [3, 3], strides: [s, s], dilations: [1, 1], pads: [2, 2, 1, 1], padValue: -7, channelStart: 0, channels: 2 };
      const geo = im2colGeometry(xShape, attrs, 'case'), xBytes = 2 * h * w, descAt = 4 * Math.ceil(xBytes / 4);
      const c = new CodeBuilder();
      for (let col0 = 0; col0 < geo.cols; col0 += 16) c.loadIm2col(col0 / 16, descAt, 0, col0, 16, Math.min(16, geo.cols - col0));
      const slots = Math.ceil(geo.cols / 16);
      const p: TileProgram = {
        target: { ...target(16), scratchpadBytes: 256 * slots }, dramBytes: descAt + 128, tensors: [], hostData: new Uint8Array(0), code: c.bytes(),
        constants: [{ name: 'x', kind: 'bytes', addr: 0, data: Uint8Array.from({ length: xBytes }, (_, i) => 1 + i) }, { name: 'd', kind: 'int32', addr: descAt, data: encodeGatherDescriptor({ x: 0, xShape, attrs }) }],
      };
      const tiles = (kernels: TileKernels): number[][] => {
        const m = new TileMachine(p, { kernels });
        m.run();
        return Array.from({ length: slots }, (_, i) => [...m.scratchpadTile(i)]);
      };
      expect(tiles('wasm')).toEqual(tiles('ts'));
    }
  });
});
