import { TilecError, fail, invariant } from '../../ir/errors.js';
import { INT32_MAX, INT32_MIN, requantize } from '../../ir/arith.js';
import { tensor, numel, type Tensor } from '../../ir/tensor.js';
import { newTensorData } from '../../ir/dtype.js';
import { INSTRUCTION_BYTES, OP, MATMUL_ACCUMULATE, PRELOAD_BROADCAST, PRELOAD_ZERO, REQUANT_ENTRY_BYTES, STORE_PER_ROW, STORE_RAW32 } from '../../backend/isa.js';
import { CostModel, type CostCounters } from '../../backend/cost.js';
import { MAX_GATHER_RANK, gatherDescriptorBytes, gatherFootprint, readGatherDescriptor, type GatherFootprint } from '../../backend/gather.js';
import { type Im2ColGeometry, im2colTileSources } from '../../ir/im2col.js';
import { accumulatorSlots, scratchpadSlots } from '../../backend/target.js';
import { decodeCode, dtypeBytes, hex, validateProgram, type TensorEntry, type TileProgram } from '../../backend/program.js';
import { WasmTileMemory } from './wasm/kernels.js';
import { type GatherTables, gatherTableBytes, programGatherTableBytes, wasmGatherFits, writeGatherTables } from './gather-tables.js';

// The golden tile machine: executes a tile program exactly as docs/isa.md specifies, one instruction at a
// time in program order, on a simulated DRAM (one ArrayBuffer), scratchpad (int8) and accumulator (int32),
// and times it with the cost model of backend/cost.ts. Any access outside a memory, any field outside its
// range, faults with the instruction's index; a fault is the program's fault (a TilecError), never a crash.

export interface HostOpContext {
  /** The whole DRAM, and a little-endian view of it. */
  readonly dram: Uint8Array;
  readonly view: DataView;
  /** This instruction's operand block. */
  readonly operands: Uint8Array;
  /** Instruction index, for error messages. */
  readonly index: number;
}

/** A host operation (pooling, residual add, float island...) that another stage implements. */
export interface HostOp {
  readonly name: string;
  /** Executes on DRAM; returns the cycles the cost model charges for it. Throws TilecError on bad operands. */
  run(ctx: HostOpContext): number;
}

export interface TileMachineOptions {
  /** HOST function code -> implementation. */
  readonly hostOps?: ReadonlyMap<number, HostOp>;
  /**
   * 'wrap' (default): int32 accumulators wrap modulo 2^32, like the hardware (the compiler proves sums fit).
   * 'fault': an accumulator update leaving the int32 range faults instead (for checking that proof).
   */
  readonly overflow?: 'wrap' | 'fault';
  /**
   * 'wasm' (default): DRAM, scratchpad and accumulator live in one WebAssembly memory; MATMUL runs the
   * SIMD128 kernel of wasm/matmul.wat, and LOAD and STORE's requantization run there too. 'ts': the plain TypeScript reference (ir/arith requantize). Both give identical memories
   * and counters (tests check it); with overflow 'fault' the machine runs the TypeScript path throughout, which
   * checks every accumulator update.
   */
  readonly kernels?: TileKernels;
  /**
   * The WebAssembly memory (DRAM, scratchpad, accumulator) to run on instead of a fresh one: the two-thread
   * runner (runtime/tile/parallel) gives each worker's machine its own regions of one shared memory. Sized for
   * this program; implies the 'wasm' kernels.
   */
  readonly memory?: WasmTileMemory;
}

export type TileKernels = 'ts' | 'wasm';

/** Scratchpad + accumulator the simulator will allocate (an unlimited-memory program could ask for anything). */
const MAX_SIMULATED_BYTES = 2 ** 30;

const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));
// Module-level copies: the loop reads locals, not another module's bindings (which some loaders turn into
// getter calls).
const OP_LOAD = OP.LOAD, OP_LOAD_IM2COL = OP.LOAD_IM2COL, OP_PRELOAD = OP.PRELOAD, OP_MATMUL = OP.MATMUL, OP_STORE = OP.STORE;
const OP_FENCE = OP.FENCE, OP_HOST = OP.HOST;
const PRELOAD_ZERO_FLAG = PRELOAD_ZERO, PRELOAD_BROADCAST_FLAG = PRELOAD_BROADCAST, MATMUL_ACCUMULATE_FLAG = MATMUL_ACCUMULATE;
const STORE_RAW32_FLAG = STORE_RAW32, STORE_PER_ROW_FLAG = STORE_PER_ROW;
const requantizeCode = requantize;
/** 32-bit words per instruction. */
const WORD_U32 = INSTRUCTION_BYTES / 4;

function cloneCounters(c: CostCounters): CostCounters {
  return { ...c, busy: { ...c.busy } };
}

export class TileMachine {
  readonly program: TileProgram;
  readonly dram: Uint8Array;
  private readonly dramI8: Int8Array;
  private readonly view: DataView;
  private readonly t: number;
  private readonly spadCapacity: number;
  private readonly accCapacity: number;
  private readonly spad: Int8Array;
  private readonly acc: Int32Array;
  /** One row of a tile product: int8·int8 sums over k <= t stay below t·2^14 <= 2^26, exact in int32. */
  private readonly rowSum: Int32Array;
  private readonly hostOps: ReadonlyMap<number, HostOp>;
  private readonly faultOnOverflow: boolean;
  private readonly tensorsByName: ReadonlyMap<string, TensorEntry>;
  private readonly wasm: WasmTileMemory | undefined;
  /** The code as little-endian 32-bit words (8 per instruction), decoded once. */
  private readonly words: Uint32Array;
  private readonly count: number;
  /** Footprints and host cycles of the current run, in order; the cost model's only run-time inputs. */
  private readonly trace = new DynamicTrace();
  private memo: { trace: Float64Array; counters: CostCounters } | undefined;
  private index = 0;
  private gatherScratch = new Int32Array(0);
  private sourceScratch = new Int32Array(0);
  /** LOAD_IM2COL tables by instruction index (sparse), and their total entries (bounded). */
  private readonly gathers: (CachedGather | undefined)[] = [];
  private gatherCacheEntries = 0;
  /** Decoded gather descriptors by DRAM address. */
  private readonly descriptors = new Map<number, DescriptorState>();
  /**
   * Bumped whenever DRAM may have changed under a descriptor: at the start of every run (the caller may have
   * written DRAM), after every HOST, and after a STORE into the byte range [descLo, descHi) that holds every
   * known descriptor. A descriptor's bytes are compared with DRAM once per epoch, not per LOAD_IM2COL.
   */
  private epoch = 0;
  private descLo = 0;
  private descHi = 0;
  /** Bump allocator over the WebAssembly memory's gather-table area (byte offsets). */
  private tableNext = 0;
  /**
   * Per instruction, 1 when the WebAssembly kernels run it and its checks that depend only on its fields and
   * the machine's sizes (extents, slots, DRAM ranges, clamps) passed at construction: the code never changes,
   * so run() skips them. Instructions that would fault take the checking path and fault in program order.
   */
  private readonly checked: Uint8Array;
  /**
   * At every instruction of a block, a run of checked LOAD, PRELOAD, MATMUL, LOAD_IM2COL and FENCE instructions
   * and STOREs that cannot write a gather descriptor, the index after the block's last (0 elsewhere): execute()
   * hands the rest of the block to the WebAssembly runBlock in one call. Empty without a code copy.
   */
  private readonly blockEnd: Int32Array;
  /** Every LOAD_IM2COL's index, in order. */
  private gatherList = new Int32Array(0);
  /** The CachedGather each LOAD_IM2COL's WebAssembly gather record was last written from. */
  private readonly recorded: (CachedGather | undefined)[] = [];

  constructor(program: TileProgram, options: TileMachineOptions = {}) {
    validateProgram(program, 'tile program');
    this.program = program;
    this.t = program.target.tile;
    this.spadCapacity = scratchpadSlots(program.target);
    this.accCapacity = accumulatorSlots(program.target);
    // Words must be canonical (known opcode and flags, unused fields zero) before any of them runs.
    decodeCode(program.code, 'tile machine fault at instruction ');
    this.count = program.code.length / INSTRUCTION_BYTES;
    this.words = new Uint32Array(program.code.length / 4);
    const codeView = new DataView(program.code.buffer, program.code.byteOffset, program.code.byteLength);
    for (let i = 0; i < this.words.length; i++) this.words[i] = codeView.getUint32(4 * i, true);
    const { spadBytes, accWords, tableBytes } = machineSizes(program);
    const bytes = spadBytes + 4 * accWords;
    if (bytes > MAX_SIMULATED_BYTES) fail(`tile program needs ${bytes} bytes of scratchpad and accumulator, more than the simulator allows (${MAX_SIMULATED_BYTES})`);
    this.faultOnOverflow = options.overflow === 'fault';
    const wantWasm = (options.kernels ?? 'wasm') === 'wasm' && !this.faultOnOverflow;
    this.wasm = options.memory ?? (wantWasm ? WasmTileMemory.create(this.t, program.dramBytes, spadBytes, accWords, tableBytes, program.code) : undefined);
    this.tableNext = this.wasm?.tablesOffset ?? 0;
    this.spad = this.wasm?.spad ?? new Int8Array(spadBytes);
    this.acc = this.wasm?.acc ?? new Int32Array(accWords);
    this.rowSum = new Int32Array(this.t);
    // With the WebAssembly kernels DRAM is the first dramBytes of their memory (DRAM address = byte offset).
    this.dram = this.wasm?.dram ?? new Uint8Array(program.dramBytes);
    this.dramI8 = new Int8Array(this.dram.buffer, this.dram.byteOffset, this.dram.length);
    this.view = new DataView(this.dram.buffer, this.dram.byteOffset, this.dram.length);
    this.hostOps = options.hostOps ?? new Map();
    this.tensorsByName = new Map(program.tensors.map((e) => [e.name, e]));
    this.checked = new Uint8Array(this.count);
    if (this.wasm !== undefined) for (let i = 0; i < this.count; i++) this.checked[i] = this.staticChecks(i) ? 1 : 0;
    this.index = 0;
    const blocks = this.wasm?.hasCode === true;
    this.blockEnd = new Int32Array(blocks ? this.count : 0);
    if (blocks) this.findBlocks();
    this.reset();
  }

  /** Zeroes DRAM, scratchpad and accumulator and copies the constants in. */
  reset(): void {
    this.dram.fill(0);
    this.spad.fill(0);
    this.wasm?.spadReset();
    this.acc.fill(0);
    for (const c of this.program.constants) this.dram.set(c.data, c.addr);
  }

  tensorEntry(name: string): TensorEntry {
    const e = this.tensorsByName.get(name);
    if (!e) fail(`tile program has no tensor '${name}' (tensors: ${[...this.tensorsByName.keys()].join(', ')})`);
    return e;
  }

  /** Writes a tensor's values (already in its dtype's code range) into DRAM. */
  writeTensor(name: string, values: ArrayLike<number>): void {
    const e = this.tensorEntry(name);
    const n = numel(e.shape);
    if (values.length !== n) fail(`tensor '${name}': got ${values.length} values, shape [${e.shape.join(',')}] holds ${n}`);
    const data = newTensorData(e.dtype, n);
    data.set(values);
    this.dram.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), e.addr);
  }

  /** A copy of a tensor's current DRAM contents. */
  readTensor(name: string): Tensor {
    const e = this.tensorEntry(name);
    const bytes = this.dram.slice(e.addr, e.addr + numel(e.shape) * dtypeBytes(e.dtype));
    const data = newTensorData(e.dtype, numel(e.shape));
    new Uint8Array(data.buffer).set(bytes);
    return tensor(e.dtype, e.shape, data);
  }

  /** A copy of one scratchpad slot (t×t int8, row-major), for inspection and tests. */
  scratchpadTile(slot: number): Int8Array {
    const tt = this.t * this.t;
    return this.spad.slice(slot * tt, (slot + 1) * tt);
  }

  /** A copy of one accumulator slot (t×t int32, row-major), for inspection and tests. */
  accumulatorTile(slot: number): Int32Array {
    const tt = this.t * this.t;
    return this.acc.slice(slot * tt, (slot + 1) * tt);
  }

  /** Runs the program to its end (from the current memory state) and returns its counters. */
  run(): CostCounters {
    this.trace.reset();
    this.execute(0, this.count);
    return this.counters();
  }

  /**
   * Runs instructions from..to-1 on the current memory state (as run() does, WebAssembly blocks included, but
   * none past `to`): one worker's share of a segment in the two-thread runner (runtime/tile/parallel), whose
   * machines each run the program of their own instructions. Each LOAD_IM2COL's footprint and HOST's cycles go
   * to `dynamic` at `dynamicAt[index]` (3 values and 1): their places in the whole program's run() trace.
   */
  runRange(from: number, to: number, dynamic: Float64Array, dynamicAt: Int32Array): void {
    this.execute(from, to, dynamic, dynamicAt);
  }

  /**
   * Executes instructions from..to-1. Footprints and host cycles go to the run's trace in order, or, given
   * `dynamic`, to their places `dynamicAt[index]` there (runRange).
   */
  private execute(from: number, to: number, dynamic?: Float64Array, dynamicAt?: Int32Array): void {
    const words = this.words, trace = this.trace, wasm = this.wasm, checked = this.checked;
    const blockEnd = this.blockEnd.length > 0 ? this.blockEnd : undefined;
    // DRAM may have changed since this machine last looked (a new run, or another worker's stores): descriptors
    // are compared again before their next use.
    this.epoch++;
    for (let i = from; i < to; i++) {
      this.index = i;
      if (blockEnd !== undefined && blockEnd[i]! > i) {
        // The rest of i's block, within the range (a range may start or end inside a block; so may a block
        // that stopped short at a gather needing the TypeScript path).
        const next = this.runBlock(i, Math.min(blockEnd[i]!, to), dynamic, dynamicAt);
        if (next > i) {
          i = next - 1;
          continue;
        }
        this.index = i; // nothing ran: instruction i (a LOAD_IM2COL) goes its own way below
      }
      const w = i * WORD_U32;
      const head = words[w]!, extents = words[w + 1]!;
      const opcode = head & 0xff, flags = (head >>> 8) & 0xff, rows = head >>> 16;
      const cols = extents & 0xffff, aux = extents >>> 16;
      const f0 = words[w + 2]!, f1 = words[w + 3]!, f2 = words[w + 4]!, f3 = words[w + 5]!;
      switch (opcode) {
        // checked[i] = 1: the instruction's static checks passed at construction (see staticChecks), and the
        // WebAssembly kernels run it straight away. Otherwise the TypeScript method runs it: with the WebAssembly
        // kernels only to fault in its checks (they are the same checks), so it never needs a WebAssembly branch.
        case OP_LOAD:
          if (checked[i] === 1) wasm!.load(f0, f1, f2, rows, cols);
          else this.load(f0, f1, f2, rows, cols);
          break;
        case OP_LOAD_IM2COL: {
          const f = checked[i] === 1 ? this.gather(f0, f1, f2, f3, rows, cols) : this.loadIm2col(f0, f1, f2, f3, rows, cols);
          if (dynamic === undefined) trace.push3(f.bytes, f.first, f.last);
          else { const d = dynamicAt![i]!; dynamic[d] = f.bytes; dynamic[d + 1] = f.first; dynamic[d + 2] = f.last; }
          break;
        }
        case OP_PRELOAD:
          if (checked[i] === 1) wasm!.preload(f0, flags & PRELOAD_ZERO_FLAG ? 0 : flags & PRELOAD_BROADCAST_FLAG ? 1 : 2, f1, f2, rows, cols);
          else this.preload(f0, flags & PRELOAD_ZERO_FLAG ? 'zero' : flags & PRELOAD_BROADCAST_FLAG ? 'broadcast' : 'tile', f1, f2, rows, cols);
          break;
        case OP_MATMUL:
          if (checked[i] === 1) wasm!.matmul(f0, f1, f2, rows, cols, aux, (flags & MATMUL_ACCUMULATE_FLAG) !== 0);
          else this.matmul(f0, f1, f2, rows, cols, aux, (flags & MATMUL_ACCUMULATE_FLAG) !== 0);
          break;
        case OP_STORE:
          if (checked[i] === 1) this.storeWasm(f0, f1, f2, rows, cols, (flags & STORE_RAW32_FLAG) !== 0, f3, (flags & STORE_PER_ROW_FLAG) !== 0, ((aux & 0xff) << 24) >> 24, (aux << 16) >> 24);
          else this.store(f0, f1, f2, rows, cols, (flags & STORE_RAW32_FLAG) !== 0, f3, (flags & STORE_PER_ROW_FLAG) !== 0, ((aux & 0xff) << 24) >> 24, (aux << 16) >> 24);
          break;
        case OP_FENCE:
          break;
        case OP_HOST: {
          const cycles = this.host(aux, f0, f1);
          if (dynamic === undefined) trace.push1(cycles);
          else dynamic[dynamicAt![i]!] = cycles;
          // A host op may write DRAM anywhere, descriptors included.
          this.epoch++;
          break;
        }
        default:
          this.fault(`unknown opcode 0x${opcode.toString(16).padStart(2, '0')}`, opcode);
      }
    }
  }

  /** The counters of a run whose footprints and host cycles, in program order, are `dynamic` (as run()'s trace records them). */
  countersOf(dynamic: Float64Array): CostCounters {
    const memo = this.memo;
    if (memo === undefined || memo.trace.length !== dynamic.length || memo.trace.some((v, i) => v !== dynamic[i])) {
      this.memo = { trace: dynamic.slice(), counters: this.replayCostModel(dynamic) };
    }
    return cloneCounters(this.memo!.counters);
  }

  /**
   * The cost model's counters for the run just finished. The model is a pure function of the instruction
   * words and of the values only execution knows — gathered footprints and host-op cycles — which run()
   * recorded in order. When those equal the previous run's (the usual case: same program, new data), the
   * previous counters are the answer; otherwise the model replays the program with the new values.
   */
  private counters(): CostCounters {
    const trace = this.trace;
    if (this.memo === undefined || !trace.equals(this.memo.trace)) {
      this.memo = { trace: trace.copy(), counters: this.replayCostModel(trace.values) };
    }
    return cloneCounters(this.memo.counters);
  }

  /** Feeds every instruction to a fresh cost model, taking footprints and host cycles from `dynamic` in order. */
  private replayCostModel(dynamic: Float64Array): CostCounters {
    const words = this.words, model = new CostModel(this.program.target);
    let d = 0;
    for (let i = 0; i < this.count; i++) {
      const w = i * WORD_U32;
      const head = words[w]!, extents = words[w + 1]!;
      const opcode = head & 0xff, flags = (head >>> 8) & 0xff, rows = head >>> 16;
      const cols = extents & 0xffff, aux = extents >>> 16;
      const f0 = words[w + 2]!, f1 = words[w + 3]!, f2 = words[w + 4]!, f3 = words[w + 5]!;
      switch (opcode) {
        case OP_LOAD: model.load(f0, f1, f2, rows, cols); break;
        case OP_LOAD_IM2COL:
          model.loadIm2col(f0, f1, f2, f3, rows, cols, { bytes: dynamic[d]!, first: dynamic[d + 1]!, last: dynamic[d + 2]! });
          d += 3;
          break;
        case OP_PRELOAD:
          model.preload(f0, flags & PRELOAD_ZERO_FLAG ? 'zero' : flags & PRELOAD_BROADCAST_FLAG ? 'broadcast' : 'tile', f1, f2, rows, cols);
          break;
        case OP_MATMUL: model.matmul(f0, f1, f2, rows, cols, aux, (flags & MATMUL_ACCUMULATE_FLAG) !== 0); break;
        case OP_STORE:
          model.store(f0, f1, f2, rows, cols, flags & STORE_RAW32_FLAG ? 'raw32' : 'requant', f3, (flags & STORE_PER_ROW_FLAG) !== 0, ((aux & 0xff) << 24) >> 24, (aux << 16) >> 24);
          break;
        case OP_FENCE: model.fence(); break;
        case OP_HOST: model.host(dynamic[d++]!); break;
      }
    }
    return model.counters;
  }

  /** Fills blockEnd and gatherList (see there). */
  private findBlocks(): void {
    const words = this.words, count = this.count;
    // Every address a descriptor may occupy: the LOAD_IM2COLs' descriptor addresses, each up to the largest descriptor.
    const gathers: number[] = [], descs: number[] = [];
    for (let i = 0; i < count; i++) {
      if ((words[i * WORD_U32]! & 0xff) === OP_LOAD_IM2COL) { gathers.push(i); descs.push(words[i * WORD_U32 + 3]!); }
    }
    this.gatherList = Int32Array.from(gathers);
    const starts = Float64Array.from(new Set(descs)).sort(), span = gatherDescriptorBytes(MAX_GATHER_RANK);
    const storeRange = (w: number): [number, number] => {
      const head = words[w]!, rows = head >>> 16, cols = words[w + 1]! & 0xffff, addr = words[w + 3]!, stride = words[w + 4]!;
      return [addr, addr + (rows - 1) * stride + ((head >>> 8) & STORE_RAW32_FLAG ? 4 * cols : cols)];
    };
    const mayWriteDescriptor = (lo: number, hi: number): boolean => {
      // The first descriptor start >= lo − span, then whether it begins before hi.
      let a = 0, b = starts.length;
      while (a < b) { const m = (a + b) >>> 1; if (starts[m]! < lo - span + 1) a = m + 1; else b = m; }
      return a < starts.length && starts[a]! < hi;
    };
    const inBlock = (i: number): boolean => {
      const w = i * WORD_U32, op = words[w]! & 0xff;
      if (op === OP_FENCE) return true;
      if (this.checked[i] !== 1) return false;
      if (op === OP_STORE) return !mayWriteDescriptor(...storeRange(w));
      return op === OP_LOAD || op === OP_PRELOAD || op === OP_MATMUL || op === OP_LOAD_IM2COL;
    };
    for (let i = 0; i < count;) {
      if (!inBlock(i)) { i++; continue; }
      let end = i;
      while (end < count && inBlock(end)) end++;
      this.blockEnd.fill(end, i, end);
      i = end;
    }
  }

  /**
   * Runs instructions i..limit-1 of i's block (see blockEnd; i may be inside it, and `limit` at most its end:
   * the two-thread runtime's ranges may start or end inside a block); returns the index to go on from. Its
   * LOAD_IM2COLs are resolved first (their descriptors cannot change within the block: its STOREs cannot write
   * them), their footprints recorded in order and their gather records written; at one that would fault or
   * needs the TypeScript gather the block stops short, and execute() goes on from it one instruction at a time.
   */
  private runBlock(i: number, limit: number, dynamic?: Float64Array, dynamicAt?: Int32Array): number {
    let end = limit;
    const wasm = this.wasm!, words = this.words, list = this.gatherList, trace = this.trace;
    for (let p = firstAtOrAfter(list, i); p < list.length && list[p]! < end; p++) {
      const j = list[p]!, w = j * WORD_U32;
      this.index = j;
      let g: CachedGather;
      try {
        g = this.gatherOf(words[w + 3]!, words[w + 4]!, words[w + 5]!, words[w]! >>> 16, words[w + 1]! & 0xffff);
      } catch (e) {
        if (!(e instanceof TilecError)) throw e;
        end = j;
        break;
      }
      const wt = g.desc.tables;
      if (wt === undefined) { end = j; break; }
      if (this.recorded[j] !== g) {
        wasm.setGatherRecord(j, wt, words[w + 4]!, words[w + 5]!, g.desc.padValue);
        this.recorded[j] = g;
      }
      if (dynamic !== undefined) {
        const d = dynamicAt![j]!;
        dynamic[d] = g.footprint.bytes; dynamic[d + 1] = g.footprint.first; dynamic[d + 2] = g.footprint.last;
      } else {
        trace.push3(g.footprint.bytes, g.footprint.first, g.footprint.last);
      }
    }
    if (end === i) return i;
    const bad = wasm.runBlock(i, end);
    if (bad >= 0) {
      // A requantizing STORE's table entry was bad: fault there, as the instruction-by-instruction path does.
      this.index = bad;
      const w = bad * WORD_U32, perRow = ((this.words[w]! >>> 8) & STORE_PER_ROW_FLAG) !== 0;
      this.checkRequantEntry(this.words[w + 5]! + (perRow ? wasm.badRow() * REQUANT_ENTRY_BYTES : 0));
      invariant(false, `runBlock stopped at instruction ${bad} without a bad requant entry`);
    }
    // No descriptor needs comparing again: findBlocks kept out every STORE that may write one.
    return end;
  }

  /** Whether instruction i passes the checks its method makes before touching memory that only its fields decide. */
  private staticChecks(i: number): boolean {
    this.index = i;
    const w = i * WORD_U32, words = this.words;
    const head = words[w]!, extents = words[w + 1]!;
    const opcode = head & 0xff, flags = (head >>> 8) & 0xff, rows = head >>> 16;
    const cols = extents & 0xffff, aux = extents >>> 16;
    const f0 = words[w + 2]!, f1 = words[w + 3]!, f2 = words[w + 4]!, f3 = words[w + 5]!;
    try {
      switch (opcode) {
        case OP_LOAD: this.loadChecks(f0, f1, f2, rows, cols); return true;
        case OP_LOAD_IM2COL: this.loadIm2colChecks(f0, rows, cols); return true;
        case OP_PRELOAD: this.preloadChecks(f0, flags & PRELOAD_ZERO_FLAG ? 'zero' : flags & PRELOAD_BROADCAST_FLAG ? 'broadcast' : 'tile', f1, f2, rows, cols); return true;
        case OP_MATMUL: this.matmulChecks(f0, f1, f2, rows, cols, aux); return true;
        case OP_STORE:
          this.storeChecks(f0, f1, f2, rows, cols, (flags & STORE_RAW32_FLAG) !== 0, f3, (flags & STORE_PER_ROW_FLAG) !== 0, ((aux & 0xff) << 24) >> 24, (aux << 16) >> 24);
          return true;
        default: return false;
      }
    } catch (e) {
      if (e instanceof TilecError) return false;
      throw e;
    }
  }

  private fault(message: string, opcode?: number): never {
    const o = this.index * INSTRUCTION_BYTES;
    const op = OP_NAMES.get(opcode ?? this.program.code[o]!) ?? '?';
    throw new TilecError(`tile machine fault at instruction ${this.index} (${op}): ${message}`);
  }

  private checkExtent(what: string, v: number): void {
    if (v < 1 || v > this.t) this.fault(`${what} ${v} is outside 1..${this.t} (tile size t = ${this.t})`);
  }

  private checkSpad(slot: number): number {
    if (slot >= this.spadCapacity) this.fault(`scratchpad slot ${slot} is beyond the scratchpad's ${this.spadCapacity} slots`);
    return slot * this.t * this.t;
  }

  private checkAcc(slot: number): number {
    if (slot >= this.accCapacity) this.fault(`accumulator slot ${slot} is beyond the accumulator's ${this.accCapacity} slots`);
    return slot * this.t * this.t;
  }

  /** Checks that `rows` rows of `rowBytes`, `stride` apart from `addr`, lie inside DRAM. */
  private checkDram(what: string, addr: number, stride: number, rows: number, rowBytes: number, align: number): void {
    if (addr % align !== 0 || (rows > 1 && stride % align !== 0)) this.fault(`${what} address ${hex(addr)} / stride ${stride} must be ${align}-byte aligned`);
    const end = addr + (rows - 1) * stride + rowBytes;
    if (end > this.dram.length) {
      this.fault(`${what} reads or writes DRAM ${hex(addr)}..${hex(end)} (${rows} rows of ${rowBytes} bytes, stride ${stride}) beyond the DRAM size ${this.dram.length}`);
    }
  }

  private loadChecks(slot: number, addr: number, stride: number, rows: number, cols: number): number {
    this.checkExtent('rows', rows);
    this.checkExtent('cols', cols);
    const base = this.checkSpad(slot);
    this.checkDram('LOAD', addr, stride, rows, cols, 1);
    return base;
  }

  private load(slot: number, addr: number, stride: number, rows: number, cols: number): void {
    const base = this.loadChecks(slot, addr, stride, rows, cols);
    const t = this.t, spad = this.spad, src = this.dramI8;
    spad.fill(0, base, base + t * t); // zero-fill to the full tile
    for (let r = 0; r < rows; r++) {
      const s = addr + r * stride, d = base + r * t;
      for (let c = 0; c < cols; c++) spad[d + c] = src[s + c]!;
    }
  }

  /**
   * spad[slot] ← zero tile; element (r, c) ← the im2col matrix element (row0 + r, col0 + c) of the descriptor
   * at `desc`: x[im2colSource(...)] or padValue. Returns the footprint the cost model charges.
   */
  private loadIm2col(slot: number, desc: number, row0: number, col0: number, rows: number, cols: number): GatherFootprint {
    this.loadIm2colChecks(slot, rows, cols);
    return this.gather(slot, desc, row0, col0, rows, cols);
  }

  private loadIm2colChecks(slot: number, rows: number, cols: number): void {
    this.checkExtent('rows', rows);
    this.checkExtent('cols', cols);
    this.checkSpad(slot);
  }

  /** LOAD_IM2COL after its static checks. */
  private gather(slot: number, desc: number, row0: number, col0: number, rows: number, cols: number): GatherFootprint {
    const base = slot * this.t * this.t;
    const gather = this.gatherOf(desc, row0, col0, rows, cols);
    const d = gather.desc, wt = d.tables;
    if (wt !== undefined) {
      // The WebAssembly gather from the descriptor's row, column and mask tables.
      this.wasm!.gatherIm2col(slot, rows, cols, wt, row0, col0, d.padValue);
      return gather.footprint;
    }
    let table = gather.table;
    if (table === undefined) {
      // Beyond the cache's bound: the sources again, decoded per row and column (no per-element division).
      if (this.sourceScratch.length < rows * cols) this.sourceScratch = new Int32Array(this.t * this.t);
      table = this.sourceScratch;
      im2colTileSources(d.geo, row0, col0, rows, cols, table);
    }
    const t = this.t, spad = this.spad, src = this.dramI8, x = d.x, pad = d.padValue;
    this.wasm?.spadWritten(slot);
    spad.fill(0, base, base + t * t);
    for (let r = 0, e = 0; r < rows; r++) {
      const to = base + r * t;
      for (let c = 0; c < cols; c++, e++) {
        const at = table[e]!;
        spad[to + c] = at < 0 ? pad : src[x + at]!;
      }
    }
    return gather.footprint;
  }

  /**
   * What this LOAD_IM2COL gathers: its descriptor, its footprint and (for the TypeScript gather) for each tile
   * element (row-major rows×cols) the x offset im2colSource gives, or -1 for padding. Kept per instruction
   * while its descriptor's bytes in DRAM stay the same (the instruction's own fields never change).
   */
  private gatherOf(desc: number, row0: number, col0: number, rows: number, cols: number): CachedGather {
    const cached = this.gathers[this.index];
    if (cached !== undefined && cached.version === this.currentVersion(cached.desc)) return cached;
    const d = this.descriptorAt(desc);
    const geo = d.geo;
    if (row0 + rows > geo.rows || col0 + cols > geo.cols) {
      this.fault(`rows ${row0}..${row0 + rows - 1}, columns ${col0}..${col0 + cols - 1} lie outside the ${geo.rows}x${geo.cols} im2col matrix`);
    }
    // Per-element sources only for the TypeScript gather, and only while the bound allows.
    const keepTable = d.tables === undefined && this.gatherCacheEntries + rows * cols <= MAX_GATHER_CACHE_ENTRIES;
    const table = keepTable ? new Int32Array(rows * cols) : undefined;
    if (table !== undefined) im2colTileSources(geo, row0, col0, rows, cols, table);
    if (this.gatherScratch.length < rows * cols) this.gatherScratch = new Int32Array(this.t * this.t);
    const footprint = gatherFootprint(geo, d.x, row0, col0, rows, cols, this.gatherScratch);
    const gather: CachedGather = { desc: d, version: d.version, table, footprint };
    // Always kept (the footprint costs a sort to find).
    if (cached?.table !== undefined) this.gatherCacheEntries -= cached.table.length;
    this.gathers[this.index] = gather;
    if (table !== undefined) this.gatherCacheEntries += table.length;
    return gather;
  }

  /** The descriptor at `addr`, decoded from DRAM's current bytes (faults on a bad descriptor). */
  private descriptorAt(addr: number): DescriptorState {
    const known = this.descriptors.get(addr);
    if (known !== undefined) {
      this.currentVersion(known);
      return known;
    }
    const d: DescriptorState = { addr, bytes: new Uint8Array(0), checked: this.epoch, version: 0, geo: undefined!, x: 0, padValue: 0, tables: undefined, tableAt: -1, tableBytes: 0 };
    this.decode(d);
    this.descriptors.set(addr, d);
    return d;
  }

  /** d's version after checking (once per epoch) that its bytes in DRAM are still those it was decoded from. */
  private currentVersion(d: DescriptorState): number {
    if (d.checked !== this.epoch) {
      if (!sameBytes(this.dram, d.addr, d.bytes)) {
        this.decode(d);
        d.version++;
      }
      d.checked = this.epoch;
    }
    return d.version;
  }

  /** (Re)reads d from DRAM: geometry, and the WebAssembly tables where the gather runs there. */
  private decode(d: DescriptorState): void {
    let r: ReturnType<typeof readGatherDescriptor>;
    try {
      r = readGatherDescriptor(this.view, d.addr);
    } catch (e) {
      if (e instanceof TilecError) this.fault(e.message);
      throw e;
    }
    d.geo = r.geo;
    d.x = r.desc.x;
    d.padValue = r.desc.attrs.padValue;
    d.bytes = this.dram.slice(d.addr, d.addr + gatherDescriptorBytes(r.geo.spatial.length));
    d.tables = this.placeTables(d);
    // STOREs into the range holding every known descriptor bump the epoch.
    const end = d.addr + d.bytes.length;
    if (this.descHi === this.descLo) { this.descLo = d.addr; this.descHi = end; }
    else { this.descLo = Math.min(this.descLo, d.addr); this.descHi = Math.max(this.descHi, end); }
  }

  /** Writes d's gather tables into the WebAssembly memory, reusing d's previous area when it is large enough. */
  private placeTables(d: DescriptorState): GatherTables | undefined {
    const wasm = this.wasm;
    if (wasm === undefined || !wasmGatherFits(d.geo)) return undefined;
    const bytes = gatherTableBytes(d.geo);
    if (bytes > d.tableBytes) {
      if (this.tableNext + bytes > wasm.tablesOffset + wasm.tableBytes) return undefined; // area full: the TypeScript gather
      d.tableAt = this.tableNext;
      d.tableBytes = bytes;
      this.tableNext += bytes;
    }
    return writeGatherTables(d.geo, d.x, wasm.words.buffer, d.tableAt);
  }

  private preloadChecks(slot: number, source: 'zero' | 'broadcast' | 'tile', addr: number, stride: number, rows: number, cols: number): number {
    this.checkExtent('rows', rows);
    this.checkExtent('cols', cols);
    const base = this.checkAcc(slot);
    if (source === 'zero' && (addr !== 0 || stride !== 0)) this.fault('a zero PRELOAD must have dram and stride 0');
    if (source !== 'zero') this.checkDram('PRELOAD', addr, stride, rows, source === 'tile' ? 4 * cols : 4, 4);
    return base;
  }

  private preload(slot: number, source: 'zero' | 'broadcast' | 'tile', addr: number, stride: number, rows: number, cols: number): void {
    const base = this.preloadChecks(slot, source, addr, stride, rows, cols);
    const t = this.t, acc = this.acc, view = this.view;
    acc.fill(0, base, base + t * t);
    if (source === 'zero') return;
    for (let r = 0; r < rows; r++) {
      const s = addr + r * stride, d = base + r * t;
      if (source === 'broadcast') {
        const v = view.getInt32(s, true);
        for (let c = 0; c < cols; c++) acc[d + c] = v;
      } else {
        for (let c = 0; c < cols; c++) acc[d + c] = view.getInt32(s + 4 * c, true);
      }
    }
  }

  private matmulChecks(accSlot: number, aSlot: number, bSlot: number, m: number, n: number, k: number): void {
    this.checkExtent('m', m);
    this.checkExtent('n', n);
    this.checkExtent('k', k);
    this.checkAcc(accSlot);
    this.checkSpad(aSlot);
    this.checkSpad(bSlot);
  }

  private matmul(accSlot: number, aSlot: number, bSlot: number, m: number, n: number, k: number, accumulate: boolean): void {
    this.matmulChecks(accSlot, aSlot, bSlot, m, n, k);
    const tt = this.t * this.t, cBase = accSlot * tt, aBase = aSlot * tt, bBase = bSlot * tt;
    const t = this.t, spad = this.spad, acc = this.acc, sum = this.rowSum;
    for (let i = 0; i < m; i++) {
      sum.fill(0, 0, n);
      const aRow = aBase + i * t;
      for (let kk = 0; kk < k; kk++) {
        const av = spad[aRow + kk]!;
        if (av === 0) continue;
        const bRow = bBase + kk * t;
        for (let j = 0; j < n; j++) sum[j] += av * spad[bRow + j]!;
      }
      const cRow = cBase + i * t;
      if (!accumulate) acc.fill(0, cRow, cRow + n);
      if (this.faultOnOverflow) this.checkOverflow(cRow, n, accSlot, i);
      // Int32Array stores wrap modulo 2^32, as the hardware does.
      for (let j = 0; j < n; j++) acc[cRow + j] += sum[j]!;
    }
  }

  private checkOverflow(cRow: number, n: number, slot: number, i: number): void {
    for (let j = 0; j < n; j++) {
      const v = this.acc[cRow + j]! + this.rowSum[j]!;
      if (v > INT32_MAX || v < INT32_MIN) this.fault(`accumulator overflow: element (${i}, ${j}) of slot ${slot} would be ${v}, outside int32`);
    }
  }

  private storeChecks(slot: number, addr: number, stride: number, rows: number, cols: number, raw: boolean, table: number, perRow: boolean, qmin: number, qmax: number): number {
    this.checkExtent('rows', rows);
    this.checkExtent('cols', cols);
    const base = this.checkAcc(slot);
    const rowBytes = raw ? 4 * cols : cols;
    if (rows > 1 && stride < rowBytes) this.fault(`stride ${stride} is shorter than a row of ${rowBytes} bytes, so rows would overlap`);
    this.checkDram('STORE', addr, stride, rows, rowBytes, raw ? 4 : 1);
    if (!raw) {
      if (qmin > qmax) this.fault(`clamp qmin ${qmin} > qmax ${qmax}`);
      this.checkDram('STORE requant table', table, REQUANT_ENTRY_BYTES, perRow ? rows : 1, REQUANT_ENTRY_BYTES, 4);
    }
    return base;
  }

  private store(slot: number, addr: number, stride: number, rows: number, cols: number, raw: boolean, table: number, perRow: boolean, qmin: number, qmax: number): void {
    const base = this.storeChecks(slot, addr, stride, rows, cols, raw, table, perRow, qmin, qmax);
    this.watchStore(addr, stride, rows, raw ? 4 * cols : cols);
    const t = this.t, acc = this.acc, view = this.view;
    if (raw) {
      for (let r = 0; r < rows; r++) {
        const s = base + r * t, d = addr + r * stride;
        for (let c = 0; c < cols; c++) view.setInt32(d + 4 * c, acc[s + c]!, true);
      }
      return;
    }
    const out = this.dramI8;
    for (let r = 0; r < rows; r++) {
      const e = table + (perRow ? r * REQUANT_ENTRY_BYTES : 0);
      const multiplier = view.getInt32(e, true), shift = view.getInt32(e + 4, true), zeroPoint = view.getInt32(e + 8, true);
      this.checkRequantEntry(e);
      const s = base + r * t, d = addr + r * stride;
      for (let c = 0; c < cols; c++) out[d + c] = requantizeCode(acc[s + c]!, multiplier, shift, zeroPoint, qmin, qmax);
    }
  }

  /** STORE in WebAssembly after its static checks: the whole tile in one call. */
  private storeWasm(slot: number, addr: number, stride: number, rows: number, cols: number, raw: boolean, table: number, perRow: boolean, qmin: number, qmax: number): void {
    const wasm = this.wasm!;
    this.watchStore(addr, stride, rows, raw ? 4 * cols : cols);
    if (raw) {
      wasm.storeRaw(slot, addr, stride, rows, cols);
      return;
    }
    // It stops before a row whose table entry is bad; the fault is the reference's.
    const bad = wasm.storeRequant(slot, addr, stride, rows, cols, table, perRow, qmin, qmax);
    if (bad >= 0) this.checkRequantEntry(table + (perRow ? bad * REQUANT_ENTRY_BYTES : 0));
  }

  /** A store over a gather descriptor: its bytes are compared again before the next LOAD_IM2COL uses it. */
  private watchStore(addr: number, stride: number, rows: number, rowBytes: number): void {
    if (addr < this.descHi && addr + (rows - 1) * stride + rowBytes > this.descLo) this.epoch++;
  }

  /** Faults on a requant table entry at `e` whose multiplier is negative or whose shift is outside -31..30. */
  private checkRequantEntry(e: number): void {
    const view = this.view, multiplier = view.getInt32(e, true), shift = view.getInt32(e + 4, true);
    if (multiplier < 0) this.fault(`requant entry at ${hex(e)} has a negative multiplier ${multiplier}`);
    if (shift < -31 || shift > 30) this.fault(`requant entry at ${hex(e)} has shift ${shift}, outside -31..30`);
  }

  private host(fn: number, offset: number, length: number): number {
    const op = this.hostOps.get(fn);
    if (!op) this.fault(`host function ${fn} is not implemented by this machine`);
    const data = this.program.hostData;
    if (offset + length > data.length) this.fault(`operand block ${offset}+${length} lies beyond the ${data.length} bytes of host data`);
    try {
      return op.run({ dram: this.dram, view: this.view, operands: data.subarray(offset, offset + length), index: this.index });
    } catch (e) {
      if (e instanceof TilecError) this.fault(`${op.name}: ${e.message}`);
      throw e;
    }
  }
}

/** A gather descriptor as last decoded from DRAM (see TileMachine.descriptorAt). */
interface DescriptorState {
  readonly addr: number;
  /** Its bytes when decoded. */
  bytes: Uint8Array;
  /** The epoch in which `bytes` were last found equal to DRAM. */
  checked: number;
  /** Counts the changes of `bytes`; a CachedGather holds the version it was computed for. */
  version: number;
  geo: Im2ColGeometry;
  x: number;
  padValue: number;
  /** Its WebAssembly gather tables, or undefined: the TypeScript gather (kernels 'ts', or no room for them). */
  tables: GatherTables | undefined;
  /** Its area of the table memory (reused when a new geometry fits), or -1. */
  tableAt: number;
  tableBytes: number;
}

/** The first position of sorted `list` whose value is >= v (list.length if none). */
function firstAtOrAfter(list: Int32Array, v: number): number {
  let a = 0, b = list.length;
  while (a < b) { const m = (a + b) >>> 1; if (list[m]! < v) a = m + 1; else b = m; }
  return a;
}

/** LOAD_IM2COL's resolved gather (see TileMachine.gatherOf). */
interface CachedGather {
  readonly desc: DescriptorState;
  /** desc.version when this was computed. */
  readonly version: number;
  /** The x offsets (or -1) of the tile's elements for the TypeScript gather; undefined beyond MAX_GATHER_CACHE_ENTRIES (recomputed). */
  readonly table: Int32Array | undefined;
  readonly footprint: GatherFootprint;
}

/** Table bytes reserved beyond those of the program's constant descriptors, for descriptors a run rewrites. */
const GATHER_TABLE_SLACK = 1 << 16;

/** Gather-table entries (int32) a machine keeps: 64 MiB; later LOAD_IM2COLs recompute their sources each run. */
const MAX_GATHER_CACHE_ENTRIES = 16 * 2 ** 20;

function sameBytes(dram: Uint8Array, at: number, bytes: Uint8Array): boolean {
  if (at + bytes.length > dram.length) return false;
  for (let i = 0; i < bytes.length; i++) if (dram[at + i] !== bytes[i]) return false;
  return true;
}

/** A growable list of numbers, reused from run to run. */
class DynamicTrace {
  values = new Float64Array(64);
  length = 0;

  reset(): void { this.length = 0; }

  private room(n: number): void {
    if (this.length + n <= this.values.length) return;
    const grown = new Float64Array(Math.max(2 * this.values.length, this.length + n));
    grown.set(this.values.subarray(0, this.length));
    this.values = grown;
  }

  push1(a: number): void {
    if (this.length + 1 > this.values.length) this.room(1);
    this.values[this.length++] = a;
  }

  push3(a: number, b: number, c: number): void {
    if (this.length + 3 > this.values.length) this.room(3);
    const v = this.values, n = this.length;
    v[n] = a; v[n + 1] = b; v[n + 2] = c;
    this.length = n + 3;
  }

  copy(): Float64Array { return this.values.slice(0, this.length); }

  equals(other: Float64Array): boolean {
    if (other.length !== this.length) return false;
    const v = this.values;
    for (let i = 0; i < other.length; i++) if (v[i] !== other[i]) return false;
    return true;
  }
}

/**
 * What a machine for `program` allocates besides DRAM: only the scratchpad and accumulator slots the program
 * names (an unlimited or huge memory stays cheap; a slot at or beyond capacity faults before it is touched),
 * and the LOAD_IM2COL table bytes. The two-thread runner sizes each participant's regions with it.
 */
export function machineSizes(program: TileProgram): { spadBytes: number; accWords: number; tableBytes: number } {
  const used = slotsUsed(program.code), tt = program.target.tile ** 2;
  return {
    spadBytes: Math.min(scratchpadSlots(program.target), used.spad) * tt,
    accWords: Math.min(accumulatorSlots(program.target), used.acc) * tt,
    tableBytes: programGatherTableBytes(program, GATHER_TABLE_SLACK),
  };
}

/** Highest scratchpad and accumulator slot (plus one) any instruction names. */
export function slotsUsed(code: Uint8Array): { spad: number; acc: number } {
  const v = new DataView(code.buffer, code.byteOffset, code.byteLength);
  let spad = 0, acc = 0;
  for (let o = 0; o < code.length; o += INSTRUCTION_BYTES) {
    const op = v.getUint8(o), f0 = v.getUint32(o + 8, true);
    if (op === OP.LOAD || op === OP.LOAD_IM2COL) spad = Math.max(spad, f0 + 1);
    else if (op === OP.PRELOAD || op === OP.STORE) acc = Math.max(acc, f0 + 1);
    else if (op === OP.MATMUL) {
      acc = Math.max(acc, f0 + 1);
      spad = Math.max(spad, v.getUint32(o + 12, true) + 1, v.getUint32(o + 16, true) + 1);
    }
  }
  return { spad, acc };
}

/** Runs a program on fresh memory with the given inputs; returns every output tensor and the counters. */
export function runTileProgram(program: TileProgram, inputs: ReadonlyMap<string, ArrayLike<number>>, options?: TileMachineOptions): { outputs: Map<string, Tensor>; counters: CostCounters } {
  const m = new TileMachine(program, options);
  for (const [name, values] of inputs) m.writeTensor(name, values);
  const counters = m.run();
  const outputs = new Map<string, Tensor>();
  for (const e of program.tensors) if (e.role === 'output') outputs.set(e.name, m.readTensor(e.name));
  return { outputs, counters };
}
