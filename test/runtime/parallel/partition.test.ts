import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INSTRUCTION_BYTES, OP, PRELOAD_BROADCAST, PRELOAD_ZERO, REQUANT_ENTRY_BYTES, STORE_PER_ROW, STORE_RAW32 } from '../../../backend/isa.js';
import { readGatherDescriptor } from '../../../backend/gather.js';
import { CodeBuilder, type TileProgram } from '../../../backend/program.js';
import { im2colSource } from '../../../ir/im2col.js';
import { TileMachine } from '../../../runtime/tile/machine.js';
import { partitionProgram, type Partition } from '../../../runtime/tile/parallel/partition.js';
import { gatherTables, privateSizes, shareOf } from '../../../runtime/tile/parallel/runner.js';
import { sharedKernelModule } from '../../../runtime/tile/parallel/shared-module.js';
import { WasmTileMemory } from '../../../runtime/tile/wasm/kernels.js';
import { randomProgram, type RandomCase } from './random-program.js';

// The static partition of runtime/tile/parallel: its properties checked against an independent reading of
// the program (every instruction runs somewhere, each accumulator instruction exactly once, no two workers
// touch the same DRAM byte in one segment unless both only read it, every MATMUL's worker ran its operands'
// loads), and the workers' machines — private scratchpad and accumulator, one DRAM — run segment by segment
// with their instructions interleaved at random, which must leave exactly the sequential machine's DRAM and counters.

const cases = fc.record({ tile: fc.constantFrom(1, 2, 3, 4, 7, 16), seed: fc.integer(), ops: fc.integer({ min: 1, max: 60 }) });

interface Access { readonly reads: Set<number>; readonly writes: Set<number> }

/** The DRAM bytes each instruction reads and writes, read straight from the fields (a gather: element by element). */
function accesses(p: TileProgram): Access[] {
  const v = new DataView(p.code.buffer, p.code.byteOffset, p.code.byteLength);
  const dram = new Uint8Array(p.dramBytes);
  for (const k of p.constants) dram.set(k.data, k.addr);
  const out: Access[] = [];
  for (let o = 0; o < p.code.length; o += INSTRUCTION_BYTES) {
    const op = v.getUint8(o), flags = v.getUint8(o + 1), rows = v.getUint16(o + 2, true), cols = v.getUint16(o + 4, true);
    const f = [8, 12, 16, 20].map((k) => v.getUint32(o + k, true)) as [number, number, number, number];
    const reads = new Set<number>(), writes = new Set<number>();
    const span = (set: Set<number>, addr: number, stride: number, n: number, len: number): void => { for (let r = 0; r < n; r++) for (let b = 0; b < len; b++) set.add(addr + r * stride + b); };
    if (op === OP.LOAD) span(reads, f[1], f[2], rows, cols);
    else if (op === OP.LOAD_IM2COL) {
      const { geo, desc } = readGatherDescriptor(new DataView(dram.buffer), f[1]);
      span(reads, f[1], 0, 1, 4 * 16);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) { const at = im2colSource(geo, f[2] + r, f[3] + c); if (at >= 0) reads.add(desc.x + at); }
    } else if (op === OP.PRELOAD && !(flags & PRELOAD_ZERO)) span(reads, f[1], f[2], rows, flags & PRELOAD_BROADCAST ? 4 : 4 * cols);
    else if (op === OP.STORE) {
      const raw = (flags & STORE_RAW32) !== 0;
      span(writes, f[1], f[2], rows, raw ? 4 * cols : cols);
      if (!raw) span(reads, f[3], 0, 1, REQUANT_ENTRY_BYTES * (flags & STORE_PER_ROW ? rows : 1));
    }
    out.push({ reads, writes });
  }
  return out;
}

const overlaps = (a: Set<number>, b: Set<number>): boolean => { for (const x of a) if (b.has(x)) return true; return false; };
const workersOf = (m: number): number[] => [0, 1, 2, 3].filter((w) => (m >> w) & 1);

function expectSound(p: TileProgram, part: Partition): void {
  const v = new DataView(p.code.buffer, p.code.byteOffset, p.code.byteLength);
  const acc = accesses(p), n = p.code.length / INSTRUCTION_BYTES, segments = n === 0 ? 0 : part.segmentOf[n - 1]! + 1;
  // Every instruction somewhere; accumulator instructions exactly once.
  for (let i = 0; i < n; i++) {
    const op = v.getUint8(i * INSTRUCTION_BYTES), ws = workersOf(part.mask[i]!);
    expect(ws.length).toBeGreaterThan(0);
    if (op === OP.MATMUL || op === OP.PRELOAD || op === OP.STORE || op === OP.HOST) expect(ws.length).toBe(1);
  }
  // Each worker's list is its mask, in program order, and segments are nondecreasing.
  expect(part.mask.length).toBe(n);
  for (let w = 0; w < part.order.length; w++) {
    expect([...part.order[w]!]).toEqual([...Array(n).keys()].filter((i) => (part.mask[i]! >> w) & 1));
    const ends = part.segmentEnds[w]!;
    expect(ends.length).toBe(segments);
    for (let s = 0; s < segments; s++) {
      const from = s === 0 ? 0 : ends[s - 1]!;
      for (let k = from; k < ends[s]!; k++) expect(part.segmentOf[part.order[w]![k]!]).toBe(s);
    }
    expect(ends[segments - 1] ?? 0).toBe(part.order[w]!.length);
  }
  for (let i = 1; i < n; i++) expect(part.segmentOf[i]).toBeGreaterThanOrEqual(part.segmentOf[i - 1]!);
  // No race inside a segment.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n && part.segmentOf[j] === part.segmentOf[i]; j++) {
      const mi = part.mask[i]!, mj = part.mask[j]!;
      const differ = workersOf(mi).some((a) => workersOf(mj).some((b) => a !== b));
      if (!differ) continue;
      const race = overlaps(acc[i]!.writes, acc[j]!.reads) || overlaps(acc[i]!.writes, acc[j]!.writes) || overlaps(acc[i]!.reads, acc[j]!.writes);
      expect(race, `instructions ${i} and ${j} race in segment ${part.segmentOf[i]}`).toBe(false);
    }
  }
  // A MATMUL's worker ran the last load of each operand slot.
  const lastLoad = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const o = i * INSTRUCTION_BYTES, op = v.getUint8(o);
    if (op === OP.LOAD || op === OP.LOAD_IM2COL) lastLoad.set(v.getUint32(o + 8, true), i);
    if (op !== OP.MATMUL) continue;
    for (const slot of [v.getUint32(o + 12, true), v.getUint32(o + 16, true)]) {
      const l = lastLoad.get(slot);
      if (l !== undefined) expect(part.mask[l]! & part.mask[i]!).toBe(part.mask[i]);
    }
  }
}

/**
 * Runs the partition in this thread: per segment, the workers' instructions interleaved in a seeded random
 * order, each worker on its own machine (own scratchpad and accumulator) over one DRAM.
 */
function runInterleaved(p: TileProgram, part: Partition, seed: number): { dram: Uint8Array; counters: unknown } {
  // Each worker's machine runs the program of its own instructions (as ParallelProgramRunner's do).
  const t = p.target.tile, shares = part.order.map((_, w) => shareOf(p, part, w));
  let base = p.dramBytes;
  const regions = shares.map((sh) => {
    const r = { base, ...privateSizes(sh.program), tables: gatherTables(sh.program) };
    base = WasmTileMemory.regionEnd(t, base, r.spadBytes, r.accWords, r.tables, sh.program.code);
    return r;
  });
  const memory = new WebAssembly.Memory({ initial: Math.ceil(base / 65536), maximum: Math.ceil(base / 65536), shared: true });
  const module = sharedKernelModule(65536);
  const machines = shares.map((sh, w) => {
    const r = regions[w]!;
    return new TileMachine(sh.program, { memory: WasmTileMemory.createIn(memory, module, t, p.dramBytes, r.base, r.spadBytes, r.accWords, r.tables, sh.program.code) });
  });
  machines[0]!.reset(); // every machine reset DRAM when built; the last one built was not machine 0
  const dynamic = new Float64Array(part.dynamicLength);
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
  const at = new Array<number>(part.order.length).fill(0);
  for (let seg = 0; seg < (part.segmentEnds[0]?.length ?? 0); seg++) {
    for (;;) {
      const ready = [...at.keys()].filter((w) => at[w]! < part.segmentEnds[w]![seg]!);
      if (ready.length === 0) break;
      // One instruction, or (one time in four) the rest of the worker's segment at once (WebAssembly blocks).
      const w = ready[next() % ready.length]!, end = next() % 4 === 0 ? part.segmentEnds[w]![seg]! : at[w]! + 1;
      machines[w]!.runRange(at[w]!, end, dynamic, shares[w]!.dynamicAt);
      at[w] = end;
    }
  }
  return { dram: machines[0]!.dram.slice(), counters: new TileMachine(p).countersOf(dynamic) };
}

function sequential(p: TileProgram): { dram: Uint8Array; counters: unknown } {
  const m = new TileMachine(p, { kernels: 'ts' });
  const counters = m.run();
  return { dram: m.dram.slice(), counters };
}

/** Whether the sequential machine runs `p` without a fault (random programs may fault; the runner's fault test covers those). */
function runs(p: TileProgram): boolean {
  try { new TileMachine(p).run(); return true; } catch { return false; }
}

describe('partitionProgram', () => {
  it('is sound on seeded random programs, for 2 to 4 workers', () => {
    fc.assert(fc.property(cases, fc.integer({ min: 2, max: 4 }), (k: RandomCase, workers) => {
      const p = randomProgram(k), part = partitionProgram(p, workers);
      expect(part).toBeDefined();
      expect(part!.order).toHaveLength(workers);
      expectSound(p, part!);
    }), { seed: 0x9a7, numRuns: 120 });
  });

  it('interleaved workers leave the sequential DRAM and counters', () => {
    let ran = 0;
    fc.assert(fc.property(cases, fc.integer({ min: 2, max: 3 }), fc.integer(), (k: RandomCase, workers, order) => {
      const p = randomProgram(k);
      if (!runs(p)) return;
      ran++;
      const got = runInterleaved(p, partitionProgram(p, workers)!, order), want = sequential(p);
      expect(Buffer.from(got.dram).equals(Buffer.from(want.dram))).toBe(true);
      expect(got.counters).toEqual(want.counters);
    }), { seed: 0x51de, numRuns: 150 });
    expect(ran).toBeGreaterThan(50);
  });

  it('splits the work: both workers get MATMULs, and the partition is cached per program', () => {
    const p = randomProgram({ tile: 4, seed: 11, ops: 200 });
    const part = partitionProgram(p, 2)!;
    expect(partitionProgram(p, 2)).toBe(part);
    const v = new DataView(p.code.buffer, p.code.byteOffset);
    const matmuls = [0, 1].map((w) => [...part.order[w]!].filter((i) => v.getUint8(i * INSTRUCTION_BYTES) === OP.MATMUL).length);
    expect(Math.min(...matmuls)).toBeGreaterThan(0);
  });

  it('keeps a non-accumulating MATMUL on its chain when a later STORE reads beyond what it writes', () => {
    // acc 0: a heavy chain, then a 1×1 non-accumulating MATMUL and a 4×4 STORE that still reads the chain's
    // other 15 sums: one chain, one worker (balancing alone would send the small part to the idle worker).
    const base = randomProgram({ tile: 4, seed: 1, ops: 1 });
    const c = new CodeBuilder();
    c.load(0, 0, 4, 4, 4);
    c.preload(0, 'zero', 0, 0, 4, 4);
    for (let i = 0; i < 10; i++) c.matmul(0, 0, 0, 4, 4, 4, true);
    c.matmul(0, 0, 0, 1, 1, 4, false);
    c.store(0, base.dramBytes - 64, 16, 4, 4, 'raw32', 0, false, 0, 0);
    const p = { ...base, code: c.bytes() }, part = partitionProgram(p, 2)!;
    expect(part.mask[12]).toBe(part.mask[1]);
    expect(part.mask[13]).toBe(part.mask[1]);
    const got = runInterleaved(p, part, 1), want = sequential(p);
    expect(Buffer.from(got.dram).equals(Buffer.from(want.dram))).toBe(true);
  });

  it('gives no partition to a program naming a slot beyond the target (it faults; the runner runs it sequentially)', () => {
    const p = randomProgram({ tile: 4, seed: 3, ops: 10 });
    const code = p.code.slice();
    new DataView(code.buffer).setUint32(8, 1000, true); // the first instruction's slot
    expect(partitionProgram({ ...p, code }, 2)).toBeUndefined();
  });
});
