import { INSTRUCTION_BYTES, MATMUL_ACCUMULATE, OP, PRELOAD_BROADCAST, PRELOAD_ZERO, REQUANT_ENTRY_BYTES, STORE_PER_ROW, STORE_RAW32 } from '../../../backend/isa.js';
import { decodeHostOperands, hostOpOfFn, type TensorRef } from '../../../backend/host-ops.js';
import { gatherDescriptorBytes, readGatherDescriptor } from '../../../backend/gather.js';
import { dtypeBytes, type TileProgram } from '../../../backend/program.js';
import { accumulatorSlots, scratchpadSlots } from '../../../backend/target.js';
import { slotsUsed } from '../machine.js';
import { im2colTileSources } from '../../../ir/im2col.js';
import { invariant } from '../../../ir/errors.js';
import { numel } from '../../../ir/tensor.js';

// A static split of one tile program over W workers that each run a tile machine with their own scratchpad
// and accumulator on one shared DRAM (docs/isa.md, "The golden runtime on two threads"). It is a pure function
// of the program, computed once:
// - chains: every accumulator slot's instructions from a PRELOAD (or a non-accumulating MATMUL writing every
//   element a later instruction reads before the slot is redefined) up to the next such start. A chain — its
//   PRELOAD, MATMULs and STOREs — runs on one worker, so each worker's accumulator holds exactly what the
//   sequential machine's does wherever it is read;
// - a LOAD or LOAD_IM2COL runs on every worker whose MATMULs read what it wrote (the scratchpad slot's last
//   writer in program order), so each worker's scratchpad is right wherever read; a load nobody reads runs on
//   worker 0 (its faults and footprint still count);
// - segments: workers run a segment's instructions concurrently and meet at a barrier after it. A segment is
//   closed before any instruction that touches DRAM bytes another worker wrote, or writes bytes another worker
//   read or wrote, in the current segment (exact byte sets from the instruction fields; a gather's sources
//   from its descriptor, which must be constant bytes — else the gather gets a segment of its own). HOST ops
//   run on worker 0 in a segment of their own.
// Chains go to workers greedily by estimated time (kernel work plus loads the worker would add), so every
// stretch of the program is split about evenly; a chain that preloads partial sums another chain spilled
// stays on that chain's worker. Programs naming a slot beyond the target's capacity get no partition (they
// fault; the caller runs them sequentially for the exact error).

export interface Partition {
  /** Per worker, the instructions it executes, ascending. */
  readonly order: readonly Int32Array[];
  /** Per worker, the end (exclusive) in order[w] of each segment (every worker has one per segment). */
  readonly segmentEnds: readonly Int32Array[];
  /** Per instruction: bit w set when worker w executes it. */
  readonly mask: Uint8Array;
  /** Per instruction: its segment. */
  readonly segmentOf: Int32Array;
  /** Per instruction: where run()'s trace holds its footprint (LOAD_IM2COL, 3 values) or cycles (HOST, 1); -1 for others. */
  readonly dynamicAt: Int32Array;
  readonly dynamicLength: number;
}

/** Partitions are computed once per program object. */
const cache = new WeakMap<TileProgram, Map<number, Partition | undefined>>();

/** DRAM bytes the hazard analysis tracks (one byte of state per DRAM byte); beyond it programs run sequentially. */
const MAX_ANALYSED_DRAM = 2 ** 30;

/** The partition of `program` over `workers` (2..4) workers, or undefined when it must run sequentially. */
export function partitionProgram(program: TileProgram, workers: number): Partition | undefined {
  invariant(workers >= 2 && workers <= 4, `workers ${workers} outside 2..4`);
  let byCount = cache.get(program);
  if (byCount === undefined) cache.set(program, byCount = new Map());
  if (!byCount.has(workers)) byCount.set(workers, computePartition(program, workers));
  return byCount.get(workers);
}

/** Decoded fields of every instruction. */
export interface Code {
  readonly count: number;
  readonly op: Uint8Array;
  readonly flags: Uint8Array;
  readonly rows: Uint16Array;
  readonly cols: Uint16Array;
  readonly aux: Uint16Array;
  readonly f: Uint32Array; // 4 per instruction
}

export function decode(code: Uint8Array): Code {
  const count = code.length / INSTRUCTION_BYTES, v = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const c: Code = { count, op: new Uint8Array(count), flags: new Uint8Array(count), rows: new Uint16Array(count), cols: new Uint16Array(count), aux: new Uint16Array(count), f: new Uint32Array(4 * count) };
  for (let i = 0, o = 0; i < count; i++, o += INSTRUCTION_BYTES) {
    c.op[i] = v.getUint8(o); c.flags[i] = v.getUint8(o + 1); c.rows[i] = v.getUint16(o + 2, true);
    c.cols[i] = v.getUint16(o + 4, true); c.aux[i] = v.getUint16(o + 6, true);
    for (let k = 0; k < 4; k++) c.f[4 * i + k] = v.getUint32(o + 8 + 4 * k, true);
  }
  return c;
}

/** Estimated time of packing a B tile for MATMUL (the machine keeps it per loaded slot), in cost() units. */
const PACK_COST = 150;

/** Estimated relative time of one instruction on the golden machine (for balancing only). */
function cost(c: Code, i: number): number {
  const r = c.rows[i]!, n = c.cols[i]!;
  switch (c.op[i]) {
    case OP.MATMUL: return 20 + (r * n * c.aux[i]!) / 20;
    case OP.LOAD: return 30 + (r * n) / 16;
    case OP.LOAD_IM2COL: return 50 + r * n;
    case OP.PRELOAD: return 30 + (r * n) / 4;
    case OP.STORE: return 40 + r * n;
    default: return 10;
  }
}

function computePartition(program: TileProgram, workers: number): Partition | undefined {
  const c = decode(program.code), count = c.count;
  if (program.dramBytes > MAX_ANALYSED_DRAM) return undefined;
  const { spad: spadUsed, acc: accUsed } = slotsUsed(program.code);
  if (spadUsed > scratchpadSlots(program.target) || accUsed > accumulatorSlots(program.target)) return undefined;

  const { chainOf, chainCount, matmulLoads } = findChains(c, spadUsed, accUsed);
  const mask = assignWorkers(c, workers, chainOf, chainCount, matmulLoads);
  const segmentOf = placeBarriers(program, c, mask);

  const dynamicAt = new Int32Array(count).fill(-1);
  let dynamicLength = 0;
  for (let i = 0; i < count; i++) {
    if (c.op[i] === OP.LOAD_IM2COL) { dynamicAt[i] = dynamicLength; dynamicLength += 3; }
    else if (c.op[i] === OP.HOST) dynamicAt[i] = dynamicLength++;
  }
  const segments = count === 0 ? 0 : segmentOf[count - 1]! + 1;
  const order: Int32Array[] = [], segmentEnds: Int32Array[] = [];
  for (let w = 0; w < workers; w++) {
    const bit = 1 << w;
    let n = 0;
    for (let i = 0; i < count; i++) if (mask[i]! & bit) n++;
    const list = new Int32Array(n), ends = new Int32Array(segments);
    for (let i = 0, k = 0; i < count; i++) {
      if (mask[i]! & bit) list[k++] = i;
      ends[segmentOf[i]!] = k;
    }
    // A segment without this worker's instructions ends where the previous one did.
    for (let s = 1; s < segments; s++) ends[s] = Math.max(ends[s]!, ends[s - 1]!);
    order.push(list);
    segmentEnds.push(ends);
  }
  return { order, segmentEnds, mask, segmentOf, dynamicAt, dynamicLength };
}

/**
 * Chain of every PRELOAD, MATMUL and STORE (-1 for other instructions), and each MATMUL's two operand loads
 * (the last LOAD or LOAD_IM2COL of its scratchpad slots, -1 when none: the slot still holds its zeros).
 */
function findChains(c: Code, spadUsed: number, accUsed: number): { chainOf: Int32Array; chainCount: number; matmulLoads: Int32Array } {
  const count = c.count;
  // Backward: a chain starts where the slot is fully defined for every later reader until its next start.
  const starts = new Uint8Array(count);
  const needRows = new Uint32Array(accUsed), needCols = new Uint32Array(accUsed);
  for (let i = count - 1; i >= 0; i--) {
    const op = c.op[i]!, s = c.f[4 * i]!;
    if (op === OP.PRELOAD) { starts[i] = 1; needRows[s] = 0; needCols[s] = 0; }
    else if (op === OP.STORE) {
      needRows[s] = Math.max(needRows[s]!, c.rows[i]!); needCols[s] = Math.max(needCols[s]!, c.cols[i]!);
    } else if (op === OP.MATMUL) {
      const m = c.rows[i]!, n = c.cols[i]!;
      if ((c.flags[i]! & MATMUL_ACCUMULATE) !== 0) { needRows[s] = Math.max(needRows[s]!, m); needCols[s] = Math.max(needCols[s]!, n); }
      else if (needRows[s]! <= m && needCols[s]! <= n) { starts[i] = 1; needRows[s] = 0; needCols[s] = 0; }
      // Otherwise elements outside m×n still hold the previous chain's values: the chain goes on.
    }
  }
  const chainOf = new Int32Array(count).fill(-1), matmulLoads = new Int32Array(2 * count).fill(-1);
  const current = new Int32Array(accUsed).fill(-1), lastLoad = new Int32Array(spadUsed).fill(-1);
  let chainCount = 0;
  for (let i = 0; i < count; i++) {
    const op = c.op[i]!, s = c.f[4 * i]!;
    if (op === OP.LOAD || op === OP.LOAD_IM2COL) { lastLoad[s] = i; continue; }
    if (op !== OP.PRELOAD && op !== OP.MATMUL && op !== OP.STORE) continue;
    if (starts[i] || current[s] === -1) current[s] = chainCount++;
    chainOf[i] = current[s]!;
    if (op === OP.MATMUL) {
      matmulLoads[2 * i] = lastLoad[c.f[4 * i + 1]!]!;
      matmulLoads[2 * i + 1] = lastLoad[c.f[4 * i + 2]!]!;
    }
  }
  return { chainOf, chainCount, matmulLoads };
}

/** Per instruction, the workers that execute it (bit mask). */
function assignWorkers(c: Code, workers: number, chainOf: Int32Array, chainCount: number, matmulLoads: Int32Array): Uint8Array {
  const count = c.count;
  // Each chain's cost, first instruction, operand loads (CSR) and the chain whose spilled sums it preloads.
  const chainCost = new Float64Array(chainCount), loadsStart = new Int32Array(chainCount + 1), affinity = new Int32Array(chainCount).fill(-1);
  const spilledBy = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const ch = chainOf[i]!;
    if (ch < 0) continue;
    chainCost[ch] += cost(c, i);
    const op = c.op[i]!;
    if (op === OP.MATMUL) loadsStart[ch + 1] += 2;
    else if (op === OP.STORE && (c.flags[i]! & STORE_RAW32) !== 0) spilledBy.set(c.f[4 * i + 1]!, ch);
    else if (op === OP.PRELOAD && (c.flags[i]! & (PRELOAD_ZERO | PRELOAD_BROADCAST)) === 0) {
      const from = spilledBy.get(c.f[4 * i + 1]!);
      if (from !== undefined && from !== ch) affinity[ch] = from;
    }
  }
  for (let ch = 0; ch < chainCount; ch++) loadsStart[ch + 1] += loadsStart[ch]!;
  const loads = new Int32Array(loadsStart[chainCount]!), isB = new Uint8Array(loads.length), fill = loadsStart.slice(0, chainCount);
  for (let i = 0; i < count; i++) {
    if (c.op[i] !== OP.MATMUL) continue;
    const ch = chainOf[i]!;
    loads[fill[ch]!++] = matmulLoads[2 * i]!;
    isB[fill[ch]!] = 1;
    loads[fill[ch]!++] = matmulLoads[2 * i + 1]!;
  }

  const mask = new Uint8Array(count);
  const owner = new Int8Array(chainCount).fill(-1);
  const busy = new Float64Array(workers);
  // Loads counted for the chain being scored (stamp = its position + 1), so a tile read twice counts once.
  const counted = new Int32Array(count);
  let stamp = 0;
  for (let ch = 0; ch < chainCount; ch++) {
    let best = -1, bestScore = Infinity;
    if (affinity[ch]! >= 0 && owner[affinity[ch]!]! >= 0) best = owner[affinity[ch]!]!;
    else {
      for (let w = 0; w < workers; w++) {
        const bit = 1 << w;
        let extra = 0;
        stamp++;
        for (let k = loadsStart[ch]!; k < loadsStart[ch + 1]!; k++) {
          const l = loads[k]!;
          if (l < 0 || (mask[l]! & bit) !== 0 || counted[l] === stamp) continue;
          counted[l] = stamp;
          // A B operand is also packed again by a worker that did not load it.
          extra += cost(c, l) + (isB[k] ? PACK_COST : 0);
        }
        const score = busy[w]! + extra;
        if (score < bestScore || (score === bestScore && busy[w]! < busy[best]!)) { best = w; bestScore = score; }
      }
    }
    owner[ch] = best;
    const bit = 1 << best;
    busy[best] += chainCost[ch]!;
    for (let k = loadsStart[ch]!; k < loadsStart[ch + 1]!; k++) {
      const l = loads[k]!;
      if (l >= 0 && (mask[l]! & bit) === 0) { mask[l] |= bit; busy[best] += cost(c, l); }
    }
  }
  for (let i = 0; i < count; i++) {
    const ch = chainOf[i]!;
    if (ch >= 0) mask[i] = 1 << owner[ch]!;
    else if (mask[i] === 0) mask[i] = 1; // unread loads, FENCE, HOST: worker 0
  }
  return mask;
}

/** DRAM bytes one instruction reads or writes: a list of (addr, stride, rows, length) — rows of `length` bytes, `stride` apart. */
class RowsList {
  values = new Float64Array(64);
  count = 0;

  push(addr: number, stride: number, rows: number, length: number): void {
    if (4 * this.count + 4 > this.values.length) {
      const grown = new Float64Array(2 * this.values.length);
      grown.set(this.values);
      this.values = grown;
    }
    const v = this.values, k = 4 * this.count++;
    v[k] = addr; v[k + 1] = stride; v[k + 2] = rows; v[k + 3] = length;
  }

  /** Whether any byte races (tracker.readConflicts or writeConflicts). */
  conflicts(tracker: HazardTracker, m: number, write: boolean): boolean {
    const v = this.values;
    for (let k = 0; k < 4 * this.count; k += 4) {
      const addr = v[k]!, stride = v[k + 1]!, rows = v[k + 2]!, length = v[k + 3]!;
      for (let r = 0; r < rows; r++) {
        const from = addr + r * stride;
        if (write ? tracker.writeConflicts(m, from, from + length) : tracker.readConflicts(m, from, from + length)) return true;
      }
    }
    return false;
  }

  mark(tracker: HazardTracker, m: number, write: boolean): void {
    const v = this.values;
    for (let k = 0; k < 4 * this.count; k += 4) {
      const addr = v[k]!, stride = v[k + 1]!, rows = v[k + 2]!, length = v[k + 3]!;
      for (let r = 0; r < rows; r++) tracker.mark(m, addr + r * stride, addr + r * stride + length, write);
    }
  }
}

/**
 * Per DRAM byte, who read (low nibble) and wrote (high nibble) it in the current segment; a segment closes
 * before an access that would race with another worker's.
 */
class HazardTracker {
  readonly state: Uint8Array;
  /** Ever written by the program (a gather descriptor there is not constant). */
  readonly written: Uint8Array;
  private touched = new Int32Array(1024);
  private touchedCount = 0;
  private lo = Infinity;
  private hi = -1;

  constructor(readonly dramBytes: number) {
    this.state = new Uint8Array(dramBytes);
    this.written = new Uint8Array(dramBytes);
  }

  /** Whether workers `m` reading [from, to) race with the segment's writes. */
  readConflicts(m: number, from: number, to: number): boolean {
    const s = this.state;
    for (let b = Math.max(0, from), e = Math.min(to, s.length); b < e; b++) {
      const writers = s[b]! >> 4;
      if (writers !== 0 && !isOneBit(writers | m)) return true;
    }
    return false;
  }

  /** Whether workers `m` writing [from, to) race with the segment's reads or writes. */
  writeConflicts(m: number, from: number, to: number): boolean {
    const s = this.state;
    for (let b = Math.max(0, from), e = Math.min(to, s.length); b < e; b++) {
      const v = s[b]!;
      if (((v | (v >> 4)) & 0xf & ~m) !== 0) return true;
    }
    return false;
  }

  mark(m: number, from: number, to: number, write: boolean): void {
    const lo = Math.max(0, from), hi = Math.min(to, this.state.length);
    if (hi <= lo) return;
    if (write) this.written.fill(1, lo, hi);
    const s = this.state, bits = write ? m << 4 : m;
    for (let b = lo; b < hi; b++) s[b] |= bits;
    this.lo = Math.min(this.lo, lo);
    this.hi = Math.max(this.hi, hi);
    if (this.touchedCount >= 0) {
      if (this.touchedCount + 2 > this.touched.length) {
        if (this.touched.length >= 2 ** 22) { this.touchedCount = -1; return; } // beyond: clear [lo, hi) instead
        const grown = new Int32Array(2 * this.touched.length);
        grown.set(this.touched);
        this.touched = grown;
      }
      this.touched[this.touchedCount++] = lo;
      this.touched[this.touchedCount++] = hi;
    }
  }

  /** A barrier: nothing is pending any more. */
  clear(): void {
    // Many small ranges: one fill over their span is cheaper.
    if (this.touchedCount < 0 || this.touchedCount * 64 > this.hi - this.lo) this.state.fill(0, this.lo, this.hi);
    else for (let k = 0; k < this.touchedCount; k += 2) this.state.fill(0, this.touched[k]!, this.touched[k + 1]!);
    this.touchedCount = 0;
    this.lo = Infinity;
    this.hi = -1;
  }
}

const isOneBit = (v: number): boolean => v !== 0 && (v & (v - 1)) === 0;

/** The DRAM bytes at run start that the program's code can know: zeros and constants (inputs come from feeds). */
function staticImage(program: TileProgram): { image: Uint8Array; fed: Uint8Array } {
  const image = new Uint8Array(program.dramBytes), fed = new Uint8Array(program.dramBytes);
  for (const k of program.constants) image.set(k.data.subarray(0, Math.max(0, program.dramBytes - k.addr)), k.addr);
  for (const e of program.tensors) {
    if (e.role === 'input') fed.fill(1, e.addr, Math.min(program.dramBytes, e.addr + numel(e.shape) * dtypeBytes(e.dtype)));
  }
  return { image, fed };
}

/** Segment of every instruction: a barrier goes before each instruction that would race with another worker. */
function placeBarriers(program: TileProgram, c: Code, mask: Uint8Array): Int32Array {
  const count = c.count, segmentOf = new Int32Array(count);
  const tracker = new HazardTracker(program.dramBytes);
  const { image, fed } = staticImage(program);
  const imageView = new DataView(image.buffer);
  const t = program.target.tile;
  const sources = new Int32Array(t * t);
  const reads = new RowsList(), writes = new RowsList();
  const gathers = new Map<number, ConstantDescriptor | undefined>();
  let segment = 0, segmentUsed = false;
  const close = (): void => {
    if (!segmentUsed) return;
    tracker.clear();
    segment++;
    segmentUsed = false;
  };
  for (let i = 0; i < count; i++) {
    const op = c.op[i]!, m = mask[i]!, flags = c.flags[i]!, rows = c.rows[i]!, cols = c.cols[i]!;
    const f1 = c.f[4 * i + 1]!, f2 = c.f[4 * i + 2]!, f3 = c.f[4 * i + 3]!;
    reads.count = 0; writes.count = 0;
    let alone = false, gathered = 0;
    switch (op) {
      case OP.LOAD: reads.push(f1, f2, rows, cols); break;
      case OP.LOAD_IM2COL: {
        const g = constantGather(imageView, fed, tracker.written, gathers, f1, f2, f3, rows, cols, sources);
        if (g === undefined) alone = true;
        else {
          reads.push(f1, 0, 1, g.descriptorBytes);
          gathered = rows * cols;
          // Sources as runs of consecutive bytes.
          for (let e = 0; e < gathered;) {
            const at = sources[e]!;
            if (at < 0) { e++; continue; }
            let n = 1;
            while (e + n < gathered && sources[e + n] === at + n) n++;
            reads.push(g.x + at, 0, 1, n);
            e += n;
          }
        }
        break;
      }
      case OP.PRELOAD:
        if ((flags & PRELOAD_ZERO) === 0) reads.push(f1, f2, rows, (flags & PRELOAD_BROADCAST) !== 0 ? 4 : 4 * cols);
        break;
      case OP.STORE: {
        const raw = (flags & STORE_RAW32) !== 0;
        writes.push(f1, f2, rows, raw ? 4 * cols : cols);
        if (!raw) reads.push(f3, 0, 1, REQUANT_ENTRY_BYTES * ((flags & STORE_PER_ROW) !== 0 ? rows : 1));
        break;
      }
      case OP.HOST: alone = true; break;
      default: break; // MATMUL, FENCE: no DRAM
    }
    if (alone) {
      close();
      segmentOf[i] = segment;
      segmentUsed = true;
      close();
      if (op === OP.HOST) markHostWrites(program, c.aux[i]!, c.f[4 * i]!, f1, tracker.written);
      continue;
    }
    if (reads.conflicts(tracker, m, false) || writes.conflicts(tracker, m, true)) close();
    reads.mark(tracker, m, false);
    writes.mark(tracker, m, true);
    segmentOf[i] = segment;
    segmentUsed = true;
  }
  return segmentOf;
}

/**
 * Marks what a HOST instruction may write: a tilec host op (backend/host-ops.ts HOST_FN, the runner's only
 * host ops) writes exactly its operand block's outputs; anything else, all of DRAM.
 */
function markHostWrites(program: TileProgram, fn: number, offset: number, length: number, written: Uint8Array): void {
  let outputs: readonly (TensorRef | undefined)[] | undefined;
  if (hostOpOfFn(fn) !== undefined && offset + length <= program.hostData.length) {
    try {
      outputs = decodeHostOperands(program.hostData.subarray(offset, offset + length)).outputs;
    } catch {
      outputs = undefined;
    }
  }
  if (outputs === undefined) { written.fill(1); return; }
  for (const r of outputs) if (r !== undefined) written.fill(1, r.addr, Math.min(written.length, r.addr + numel(r.shape) * dtypeBytes(r.dtype)));
}

/** A decoded gather descriptor and the bytes it was decoded from. */
interface ConstantDescriptor { readonly d: ReturnType<typeof readGatherDescriptor>; readonly bytes: number }

/**
 * A LOAD_IM2COL's x address and sources (into `sources`) when its descriptor is constant — only zeros and
 * constants, never fed or written before — and valid; undefined otherwise (then it runs alone).
 */
function constantGather(image: DataView, fed: Uint8Array, written: Uint8Array, decoded: Map<number, ConstantDescriptor | undefined>, desc: number, row0: number, col0: number, rows: number, cols: number, sources: Int32Array): { x: number; descriptorBytes: number } | undefined {
  // The image never changes, so one decoding per address.
  if (!decoded.has(desc)) {
    try {
      const d = readGatherDescriptor(image, desc);
      decoded.set(desc, { d, bytes: gatherDescriptorBytes(d.geo.spatial.length) });
    } catch {
      decoded.set(desc, undefined);
    }
  }
  const g = decoded.get(desc);
  if (g === undefined) return undefined;
  const { d, bytes } = g;
  for (let b = desc; b < desc + bytes; b++) if (fed[b] || written[b]) return undefined;
  if (rows < 1 || cols < 1 || rows * cols > sources.length || row0 + rows > d.geo.rows || col0 + cols > d.geo.cols) return undefined;
  im2colTileSources(d.geo, row0, col0, rows, cols, sources);
  return { x: d.desc.x, descriptorBytes: bytes };
}
