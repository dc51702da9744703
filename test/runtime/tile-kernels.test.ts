import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodeBuilder, type TileProgram } from '../../backend/program.js';
import type { Target } from '../../backend/target.js';
import { INT32_MAX } from '../../ir/arith.js';
import { TileMachine, type TileKernels } from '../../runtime/tile/machine.js';

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
