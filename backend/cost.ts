import type { Target } from './target.js';
import { fail, invariant } from '../ir/errors.js';
import type { GatherFootprint } from './gather.js';
import { INSTRUCTION_BYTES, REQUANT_ENTRY_BYTES, decodeInstruction, type Instruction, type PreloadSource, type StoreMode, type TileSink } from './isa.js';

// The cost model of docs/isa.md ("Cost model"), the one definition used by the tiler to choose a schedule and
// by the tile machine to report cycles. Three in-order queues (load: LOAD/PRELOAD, compute: MATMUL,
// store: STORE) run concurrently; an instruction starts when its queue is free and when every earlier
// instruction of another queue it conflicts with (read-after-write, write-after-read, write-after-write on a
// scratchpad slot, an accumulator slot or a DRAM page) has finished. Within one queue, order is enough:
// a queue is a pipeline, so back-to-back MATMULs into one accumulator tile do not wait for each other.
// FENCE and HOST wait for everything before them and hold everything after.

/** DRAM hazards are tracked per page of this many bytes (conservative: a shared page is a conflict). */
export const DRAM_PAGE_BYTES = 1024;

const LOADQ = 0, COMPUTEQ = 1, STOREQ = 2;

export interface CostCounters {
  instructions: number;
  loads: number;
  preloads: number;
  /** MATMUL instructions: tile ops. */
  matmuls: number;
  stores: number;
  fences: number;
  hostOps: number;
  /** Useful multiply-accumulates: Σ m·n·k over MATMULs (tile padding not counted). */
  macs: number;
  /** Bytes read from DRAM by LOAD, LOAD_IM2COL (distinct input bytes gathered) and PRELOAD. */
  loadBytes: number;
  /** Bytes written to DRAM by STORE. */
  storeBytes: number;
  /** Requantization-table bytes read from DRAM by STORE. */
  tableBytes: number;
  /** Modeled cycles from the first instruction's start to the last one's completion. */
  cycles: number;
  /** Cycles each queue was occupied (transfer or issue time, latencies excluded). */
  busy: { load: number; compute: number; store: number };
}

/** Cycles of a perfect machine: every MAC slot of the t×t array used every cycle. */
export const idealCycles = (macs: number, tile: number): number => Math.ceil(macs / (tile * tile));

/** DRAM bytes a program moves, as reports count them. */
export const dramBytes = (c: CostCounters): number => c.loadBytes + c.storeBytes + c.tableBytes;

/** Entries per dirty-block of a Scoreboard: reset() clears only blocks that were written. */
const BLOCK_SHIFT = 6;

/**
 * Last-writer / last-reader completion times of one resource space (slots or DRAM pages). Every entry starts
 * at 0, which needs no "no writer yet" marker: a last writer that finished at 0 delays nothing, whichever
 * queue it was on.
 */
class Scoreboard {
  // Read directly by CostModel (the hot paths) after ensure().
  writeDone: Float64Array = new Float64Array(64);
  writeQueue: Int8Array = new Int8Array(64);
  read0: Float64Array = new Float64Array(64);
  read1: Float64Array = new Float64Array(64);
  read2: Float64Array = new Float64Array(64);
  /** One flag per 2^BLOCK_SHIFT entries: set when an entry of the block may be non-zero. */
  dirty: Uint8Array = new Uint8Array(1);

  ensure(i: number): void {
    if (i >= this.writeDone.length) this.grow(i);
  }

  private grow(i: number): void {
    let size = this.writeDone.length * 2;
    while (size <= i) size *= 2;
    const f64 = (a: Float64Array): Float64Array => { const b = new Float64Array(size); b.set(a); return b; };
    this.writeDone = f64(this.writeDone);
    this.read0 = f64(this.read0);
    this.read1 = f64(this.read1);
    this.read2 = f64(this.read2);
    const q = new Int8Array(size); q.set(this.writeQueue); this.writeQueue = q;
    const d = new Uint8Array(size >> BLOCK_SHIFT); d.set(this.dirty); this.dirty = d;
  }

  readArray(q: number): Float64Array {
    return q === 0 ? this.read0 : q === 1 ? this.read1 : this.read2;
  }

  /** Marks the entries first..last (within size) as possibly non-zero. */
  touch(first: number, last: number): void {
    const dirty = this.dirty;
    for (let b = first >> BLOCK_SHIFT, e = last >> BLOCK_SHIFT; b <= e; b++) dirty[b] = 1;
  }

  /** Every entry back to 0, clearing only the blocks touched since the last reset. */
  reset(): void {
    const dirty = this.dirty, n = 1 << BLOCK_SHIFT;
    for (let b = 0; b < dirty.length; b++) {
      if (dirty[b] === 0) continue;
      const lo = b << BLOCK_SHIFT, hi = lo + n;
      this.writeDone.fill(0, lo, hi); this.writeQueue.fill(0, lo, hi);
      this.read0.fill(0, lo, hi); this.read1.fill(0, lo, hi); this.read2.fill(0, lo, hi);
      dirty[b] = 0;
    }
  }

  /** Earliest start for queue q to read resource i (after its last writer in another queue). */
  readReady(i: number, q: number): number {
    this.ensure(i);
    return this.writeQueue[i] !== q ? this.writeDone[i]! : 0;
  }

  /** Earliest start for queue q to write resource i (after its last writer and readers in other queues). */
  writeReady(i: number, q: number): number {
    this.ensure(i);
    let t = this.writeQueue[i] !== q ? this.writeDone[i]! : 0;
    if (q !== 0 && this.read0[i]! > t) t = this.read0[i]!;
    if (q !== 1 && this.read1[i]! > t) t = this.read1[i]!;
    if (q !== 2 && this.read2[i]! > t) t = this.read2[i]!;
    return t;
  }

  markRead(i: number, q: number, done: number): void {
    this.ensure(i);
    const rd = this.readArray(q);
    if (done > rd[i]!) rd[i] = done;
    this.dirty[i >> BLOCK_SHIFT] = 1;
  }

  markWrite(i: number, q: number, done: number): void {
    this.ensure(i);
    this.writeDone[i] = done;
    this.writeQueue[i] = q;
    this.dirty[i >> BLOCK_SHIFT] = 1;
  }
}

const READ_READY = 0, WRITE_READY = 1, MARK_READ = 2, MARK_WRITE = 3;

/** Thrown by a CostModel given an instruction limit, at the first instruction beyond it. */
export const INSTRUCTION_LIMIT = Symbol('instruction limit');

const freshCounters = (): CostCounters => ({
  instructions: 0, loads: 0, preloads: 0, matmuls: 0, stores: 0, fences: 0, hostOps: 0,
  macs: 0, loadBytes: 0, storeBytes: 0, tableBytes: 0, cycles: 0, busy: { load: 0, compute: 0, store: 0 },
});

/**
 * Times a stream of tile instructions under a target. Implements TileSink, so the tiler can time a schedule
 * without encoding it, and the machine feeds it the instructions it executes.
 */
export class CostModel implements TileSink {
  private readonly spad = new Scoreboard();
  private readonly acc = new Scoreboard();
  private readonly dram = new Scoreboard();
  private readonly queueFree = new Float64Array(3);
  private end = 0;
  private readonly tile: number;
  private readonly bandwidth: number;
  private readonly latency: Float64Array;
  private readonly computeLatency: number;
  /** Scratchpad slot of the A tile held in the array by the last MATMUL (-1: none yet). */
  private stationaryA = -1;
  private c: CostCounters = freshCounters();
  private limit = Infinity;
  /** DRAM hazards are tracked for the bytes trackFirst..trackLast and trackFirst2..trackLast2 only (trackOnly). */
  private trackFirst = 0;
  private trackLast = Infinity;
  private trackFirst2 = Infinity;
  private trackLast2 = -Infinity;

  constructor(readonly target: Target) {
    this.tile = target.tile;
    this.bandwidth = target.dramBytesPerCycle;
    this.latency = Float64Array.of(target.latency.load, target.latency.matmul, target.latency.store);
    this.computeLatency = this.latency[COMPUTEQ]!;
  }

  /** The counters so far (reset() starts a new object; one already handed out keeps its values). */
  get counters(): CostCounters { return this.c; }

  /**
   * Back to the state of a new CostModel of the same target, keeping the scoreboards' memory: the tiler
   * times thousands of schedules, and a fresh DRAM scoreboard spanning a large model's pages costs more to
   * allocate than a short timing does to run.
   */
  reset(): void {
    this.spad.reset(); this.acc.reset(); this.dram.reset();
    this.queueFree.fill(0);
    this.end = 0;
    this.stationaryA = -1;
    this.c = freshCounters();
    this.limit = Infinity;
    this.trackFirst = 0;
    this.trackLast = Infinity;
    this.trackFirst2 = Infinity;
    this.trackLast2 = -Infinity;
  }

  /** From now on, an instruction after the first `count` throws INSTRUCTION_LIMIT (timing a prefix). */
  limitInstructions(count: number): void {
    this.limit = count;
  }

  /**
   * Tracks DRAM hazards only for accesses touching the given byte ranges (one or two, whole pages). Exact
   * when every STORE writes inside one of them: a page nothing writes never delays a read, and its readers
   * never delay a write. Then reads elsewhere (the operands of a GEMM timed alone) cost no scoreboard work.
   * A STORE outside the ranges is a tilec bug (invariant).
   */
  trackOnly(ranges: readonly (readonly [first: number, last: number])[]): void {
    invariant(ranges.length >= 1 && ranges.length <= 2, `cost model: ${ranges.length} tracked DRAM ranges, expected 1 or 2`);
    for (const [first, last] of ranges) {
      invariant(first % DRAM_PAGE_BYTES === 0 && (last + 1) % DRAM_PAGE_BYTES === 0, `cost model: tracked DRAM range ${first}..${last} is not whole pages`);
    }
    [this.trackFirst, this.trackLast] = ranges[0]!;
    [this.trackFirst2, this.trackLast2] = ranges[1] ?? [Infinity, -Infinity];
  }

  /** Counts one instruction, or throws INSTRUCTION_LIMIT when the limit is reached. */
  private count(): CostCounters {
    const c = this.c;
    if (c.instructions >= this.limit) throw INSTRUCTION_LIMIT;
    c.instructions++;
    return c;
  }

  /** True when bytes first..last touch a tracked range. */
  private tracked(first: number, last: number): boolean {
    return (last >= this.trackFirst && first <= this.trackLast) || (last >= this.trackFirst2 && first <= this.trackLast2);
  }

  /** Cycles a queue is occupied moving `bytes` (at least one cycle per instruction). */
  private transfer(bytes: number): number {
    return Math.max(1, Math.ceil(bytes / this.bandwidth));
  }

  load(spad: number, dram: number, stride: number, rows: number, cols: number): void {
    const c = this.count();
    c.loads++; c.loadBytes += rows * cols;
    let ready = Math.max(this.queueFree[LOADQ]!, this.spad.writeReady(spad, LOADQ));
    ready = Math.max(ready, this.dramSpan(dram, stride, rows, cols, LOADQ, READ_READY, 0));
    const done = this.issue(LOADQ, ready, this.transfer(rows * cols));
    this.spad.markWrite(spad, LOADQ, done);
    if (spad === this.stationaryA) this.stationaryA = -1;
    this.dramSpan(dram, stride, rows, cols, LOADQ, MARK_READ, done);
  }

  /**
   * A gathering load: on the load queue like LOAD, counted as a load, charged the distinct input bytes it
   * reads (`f.bytes`; padding taps cost nothing), and conflicting with the DRAM pages of [f.first, f.last].
   */
  loadIm2col(spad: number, _desc: number, _row0: number, _col0: number, _rows: number, _cols: number, f: GatherFootprint): void {
    const c = this.count();
    c.loads++; c.loadBytes += f.bytes;
    const dram = f.bytes > 0 && this.tracked(f.first, f.last);
    let ready = Math.max(this.queueFree[LOADQ]!, this.spad.writeReady(spad, LOADQ));
    if (dram) ready = Math.max(ready, this.pages(f.first, f.last, LOADQ, READ_READY, 0));
    const done = this.issue(LOADQ, ready, this.transfer(f.bytes));
    this.spad.markWrite(spad, LOADQ, done);
    if (spad === this.stationaryA) this.stationaryA = -1;
    if (dram) this.pages(f.first, f.last, LOADQ, MARK_READ, done);
  }

  preload(acc: number, source: PreloadSource, dram: number, stride: number, rows: number, cols: number): void {
    const c = this.count();
    const rowBytes = source === 'tile' ? cols * 4 : 4;
    const bytes = source === 'zero' ? 0 : rows * rowBytes;
    c.preloads++; c.loadBytes += bytes;
    let ready = Math.max(this.queueFree[LOADQ]!, this.acc.writeReady(acc, LOADQ));
    if (source !== 'zero') ready = Math.max(ready, this.dramSpan(dram, stride, rows, rowBytes, LOADQ, READ_READY, 0));
    const done = this.issue(LOADQ, ready, this.transfer(bytes));
    this.acc.markWrite(acc, LOADQ, done);
    if (source !== 'zero') this.dramSpan(dram, stride, rows, rowBytes, LOADQ, MARK_READ, done);
  }

  matmul(acc: number, a: number, b: number, m: number, n: number, k: number, accumulate: boolean): void {
    const c = this.c;
    if (c.instructions >= this.limit) throw INSTRUCTION_LIMIT;
    c.instructions++; c.matmuls++; c.macs += m * n * k;
    // The hottest instruction of a timing: the slot scoreboard steps written out (readReady of a and b,
    // writeReady of acc, then the marks), with the same results.
    const sp = this.spad, ac = this.acc;
    sp.ensure(a > b ? a : b);
    ac.ensure(acc);
    const spDone = sp.writeDone, spQueue = sp.writeQueue;
    let ready = this.queueFree[COMPUTEQ]!;
    if (spQueue[a] !== COMPUTEQ && spDone[a]! > ready) ready = spDone[a]!;
    if (spQueue[b] !== COMPUTEQ && spDone[b]! > ready) ready = spDone[b]!;
    // writeReady covers the read of an accumulating MATMUL too (it waits for the last writer of another queue).
    const acDone = ac.writeDone, acQueue = ac.writeQueue;
    if (acQueue[acc] !== COMPUTEQ && acDone[acc]! > ready) ready = acDone[acc]!;
    if (ac.read0[acc]! > ready) ready = ac.read0[acc]!;
    if (ac.read2[acc]! > ready) ready = ac.read2[acc]!;
    // The array holds the A tile (weights) and streams B's n columns through it, one per cycle; shifting in
    // a different A tile takes t cycles, overlapped with that MATMUL's own streaming (docs/isa.md §6).
    const occupancy = a === this.stationaryA ? n : Math.max(n, this.tile);
    this.stationaryA = a;
    // issue() on the compute queue, written out.
    const free = ready + occupancy;
    this.queueFree[COMPUTEQ] = free;
    const done = free + this.computeLatency;
    if (done > this.end) { this.end = done; c.cycles = done; }
    c.busy.compute += occupancy;
    const spRead = sp.read1;
    if (done > spRead[a]!) spRead[a] = done;
    if (done > spRead[b]!) spRead[b] = done;
    if (accumulate && done > ac.read1[acc]!) ac.read1[acc] = done;
    acDone[acc] = done;
    acQueue[acc] = COMPUTEQ;
    sp.dirty[a >> BLOCK_SHIFT] = 1; sp.dirty[b >> BLOCK_SHIFT] = 1; ac.dirty[acc >> BLOCK_SHIFT] = 1;
  }

  store(acc: number, dram: number, stride: number, rows: number, cols: number, mode: StoreMode, table: number, perRow: boolean, _qmin: number, _qmax: number): void {
    const c = this.count();
    const rowBytes = mode === 'raw32' ? cols * 4 : cols;
    const tableBytes = mode === 'raw32' ? 0 : (perRow ? rows : 1) * REQUANT_ENTRY_BYTES;
    const last = dram + (rows - 1) * stride + rowBytes - 1;
    if ((dram < this.trackFirst || last > this.trackLast) && (dram < this.trackFirst2 || last > this.trackLast2)) {
      invariant(false, `cost model: STORE to ${dram}..${last} outside the tracked DRAM ranges`);
    }
    c.stores++; c.storeBytes += rows * rowBytes; c.tableBytes += tableBytes;
    let ready = Math.max(this.queueFree[STOREQ]!, this.acc.readReady(acc, STOREQ));
    ready = Math.max(ready, this.dramSpan(dram, stride, rows, rowBytes, STOREQ, WRITE_READY, 0));
    const readsTable = tableBytes > 0 && this.tracked(table, table + tableBytes - 1);
    if (readsTable) ready = Math.max(ready, this.pages(table, table + tableBytes - 1, STOREQ, READ_READY, 0));
    const done = this.issue(STOREQ, ready, this.transfer(rows * rowBytes + tableBytes));
    this.acc.markRead(acc, STOREQ, done);
    this.dramSpan(dram, stride, rows, rowBytes, STOREQ, MARK_WRITE, done);
    if (readsTable) this.pages(table, table + tableBytes - 1, STOREQ, MARK_READ, done);
  }

  fence(): void {
    this.count().fences++;
    this.barrier(this.end);
  }

  /** A host operation: waits for everything, runs for `cycles`, and holds everything after it. */
  host(cycles: number): void {
    this.count().hostOps++;
    const done = this.end + cycles;
    this.end = done;
    this.c.cycles = done;
    this.barrier(done);
  }

  private barrier(t: number): void {
    for (let q = 0; q < 3; q++) if (this.queueFree[q]! < t) this.queueFree[q] = t;
  }

  /** Starts an instruction on queue q at `ready`, occupying it `occupancy` cycles; returns its completion. */
  private issue(q: number, ready: number, occupancy: number): number {
    const free = ready + occupancy;
    this.queueFree[q] = free;
    const done = free + this.latency[q]!;
    const c = this.c;
    if (done > this.end) { this.end = done; c.cycles = done; }
    const busy = c.busy;
    if (q === LOADQ) busy.load += occupancy; else if (q === COMPUTEQ) busy.compute += occupancy; else busy.store += occupancy;
    return done;
  }

  /**
   * Applies one scoreboard action to every DRAM page of a strided access (rows of rowBytes, stride apart).
   * Rows closer than a page are covered as one span. Returns the latest ready time for the *_READY actions.
   */
  private dramSpan(addr: number, stride: number, rows: number, rowBytes: number, q: number, action: number, done: number): number {
    if (!this.tracked(addr, addr + (rows - 1) * stride + rowBytes - 1)) return 0;
    // Row starts run upward (stride >= 0), so rows closer than a page form one span [addr, last row's end).
    if (rows === 1 || stride <= DRAM_PAGE_BYTES) return this.pages(addr, addr + (rows - 1) * stride + rowBytes - 1, q, action, done);
    // Rows a page or more apart: each row's own pages (no page is shared by two rows' spans in between).
    // The same per-page work as pages(), with the action chosen once for all rows.
    const sb = this.dram;
    sb.ensure(Math.floor((addr + (rows - 1) * stride + rowBytes - 1) / DRAM_PAGE_BYTES));
    const writeDone = sb.writeDone, writeQueue = sb.writeQueue;
    if (action === MARK_WRITE || action === MARK_READ) {
      const rd = sb.readArray(q);
      for (let r = 0, a = addr; r < rows; r++, a += stride) {
        const p0 = Math.floor(a / DRAM_PAGE_BYTES), p1 = Math.floor((a + rowBytes - 1) / DRAM_PAGE_BYTES);
        if (action === MARK_WRITE) for (let p = p0; p <= p1; p++) { writeDone[p] = done; writeQueue[p] = q; }
        else for (let p = p0; p <= p1; p++) if (done > rd[p]!) rd[p] = done;
        sb.touch(p0, p1);
      }
      return 0;
    }
    const r0 = q === 0 ? sb.read1 : sb.read0, r1 = q === 2 ? sb.read1 : sb.read2;
    let t = 0;
    for (let r = 0, a = addr; r < rows; r++, a += stride) {
      const p0 = Math.floor(a / DRAM_PAGE_BYTES), p1 = Math.floor((a + rowBytes - 1) / DRAM_PAGE_BYTES);
      for (let p = p0; p <= p1; p++) {
        if (writeQueue[p] !== q && writeDone[p]! > t) t = writeDone[p]!;
        // WRITE_READY also waits for the last readers of the two other queues.
        if (action === WRITE_READY) {
          if (r0[p]! > t) t = r0[p]!;
          if (r1[p]! > t) t = r1[p]!;
        }
      }
    }
    return t;
  }

  private pages(first: number, last: number, q: number, action: number, done: number): number {
    const p0 = Math.floor(first / DRAM_PAGE_BYTES), p1 = Math.floor(last / DRAM_PAGE_BYTES);
    const sb = this.dram;
    // The hot path of timing a schedule: one bounds check for the range, then straight typed-array loops.
    sb.ensure(p1);
    if (action === MARK_WRITE) {
      const writeDone = sb.writeDone, writeQueue = sb.writeQueue;
      for (let p = p0; p <= p1; p++) { writeDone[p] = done; writeQueue[p] = q; }
      sb.touch(p0, p1);
      return 0;
    }
    if (action === MARK_READ) {
      const rd = sb.readArray(q);
      for (let p = p0; p <= p1; p++) if (done > rd[p]!) rd[p] = done;
      sb.touch(p0, p1);
      return 0;
    }
    const writeDone = sb.writeDone, writeQueue = sb.writeQueue;
    let t = 0;
    for (let p = p0; p <= p1; p++) if (writeQueue[p] !== q && writeDone[p]! > t) t = writeDone[p]!;
    if (action === WRITE_READY) {
      for (let r = 0; r < 3; r++) {
        if (r === q) continue;
        const rd = sb.readArray(r);
        for (let p = p0; p <= p1; p++) if (rd[p]! > t) t = rd[p]!;
      }
    }
    return t;
  }
}

/**
 * Counts the DRAM bytes a stream of tile instructions moves (dramBytes of a CostModel's counters), without
 * timing it: what a report needs of a schedule it does not time.
 */
export class DramByteCounter implements TileSink {
  bytes = 0;
  load(_spad: number, _dram: number, _stride: number, rows: number, cols: number): void { this.bytes += rows * cols; }
  loadIm2col(_spad: number, _desc: number, _row0: number, _col0: number, _rows: number, _cols: number, f: GatherFootprint): void { this.bytes += f.bytes; }
  preload(_acc: number, source: PreloadSource, _dram: number, _stride: number, rows: number, cols: number): void {
    this.bytes += source === 'zero' ? 0 : rows * (source === 'tile' ? cols * 4 : 4);
  }
  matmul(): void {}
  store(_acc: number, _dram: number, _stride: number, rows: number, cols: number, mode: StoreMode, _table: number, perRow: boolean): void {
    this.bytes += mode === 'raw32' ? rows * cols * 4 : rows * cols + (perRow ? rows : 1) * REQUANT_ENTRY_BYTES;
  }
  fence(): void {}
}

/**
 * Times a whole code section (decoding every word); HOST instructions are charged `hostCycles(fn)`, and a
 * LOAD_IM2COL the footprint `gather` gives (it depends on the descriptor in DRAM; without it, an error).
 */
export function costOfCode(code: Uint8Array, target: Target, hostCycles: (fn: number) => number = () => 0,
  gather?: (ins: Extract<Instruction, { op: 'LOAD_IM2COL' }>) => GatherFootprint): CostCounters {
  const model = new CostModel(target);
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  for (let o = 0; o < code.length; o += INSTRUCTION_BYTES) {
    const ins = decodeInstruction(view, o, 'instruction ', o / INSTRUCTION_BYTES);
    switch (ins.op) {
      case 'LOAD': model.load(ins.spad, ins.dram, ins.stride, ins.rows, ins.cols); break;
      case 'PRELOAD': model.preload(ins.acc, ins.source, ins.dram, ins.stride, ins.rows, ins.cols); break;
      case 'MATMUL': model.matmul(ins.acc, ins.a, ins.b, ins.m, ins.n, ins.k, ins.accumulate); break;
      case 'STORE': model.store(ins.acc, ins.dram, ins.stride, ins.rows, ins.cols, ins.mode, ins.table, ins.perRow, ins.qmin, ins.qmax); break;
      case 'FENCE': model.fence(); break;
      case 'HOST': model.host(hostCycles(ins.fn)); break;
      case 'LOAD_IM2COL':
        if (!gather) fail(`instruction ${o / INSTRUCTION_BYTES} (LOAD_IM2COL): its cost depends on the gather descriptor in DRAM; time the program on the tile machine`);
        model.loadIm2col(ins.spad, ins.desc, ins.row0, ins.col0, ins.rows, ins.cols, gather(ins));
        break;
    }
  }
  return model.counters;
}
