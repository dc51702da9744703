import { invariant } from '../../../ir/errors.js';
import { MATMUL_WASM_BASE64 } from './kernels-wasm.js';
import { columnEntry, rowEntry, swizzleEntry, type GatherTables } from '../gather-tables.js';

// The WebAssembly side of the tile machine: one memory holding the scratchpad, the accumulator and the
// kernel's working space, and the SIMD128 MATMUL of matmul.wat. The TypeScript MATMUL in machine.ts stays
// the reference; tests run both on the same programs and require identical memories and counters.

let compiled: WebAssembly.Module | undefined;

/** The compiled module, once per process (a small module: synchronous compilation is fine). */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(MATMUL_WASM_BASE64, 'base64'));
  return compiled;
}

type MatmulExport = (c: number, a: number, b: number, t: number, m: number, n: number, k: number, accumulate: number, pack: number, tmp: number, keyAt: number) => void;
type LoadExport = (spad: number, src: number, stride: number, rows: number, cols: number, t: number) => void;
type GatherIm2colExport = (dst: number, t: number, rows: number, cols: number, rowTab: number, colTab: number, colStride: number, col0: number, pad: number, tmp: number, idxTab: number, limit: number) => void;
type StoreRequantExport = (acc: number, t: number, dst: number, stride: number, rows: number, cols: number, table: number, perRow: number, qmin: number, qmax: number, tmp: number) => number;
type StoreRawExport = (acc: number, t: number, dst: number, stride: number, rows: number, cols: number) => void;
type PreloadExport = (acc: number, t: number, src: number, stride: number, rows: number, cols: number, mode: number) => void;
type RunBlockExport = (code: number, from: number, to: number, t: number, spad: number, acc: number, pack: number, tmp: number, packs: number, keys: number, packBytes: number, badAt: number, limit: number) => number;

let probe: WasmTileMemory | undefined;

/** WebAssembly memory is 32-bit: at most 65536 pages of 64 KiB. */
const MAX_PAGES = 65536;

/**
 * The kernel's requantization of one value (what STORE applies), for tests that hold it equal to ir/arith
 * requantize. multiplier >= 0 and shift in -31..30, as STORE checks.
 */
export function wasmRequantize(x: number, multiplier: number, shift: number, zeroPoint: number, qmin: number, qmax: number): number {
  // One 1×1 STORE: the table entry at DRAM 0, the result at DRAM 12.
  probe ??= WasmTileMemory.create(1, 16, 1, 1, 0)!;
  probe.acc[0] = x;
  const view = new DataView(probe.dram.buffer, probe.dram.byteOffset, 16);
  view.setInt32(0, multiplier, true);
  view.setInt32(4, shift, true);
  view.setInt32(8, zeroPoint, true);
  invariant(probe.storeRequant(0, 12, 1, 1, 1, 0, false, qmin, qmax) === -1, `wasmRequantize: multiplier ${multiplier} or shift ${shift} out of range`);
  return view.getInt8(12);
}

const PAGE = 65536;
/** Bytes the kernel may read past a tile row (one v128 load), rounded up. */
const OVERREAD = 64;
const align = (v: number, to: number): number => Math.ceil(v / to) * to;

/** The layout of one machine's WebAssembly memory (byte offsets). */
interface Layout {
  readonly spad: number; readonly acc: number; readonly pack: number; readonly tmp: number; readonly tables: number;
  /** Per scratchpad slot a packed-B area (packBytes each, from `packs`) and its int32 key (from `keys`); packs = 0: none. */
  readonly packs: number; readonly keys: number; readonly packBytes: number;
  /** A copy of the program's code for runBlock (code = 0: none), one int32 for its bad row, and 32-byte gather records (one per LOAD_IM2COL). */
  readonly code: number; readonly badAt: number; readonly records: number;
  readonly pages: number;
}

const LOAD_IM2COL_OPCODE = 0x06;

/** How many LOAD_IM2COLs `code` holds. */
function countGathers(code: Uint8Array): number {
  let n = 0;
  for (let o = 0; o < code.length; o += 32) if (code[o] === LOAD_IM2COL_OPCODE) n++;
  return n;
}

/** Programs up to this size are copied into the memory so that runs of instructions execute in one call. */
const MAX_CODE_COPY_BYTES = 256 * 2 ** 20;

/** Packed-B areas per scratchpad slot are kept up to this many bytes (beyond it every MATMUL packs afresh). */
const MAX_PACK_CACHE_BYTES = 256 * 2 ** 20;

function layout(t: number, dramBytes: number, spadBytes: number, accWords: number, tableBytes: number, packCache: boolean, codeBytes: number, recordBytes: number): Layout {
  const spad = align(dramBytes + OVERREAD, 16);
  const acc = align(spad + spadBytes + OVERREAD, 16);
  // Packed B: ceil(t/2) k-pairs × 64·ceil(t/16) bytes; then 64 bytes for a partial column group (or a partial gathered row).
  const pack = align(acc + 4 * accWords + OVERREAD, 16);
  const packBytes = Math.ceil(t / 2) * 64 * Math.ceil(t / 16);
  const tmp = pack + packBytes;
  // Then the LOAD_IM2COL tables (runtime/tile/gather-tables.ts), 16-byte aligned.
  const tables = tmp + 64;
  // Then, when it fits, each scratchpad slot's packed B (a B slot used by several MATMULs is packed once).
  const slots = Math.floor(spadBytes / (t * t));
  const cache = packCache && slots * packBytes <= MAX_PACK_CACHE_BYTES;
  const keys = align(tables + tableBytes, 16), packs = cache ? align(keys + 4 * slots, 16) : 0;
  const badAt = align(cache ? packs + slots * packBytes : keys + 4 * slots, 16);
  const code = codeBytes > 0 ? badAt + 16 : 0, records = badAt + 16 + codeBytes;
  const end = records + (codeBytes > 0 ? recordBytes : 0);
  return { spad, acc, pack, tmp, tables, packs, keys, packBytes, code, badAt, records, pages: Math.max(1, Math.ceil(end / PAGE)) };
}

/** createIn's layout from byte `base` of the caller's memory: with the packed-B cache, and `code` copied whole when given. */
function layoutIn(t: number, base: number, spadBytes: number, accWords: number, tableBytes: number, code: Uint8Array | undefined): Layout {
  const codeBytes = code?.length ?? 0;
  return layout(t, base, spadBytes, accWords, align(tableBytes, 16), true, codeBytes, codeBytes > 0 ? 32 * countGathers(code!) : 0);
}

/**
 * DRAM (at offset 0), scratchpad and accumulator in one WebAssembly memory, with the kernels over them:
 * the SIMD MATMUL, LOAD, and STORE's requantization.
 */
export class WasmTileMemory {
  /** DRAM: bytes 0..dramBytes-1 of the memory, so DRAM addresses are memory addresses. */
  readonly dram: Uint8Array;
  readonly spad: Int8Array;
  readonly acc: Int32Array;
  private readonly matmulFn: MatmulExport;
  private readonly loadFn: LoadExport;
  private readonly spadOffset: number;
  private readonly accOffset: number;
  private readonly pack: number;
  private readonly tmp: number;
  private readonly packs: number;
  private readonly runBlockFn: RunBlockExport;
  /** Where the code copy is (0: none) and the int32 runBlock leaves a bad row in. */
  private readonly codeOffset: number;
  private readonly badAt: number;
  /** The highest address a 16-byte load may start at (as an int32 bit pattern: compared unsigned in wasm). */
  private readonly windowLimit: number;
  private readonly keysOffset: number;
  private readonly packBytes: number;
  /** Per scratchpad slot, the k·65536 + n its packed B was packed for (0: not packed); see matmul.wat. */
  private readonly packKeys: Int32Array;
  private readonly tt: number;
  private readonly gatherIm2colFn: GatherIm2colExport;
  private readonly storeRequantFn: StoreRequantExport;
  private readonly storeRawFn: StoreRawExport;
  private readonly preloadFn: PreloadExport;
  /** The LOAD_IM2COL table area: `tableBytes` bytes from byte offset `tablesOffset` (16-byte aligned). */
  readonly tablesOffset: number;
  readonly tableBytes: number;
  /** The whole memory as int32 words (for writing the tables). */
  readonly words: Int32Array;

  /**
   * A memory for `dramBytes` of DRAM, `spadBytes` int8 scratchpad, `accWords` int32 accumulator and `tableBytes`
   * of LOAD_IM2COL tables; undefined when it exceeds 4 GiB.
   */
  static create(t: number, dramBytes: number, spadBytes: number, accWords: number, tableBytes = 0, code?: Uint8Array): WasmTileMemory | undefined {
    const tables = align(tableBytes, 16), codeBytes = code !== undefined && code.length <= MAX_CODE_COPY_BYTES ? code.length : 0;
    const gathers = codeBytes > 0 ? countGathers(code!) : 0;
    // What does not fit is dropped: first the code copy (each instruction is then its own call), then the
    // packed-B cache, then the tables (LOAD_IM2COL then takes the TypeScript path); the rest still runs here.
    for (const [tb, cache, cb] of [[tables, true, codeBytes], [tables, true, 0], [tables, false, 0], [0, false, 0]] as const) {
      const l = layout(t, dramBytes, spadBytes, accWords, tb, cache, cb, 32 * gathers);
      if (l.pages > MAX_PAGES) continue;
      const m = new WasmTileMemory(t, l, dramBytes, spadBytes, accWords, tb);
      if (cb > 0) m.copyCode(l, code!);
      return m;
    }
    return undefined;
  }

  /**
   * A machine's regions inside a memory the caller owns (the two-thread runner's shared memory, where DRAM
   * is common and every worker has its own scratchpad, accumulator and tables): they start at or after byte
   * `base` and end before regionEnd(...). `module` must import that memory as it was declared (shared or not).
   */
  static createIn(memory: WebAssembly.Memory, module: WebAssembly.Module, t: number, dramBytes: number, base: number, spadBytes: number, accWords: number, tableBytes: number, code?: Uint8Array): WasmTileMemory {
    const l = layoutIn(t, base, spadBytes, accWords, tableBytes, code);
    const m = new WasmTileMemory(t, l, dramBytes, spadBytes, accWords, align(tableBytes, 16), memory, module);
    if (l.code !== 0) m.copyCode(l, code!);
    return m;
  }

  /** A byte (page-aligned) after the regions createIn(…, base, spadBytes, accWords, tableBytes, code) uses. */
  static regionEnd(t: number, base: number, spadBytes: number, accWords: number, tableBytes: number, code?: Uint8Array): number {
    return layoutIn(t, base, spadBytes, accWords, tableBytes, code).pages * PAGE;
  }

  /** Copies the code in for runBlock, with each LOAD_IM2COL's record address in its reserved bytes 24..27 (in this copy only). */
  private copyCode(l: Layout, code: Uint8Array): void {
    new Uint8Array(this.words.buffer, l.code, code.length).set(code);
    for (let o = 0, r = l.records; o < code.length; o += 32) {
      if (code[o] === LOAD_IM2COL_OPCODE) { this.words[(l.code + o + 24) / 4] = r; r += 32; }
    }
  }

  private constructor(readonly t: number, l: Layout, dramBytes: number, spadBytes: number, accWords: number, tableBytes: number, given?: WebAssembly.Memory, module?: WebAssembly.Module) {
    this.tt = t * t;
    const memory = given ?? new WebAssembly.Memory({ initial: l.pages });
    const instance = new WebAssembly.Instance(module ?? kernelModule(), { env: { memory } });
    this.matmulFn = instance.exports.matmul as MatmulExport;
    this.loadFn = instance.exports.load as LoadExport;
    this.gatherIm2colFn = instance.exports.gatherIm2col as GatherIm2colExport;
    this.storeRequantFn = instance.exports.storeRequant as StoreRequantExport;
    this.storeRawFn = instance.exports.storeRaw as StoreRawExport;
    this.preloadFn = instance.exports.preload as PreloadExport;
    this.tablesOffset = l.tables;
    this.tableBytes = tableBytes;
    this.words = new Int32Array(memory.buffer);
    // The memory never grows, so these views stay valid.
    this.dram = new Uint8Array(memory.buffer, 0, dramBytes);
    this.spad = new Int8Array(memory.buffer, l.spad, spadBytes);
    this.acc = new Int32Array(memory.buffer, l.acc, accWords);
    this.spadOffset = l.spad;
    this.accOffset = l.acc;
    this.pack = l.pack;
    this.tmp = l.tmp;
    this.packs = l.packs;
    this.runBlockFn = instance.exports.runBlock as RunBlockExport;
    this.codeOffset = l.code;
    this.badAt = l.badAt;
    this.windowLimit = (memory.buffer.byteLength - 16) | 0;
    this.keysOffset = l.keys;
    this.packBytes = l.packBytes;
    this.packKeys = new Int32Array(memory.buffer, l.keys, l.packs === 0 ? 0 : Math.floor(spadBytes / (t * t)));
  }

  /** spad[slot] ← zeros, then rows×cols bytes from DRAM `addr`, rows `stride` apart (checked by the caller). */
  load(slot: number, addr: number, stride: number, rows: number, cols: number): void {
    this.spadWritten(slot);
    this.loadFn(this.spadOffset + slot * this.tt, addr, stride, rows, cols, this.t);
  }

  /** Whether the program's code was copied in, so that runBlock can run. */
  get hasCode(): boolean {
    return this.codeOffset !== 0;
  }

  /**
   * Runs instructions from..to−1, each a checked LOAD, PRELOAD, MATMUL, STORE or FENCE (see matmul.wat,
   * runBlock), in one call. Returns −1, or the index of a requantizing STORE whose table entry for row
   * `badRow()` is bad (it stopped there, as the instruction-by-instruction path does).
   */
  runBlock(from: number, to: number): number {
    return this.runBlockFn(this.codeOffset, from, to, this.t, this.spadOffset, this.accOffset, this.pack, this.tmp, this.packs, this.keysOffset, this.packBytes, this.badAt, this.windowLimit);
  }

  /**
   * Fills the gather record of LOAD_IM2COL `index` (see runBlock in matmul.wat) with gatherIm2col's operands
   * for this run: the tile at row0, col0 of the descriptor whose tables are `tables`.
   */
  setGatherRecord(index: number, tables: GatherTables, row0: number, col0: number, padValue: number): void {
    const r = this.words[(this.codeOffset + 32 * index + 24) / 4]! / 4, words = this.words;
    words[r] = rowEntry(tables, row0);
    words[r + 1] = columnEntry(tables, col0);
    words[r + 2] = tables.colStride;
    words[r + 3] = col0;
    words[r + 4] = padValue;
    words[r + 5] = swizzleEntry(tables, col0);
  }

  /** The row runBlock's faulting STORE stopped at. */
  badRow(): number {
    return this.words[this.badAt / 4]!;
  }

  /** Scratchpad slot `slot` changed (any writer must say so): its packed B is stale. */
  spadWritten(slot: number): void {
    if (slot < this.packKeys.length) this.packKeys[slot] = 0;
  }

  /** The whole scratchpad changed. */
  spadReset(): void {
    this.packKeys.fill(0);
  }

  /** acc[accSlot] (+)= spad[aSlot](m×k) · spad[bSlot](k×n), exactly as the TypeScript reference. Slots are checked by the caller. */
  matmul(accSlot: number, aSlot: number, bSlot: number, m: number, n: number, k: number, accumulate: boolean): void {
    const tt = this.tt;
    const cached = this.packs !== 0;
    this.matmulFn(this.accOffset + 4 * accSlot * tt, this.spadOffset + aSlot * tt, this.spadOffset + bSlot * tt, this.t, m, n, k, accumulate ? 1 : 0,
      cached ? this.packs + bSlot * this.packBytes : this.pack, this.tmp, cached ? this.keysOffset + 4 * bSlot : 0);
  }

  /**
   * LOAD_IM2COL: spad[slot] ← zeros, then the rows×cols tile at row0, col0 of a descriptor whose tables
   * (runtime/tile/gather-tables.ts) are `tables`.
   */
  gatherIm2col(slot: number, rows: number, cols: number, tables: GatherTables, row0: number, col0: number, padValue: number): void {
    this.spadWritten(slot);
    this.gatherIm2colFn(this.spadOffset + slot * this.tt, this.t, rows, cols, rowEntry(tables, row0), columnEntry(tables, col0), tables.colStride,
      col0, padValue, this.tmp, swizzleEntry(tables, col0), this.windowLimit);
  }

  /**
   * STORE requant of a whole tile straight into DRAM (addresses and table range checked by the caller).
   * Returns -1, or the row whose table entry has a negative multiplier or a shift outside -31..30 (rows
   * before it are written, as the reference does).
   */
  storeRequant(slot: number, addr: number, stride: number, rows: number, cols: number, table: number, perRow: boolean, qmin: number, qmax: number): number {
    return this.storeRequantFn(this.accOffset + 4 * slot * this.tt, this.t, addr, stride, rows, cols, table, perRow ? 1 : 0, qmin, qmax, this.tmp);
  }

  /** STORE raw32 of a whole tile into DRAM (checked by the caller). */
  storeRaw(slot: number, addr: number, stride: number, rows: number, cols: number): void {
    this.storeRawFn(this.accOffset + 4 * slot * this.tt, this.t, addr, stride, rows, cols);
  }

  /** PRELOAD: mode 0 zero, 1 broadcast, 2 tile (checked by the caller). */
  preload(slot: number, mode: 0 | 1 | 2, addr: number, stride: number, rows: number, cols: number): void {
    this.preloadFn(this.accOffset + 4 * slot * this.tt, this.t, addr, stride, rows, cols, mode);
  }
}
