import type { DType } from '../ir/dtype.js';
import type { QuantParams } from '../ir/graph.js';
import { fail, invariant } from '../ir/errors.js';
import { validateTarget, type Target } from './target.js';
import {
  INSTRUCTION_BYTES, OP, MATMUL_ACCUMULATE, REQUANT_ENTRY_BYTES, PRELOAD_BROADCAST, PRELOAD_ZERO, STORE_PER_ROW, STORE_RAW32,
  encodeInstruction, decodeInstruction, type Instruction, type PreloadSource, type StoreMode, type TileSink,
} from './isa.js';

// A tile program in memory: what .tbin and .tasm both encode (docs/isa.md, "Program format").

export const TENSOR_ROLES = ['input', 'output', 'weight', 'bias', 'requant', 'activation', 'scratch'] as const;
export type TensorRole = (typeof TENSOR_ROLES)[number];

/** A named dense row-major region of DRAM. */
export interface TensorEntry {
  readonly name: string;
  readonly role: TensorRole;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Byte offset in DRAM. */
  readonly addr: number;
  readonly quant?: QuantParams;
}

export const CONSTANT_KINDS = ['bytes', 'int8', 'int32', 'requant'] as const;
export type ConstantKind = (typeof CONSTANT_KINDS)[number];

/** Bytes the machine copies into DRAM at `addr` before the program runs (weights, biases, requant tables). */
export interface ConstantBlob {
  readonly name: string;
  readonly kind: ConstantKind;
  readonly addr: number;
  readonly data: Uint8Array;
}

export interface TileProgram {
  readonly target: Target;
  /** Size of the DRAM the program addresses (every tensor, constant and access lies below it). */
  readonly dramBytes: number;
  readonly tensors: readonly TensorEntry[];
  readonly constants: readonly ConstantBlob[];
  /** Operand blocks of HOST instructions, addressed by (offset, length). */
  readonly hostData: Uint8Array;
  /** Instruction words, INSTRUCTION_BYTES each. */
  readonly code: Uint8Array;
}

export const instructionCount = (p: TileProgram): number => p.code.length / INSTRUCTION_BYTES;

/**
 * Every instruction decoded and checked canonical (for printing and inspection; the machine reads the words
 * directly). Errors start with `${prefix}${index}`, e.g. prefix "tbin 'x.tbin': instruction ".
 */
export function decodeCode(code: Uint8Array, prefix: string): Instruction[] {
  if (code.length % INSTRUCTION_BYTES !== 0) fail(`${prefix.trimEnd()}s: code is ${code.length} bytes, not a multiple of ${INSTRUCTION_BYTES}`);
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const out: Instruction[] = [];
  for (let i = 0; i * INSTRUCTION_BYTES < code.length; i++) out.push(decodeInstruction(view, i * INSTRUCTION_BYTES, prefix, i));
  return out;
}

/**
 * Appends instruction words to a growable buffer. The typed methods write fields directly (the tiler emits
 * hundreds of thousands of words); `emit` takes a decoded Instruction (the assembler).
 */
export class CodeBuilder implements TileSink {
  // Words live in pages that are never copied while building (ResNet-50 has ~1.7 million words, 55 MB: a
  // doubling buffer would copy and re-zero all of it several times); bytes() concatenates them once.
  // Pages start small (most builders hold a few words) and double up to PAGE_MAX_WORDS.
  private readonly full: Uint8Array[] = [];
  private page = new Uint8Array(INSTRUCTION_BYTES * 256);
  private view = new DataView(this.page.buffer);
  /** Words in the current page. */
  private used = 0;
  private n = 0;

  /** Number of instructions so far. */
  get length(): number { return this.n; }

  /** The words so far (a copy). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.n * INSTRUCTION_BYTES);
    let at = 0;
    for (const p of this.full) { out.set(p, at); at += p.length; }
    out.set(this.page.subarray(0, this.used * INSTRUCTION_BYTES), at);
    return out;
  }

  /**
   * The words so far without a copy when they are in one page (a reserve()d emission), else bytes(). The
   * builder must not be used afterwards: the result may be its page.
   */
  take(): Uint8Array {
    return this.full.length === 0 ? this.page.subarray(0, this.used * INSTRUCTION_BYTES) : this.bytes();
  }

  /**
   * Room for `words` more words in the current page, so that an emission whose size is known (the emitter's
   * plans count their instructions) ends in one page that take() hands over: no pages concatenated into a
   * second copy of tens of MB.
   */
  reserve(words: number): void {
    if ((this.used + words) * INSTRUCTION_BYTES <= this.page.length) return;
    if (this.used > 0) this.full.push(this.page.subarray(0, this.used * INSTRUCTION_BYTES));
    this.page = new Uint8Array(words * INSTRUCTION_BYTES);
    this.view = new DataView(this.page.buffer);
    this.used = 0;
  }

  /** Appends pre-encoded words (e.g. a chosen schedule recorded into a scratch builder). */
  append(words: Uint8Array): void {
    invariant(words.length % INSTRUCTION_BYTES === 0, 'append: partial instruction word');
    for (let from = 0; from < words.length;) {
      if (this.used * INSTRUCTION_BYTES === this.page.length) this.newPage();
      const take = Math.min(words.length - from, this.page.length - this.used * INSTRUCTION_BYTES);
      this.page.set(words.subarray(from, from + take), this.used * INSTRUCTION_BYTES);
      this.used += take / INSTRUCTION_BYTES;
      this.n += take / INSTRUCTION_BYTES;
      from += take;
    }
  }

  emit(ins: Instruction): void {
    // next() may grow the buffer and replace this.view: take the offset first, then read the view.
    const at = this.next();
    encodeInstruction(ins, this.view, at);
  }

  load(spad: number, dram: number, stride: number, rows: number, cols: number): void {
    this.word(OP.LOAD, 0, rows, cols, 0, spad, dram, stride, 0);
  }

  preload(acc: number, source: PreloadSource, dram: number, stride: number, rows: number, cols: number): void {
    const flags = source === 'zero' ? PRELOAD_ZERO : source === 'broadcast' ? PRELOAD_BROADCAST : 0;
    this.word(OP.PRELOAD, flags, rows, cols, 0, acc, source === 'zero' ? 0 : dram, source === 'zero' ? 0 : stride, 0);
  }

  matmul(acc: number, a: number, b: number, m: number, n: number, k: number, accumulate: boolean): void {
    this.word(OP.MATMUL, accumulate ? MATMUL_ACCUMULATE : 0, m, n, k, acc, a, b, 0);
  }

  store(acc: number, dram: number, stride: number, rows: number, cols: number, mode: StoreMode, table: number, perRow: boolean, qmin: number, qmax: number): void {
    if (mode === 'raw32') {
      this.word(OP.STORE, STORE_RAW32, rows, cols, 0, acc, dram, stride, 0);
    } else {
      invariant(qmin >= -128 && qmin <= qmax && qmax <= 127, `STORE clamp [${qmin}, ${qmax}] is not an int8 range`);
      this.word(OP.STORE, perRow ? STORE_PER_ROW : 0, rows, cols, (qmin & 0xff) | ((qmax & 0xff) << 8), acc, dram, stride, table);
    }
  }

  fence(): void {
    this.word(OP.FENCE, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  loadIm2col(spad: number, desc: number, row0: number, col0: number, rows: number, cols: number): void {
    this.word(OP.LOAD_IM2COL, 0, rows, cols, 0, spad, desc, row0, col0);
  }

  host(fn: number, offset: number, length: number): void {
    this.emit({ op: 'HOST', fn, offset, length });
  }

  private word(opcode: number, flags: number, rows: number, cols: number, aux: number, f0: number, f1: number, f2: number, f3: number): void {
    // The emitters pass values the tiler computed; a field out of range is a tilec bug, caught here.
    invariant(rows <= 0xffff && cols <= 0xffff && aux <= 0xffff, 'instruction field exceeds 16 bits');
    invariant(f0 <= 0xffffffff && f1 <= 0xffffffff && f2 <= 0xffffffff && f3 <= 0xffffffff, 'instruction operand exceeds 32 bits (DRAM above 4 GiB?)');
    const o = this.next();
    const v = this.view;
    v.setUint8(o, opcode);
    v.setUint8(o + 1, flags);
    v.setUint16(o + 2, rows, true);
    v.setUint16(o + 4, cols, true);
    v.setUint16(o + 6, aux, true);
    v.setUint32(o + 8, f0, true);
    v.setUint32(o + 12, f1, true);
    v.setUint32(o + 16, f2, true);
    v.setUint32(o + 20, f3, true);
  }

  /** Byte offset of a new word in the current page (zeroed: its reserved bytes stay 0). */
  private next(): number {
    if (this.used * INSTRUCTION_BYTES === this.page.length) this.newPage();
    this.n++;
    return this.used++ * INSTRUCTION_BYTES;
  }

  private newPage(): void {
    this.full.push(this.page);
    this.page = new Uint8Array(Math.min(this.page.length * 2, PAGE_MAX_WORDS * INSTRUCTION_BYTES));
    this.view = new DataView(this.page.buffer);
    this.used = 0;
  }
}

/** Largest CodeBuilder page: 32768 words, 1 MiB. */
const PAGE_MAX_WORDS = 32768;

/** Bytes per element of a tensor stored in DRAM. */
export function dtypeBytes(d: DType): number {
  switch (d) {
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'int16': case 'uint16': return 2;
    case 'int32': case 'float32': return 4;
    case 'float64': case 'int64': return 8;
  }
}

const CONSTANT_UNIT: Readonly<Record<ConstantKind, number>> = { bytes: 1, int8: 1, int32: 4, requant: REQUANT_ENTRY_BYTES };

/**
 * Program-level checks shared by the .tbin/.tasm readers and the machine: the target is valid, every tensor
 * and constant lies inside DRAM, names are unique, constant sizes match their kind. `where` names the file.
 */
export function validateProgram(p: TileProgram, where: string): void {
  validateTarget(p.target, p.target.name, `${where}: target`);
  if (!Number.isInteger(p.dramBytes) || p.dramBytes < 0 || p.dramBytes > 0xffffffff) fail(`${where}: DRAM size ${p.dramBytes} must be an integer in 0..4294967295`);
  if (p.code.length % INSTRUCTION_BYTES !== 0) fail(`${where}: code is ${p.code.length} bytes, not a multiple of ${INSTRUCTION_BYTES}`);
  const names = new Set<string>();
  for (const t of p.tensors) {
    if (names.has(t.name)) fail(`${where}: tensor '${t.name}' appears twice in the tensor table`);
    names.add(t.name);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`${where}: tensor '${t.name}' has a bad shape [${t.shape.join(',')}]`);
    const bytes = t.shape.reduce((a, b) => a * b, 1) * dtypeBytes(t.dtype);
    if (!Number.isInteger(t.addr) || t.addr < 0 || t.addr + bytes > p.dramBytes) {
      fail(`${where}: tensor '${t.name}' (${bytes} bytes at ${hex(t.addr)}) does not fit in DRAM of ${p.dramBytes} bytes`);
    }
    if (t.shape.length > 255) fail(`${where}: tensor '${t.name}' has rank ${t.shape.length}, more than 255`);
    if (t.quant) checkQuant(t.quant, `${where}: tensor '${t.name}'`, t.shape.length);
  }
  for (const c of p.constants) {
    if (!Number.isInteger(c.addr) || c.addr < 0 || c.addr + c.data.length > p.dramBytes) {
      fail(`${where}: constant '${c.name}' (${c.data.length} bytes at ${hex(c.addr)}) does not fit in DRAM of ${p.dramBytes} bytes`);
    }
    const unit = CONSTANT_UNIT[c.kind];
    if (c.data.length % unit !== 0) fail(`${where}: constant '${c.name}' of kind ${c.kind} has ${c.data.length} bytes, not a multiple of ${unit}`);
    if (unit > 1 && c.addr % 4 !== 0) fail(`${where}: constant '${c.name}' of kind ${c.kind} must be 4-byte aligned, is at ${hex(c.addr)}`);
  }
}

function checkQuant(q: QuantParams, who: string, rank: number): void {
  if (q.scale.length === 0 || q.scale.length !== q.zeroPoint.length) fail(`${who} has ${q.scale.length} scales but ${q.zeroPoint.length} zero points`);
  if (!q.scale.every((s) => Number.isFinite(s) && s > 0)) fail(`${who}: quant scales must be finite and > 0, got [${q.scale.join(',')}]`);
  if (!q.zeroPoint.every((z) => Number.isInteger(z) && z >= -2147483648 && z <= 2147483647)) fail(`${who}: quant zero points must be int32, got [${q.zeroPoint.join(',')}]`);
  if (!Number.isInteger(q.bits) || q.bits < 1 || q.bits > 32) fail(`${who}: quant bits must be in 1..32, got ${q.bits}`);
  if (q.axis !== undefined && (!Number.isInteger(q.axis) || q.axis < 0 || q.axis >= Math.max(rank, 1))) fail(`${who}: quant axis ${q.axis} is outside 0..${rank - 1}`);
}

export const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/** int32 values as little-endian bytes (a bias constant). */
export function int32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    invariant(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647, `int32 constant value ${v} is not an int32`);
    view.setInt32(4 * i, v, true);
  }
  return out;
}

export interface RequantEntry {
  readonly multiplier: number;
  readonly shift: number;
  readonly zeroPoint: number;
}

/** A requant table constant: one REQUANT_ENTRY_BYTES entry per output row (or one per tensor). */
export function requantTableBytes(entries: readonly RequantEntry[]): Uint8Array {
  const out = new Uint8Array(REQUANT_ENTRY_BYTES * entries.length);
  const view = new DataView(out.buffer);
  entries.forEach((e, i) => {
    invariant(Number.isInteger(e.multiplier) && e.multiplier >= 0 && e.multiplier <= 2147483647, `requant multiplier ${e.multiplier} is outside 0..2^31-1`);
    invariant(Number.isInteger(e.shift) && e.shift >= -31 && e.shift <= 30, `requant shift ${e.shift} is outside -31..30`);
    view.setInt32(REQUANT_ENTRY_BYTES * i, e.multiplier, true);
    view.setInt32(REQUANT_ENTRY_BYTES * i + 4, e.shift, true);
    view.setInt32(REQUANT_ENTRY_BYTES * i + 8, e.zeroPoint, true);
  });
  return out;
}
