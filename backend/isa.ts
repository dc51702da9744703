import { fail } from '../ir/errors.js';
import type { GatherFootprint } from './gather.js';

// The tile ISA: fixed 32-byte little-endian instruction words. docs/isa.md is the specification (fields,
// semantics, rounding, cost model); this file is its encoding, written once for the emitter, the decoder,
// the assembler and the machine.
//
// Word layout (byte offsets):
//   0 u8 opcode   1 u8 flags   2 u16 rows   4 u16 cols   6 u16 aux
//   8 u32 f0      12 u32 f1    16 u32 f2    20 u32 f3    24..31 reserved, zero

export const INSTRUCTION_BYTES = 32;

export const OP = { LOAD: 0x01, PRELOAD: 0x02, MATMUL: 0x03, STORE: 0x04, FENCE: 0x05, LOAD_IM2COL: 0x06, HOST: 0x80 } as const;
export type OpcodeName = keyof typeof OP;

/** PRELOAD flags: neither set = a rows×cols int32 tile from DRAM. */
export const PRELOAD_ZERO = 1;
export const PRELOAD_BROADCAST = 2;
/** MATMUL flag: acc += A·B (clear: acc = A·B). */
export const MATMUL_ACCUMULATE = 1;
/** STORE flags. RAW32 writes the int32 accumulator unchanged; PER_ROW reads one requant entry per row. */
export const STORE_RAW32 = 1;
export const STORE_PER_ROW = 2;

/** One requantization table entry in DRAM: int32 multiplier, int32 shift, int32 zero point (docs/arithmetic.md). */
export const REQUANT_ENTRY_BYTES = 12;

export type PreloadSource = 'zero' | 'broadcast' | 'tile';
export type StoreMode = 'requant' | 'raw32';

/** A decoded instruction. Slots index tile-sized slots; dram/stride/table are byte addresses and distances. */
export type Instruction =
  | { readonly op: 'LOAD'; readonly spad: number; readonly dram: number; readonly stride: number; readonly rows: number; readonly cols: number }
  | { readonly op: 'PRELOAD'; readonly acc: number; readonly source: PreloadSource; readonly dram: number; readonly stride: number; readonly rows: number; readonly cols: number }
  | { readonly op: 'MATMUL'; readonly acc: number; readonly a: number; readonly b: number; readonly m: number; readonly n: number; readonly k: number; readonly accumulate: boolean }
  | {
      readonly op: 'STORE'; readonly acc: number; readonly dram: number; readonly stride: number; readonly rows: number; readonly cols: number;
      readonly mode: StoreMode; readonly table: number; readonly perRow: boolean; readonly qmin: number; readonly qmax: number;
    }
  | { readonly op: 'FENCE' }
  /** Gathers rows row0.. and columns col0.. of the im2col matrix described at DRAM `desc` (backend/gather.ts). */
  | { readonly op: 'LOAD_IM2COL'; readonly spad: number; readonly desc: number; readonly row0: number; readonly col0: number; readonly rows: number; readonly cols: number }
  | { readonly op: 'HOST'; readonly fn: number; readonly offset: number; readonly length: number };

/**
 * Where tile instructions go: the program builder encodes them, the cost model times them. The tiler writes
 * against this interface so one emitter serves both, without building instruction objects in its loops.
 */
export interface TileSink {
  load(spad: number, dram: number, stride: number, rows: number, cols: number): void;
  preload(acc: number, source: PreloadSource, dram: number, stride: number, rows: number, cols: number): void;
  matmul(acc: number, a: number, b: number, m: number, n: number, k: number, accumulate: boolean): void;
  store(acc: number, dram: number, stride: number, rows: number, cols: number, mode: StoreMode, table: number, perRow: boolean, qmin: number, qmax: number): void;
  fence(): void;
  /** LOAD_IM2COL; `footprint` is what the tile reads (gatherFootprint), for the cost model. */
  loadIm2col(spad: number, desc: number, row0: number, col0: number, rows: number, cols: number, footprint: GatherFootprint): void;
}

const U16 = 0xffff;
const U32 = 0xffffffff;

function checkField(v: number, max: number, what: string, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > max) fail(`${what} must be an integer in ${min}..${max}, got ${v}`);
}

/** Writes one instruction word at `offset` (which must have 32 zeroed bytes). Field ranges are checked. */
export function encodeInstruction(ins: Instruction, view: DataView, offset: number): void {
  const word = (opcode: number, flags: number, rows: number, cols: number, aux: number, f0: number, f1: number, f2: number, f3: number): void => {
    checkField(rows, U16, `${ins.op} rows`);
    checkField(cols, U16, `${ins.op} cols`);
    checkField(f0, U32, `${ins.op} operand 0`);
    checkField(f1, U32, `${ins.op} operand 1`);
    checkField(f2, U32, `${ins.op} operand 2`);
    checkField(f3, U32, `${ins.op} operand 3`);
    view.setUint8(offset, opcode);
    view.setUint8(offset + 1, flags);
    view.setUint16(offset + 2, rows, true);
    view.setUint16(offset + 4, cols, true);
    view.setUint16(offset + 6, aux, true);
    view.setUint32(offset + 8, f0, true);
    view.setUint32(offset + 12, f1, true);
    view.setUint32(offset + 16, f2, true);
    view.setUint32(offset + 20, f3, true);
  };
  switch (ins.op) {
    case 'LOAD':
      return word(OP.LOAD, 0, ins.rows, ins.cols, 0, ins.spad, ins.dram, ins.stride, 0);
    case 'PRELOAD': {
      const flags = ins.source === 'zero' ? PRELOAD_ZERO : ins.source === 'broadcast' ? PRELOAD_BROADCAST : 0;
      return word(OP.PRELOAD, flags, ins.rows, ins.cols, 0, ins.acc, ins.dram, ins.stride, 0);
    }
    case 'MATMUL':
      checkField(ins.k, U16, 'MATMUL k');
      return word(OP.MATMUL, ins.accumulate ? MATMUL_ACCUMULATE : 0, ins.m, ins.n, ins.k, ins.acc, ins.a, ins.b, 0);
    case 'STORE': {
      checkField(ins.qmin, 127, 'STORE qmin', -128);
      checkField(ins.qmax, 127, 'STORE qmax', -128);
      const flags = (ins.mode === 'raw32' ? STORE_RAW32 : 0) | (ins.perRow ? STORE_PER_ROW : 0);
      const aux = (ins.qmin & 0xff) | ((ins.qmax & 0xff) << 8);
      return word(OP.STORE, flags, ins.rows, ins.cols, aux, ins.acc, ins.dram, ins.stride, ins.table);
    }
    case 'FENCE':
      return word(OP.FENCE, 0, 0, 0, 0, 0, 0, 0, 0);
    case 'LOAD_IM2COL':
      return word(OP.LOAD_IM2COL, 0, ins.rows, ins.cols, 0, ins.spad, ins.desc, ins.row0, ins.col0);
    case 'HOST':
      checkField(ins.fn, U16, 'HOST fn');
      return word(OP.HOST, 0, 0, 0, ins.fn, ins.offset, ins.length, 0, 0);
  }
}

/** Opcode byte -> mnemonic (a table: decoding runs once per instruction word, millions of times). */
const OPCODE_NAMES: readonly (OpcodeName | undefined)[] = (() => {
  const names = new Array<OpcodeName | undefined>(256).fill(undefined);
  for (const [name, code] of Object.entries(OP)) names[code] = name as OpcodeName;
  return names;
})();

// The decoder's checks are module functions, not closures inside decodeInstruction: a closure per word
// (and its name bookkeeping under tsx) was most of the cost of decoding a large program.
function mustBeZero(v: number, field: string, name: OpcodeName, prefix: string, index: number): void {
  if (v !== 0) fail(`${prefix}${index} (${name}): field ${field} is ${v} but ${name} does not use it (must be 0)`);
}

function flagsWithin(flags: number, allowed: number, name: OpcodeName, prefix: string, index: number): void {
  if ((flags & ~allowed) !== 0) fail(`${prefix}${index} (${name}): unknown flag bits 0x${flags.toString(16)}`);
}

/**
 * Decodes the word at `offset`, checking that it is canonical: known opcode and flags, fields an opcode does
 * not use are zero, reserved bytes are zero. Canonical words are what makes disassembly lossless.
 * Errors start with `${prefix}${index}` (e.g. "tbin 'x.tbin': instruction " + 12), built only on failure.
 */
export function decodeInstruction(view: DataView, offset: number, prefix: string, index: number): Instruction {
  const opcode = view.getUint8(offset);
  const flags = view.getUint8(offset + 1);
  const rows = view.getUint16(offset + 2, true);
  const cols = view.getUint16(offset + 4, true);
  const aux = view.getUint16(offset + 6, true);
  const f0 = view.getUint32(offset + 8, true);
  const f1 = view.getUint32(offset + 12, true);
  const f2 = view.getUint32(offset + 16, true);
  const f3 = view.getUint32(offset + 20, true);
  if (view.getUint32(offset + 24, true) !== 0 || view.getUint32(offset + 28, true) !== 0) {
    for (let i = 24; i < INSTRUCTION_BYTES; i++) {
      if (view.getUint8(offset + i) !== 0) fail(`${prefix}${index}: reserved byte ${i} of the instruction word is ${view.getUint8(offset + i)}, must be 0`);
    }
  }
  const name = OPCODE_NAMES[opcode];
  if (name === undefined) fail(`${prefix}${index}: unknown opcode 0x${opcode.toString(16).padStart(2, '0')}`);
  switch (name) {
    case 'LOAD':
      flagsWithin(flags, 0, name, prefix, index); mustBeZero(aux, 'aux', name, prefix, index); mustBeZero(f3, 'f3', name, prefix, index);
      return { op: 'LOAD', spad: f0, dram: f1, stride: f2, rows, cols };
    case 'PRELOAD': {
      flagsWithin(flags, PRELOAD_ZERO | PRELOAD_BROADCAST, name, prefix, index); mustBeZero(aux, 'aux', name, prefix, index); mustBeZero(f3, 'f3', name, prefix, index);
      if (flags === (PRELOAD_ZERO | PRELOAD_BROADCAST)) fail(`${prefix}${index} (PRELOAD): flags zero and broadcast are exclusive`);
      const source: PreloadSource = flags & PRELOAD_ZERO ? 'zero' : flags & PRELOAD_BROADCAST ? 'broadcast' : 'tile';
      if (source === 'zero') { mustBeZero(f1, 'dram', name, prefix, index); mustBeZero(f2, 'stride', name, prefix, index); }
      return { op: 'PRELOAD', acc: f0, source, dram: f1, stride: f2, rows, cols };
    }
    case 'MATMUL':
      flagsWithin(flags, MATMUL_ACCUMULATE, name, prefix, index); mustBeZero(f3, 'f3', name, prefix, index);
      return { op: 'MATMUL', acc: f0, a: f1, b: f2, m: rows, n: cols, k: aux, accumulate: (flags & MATMUL_ACCUMULATE) !== 0 };
    case 'STORE': {
      flagsWithin(flags, STORE_RAW32 | STORE_PER_ROW, name, prefix, index);
      const raw = (flags & STORE_RAW32) !== 0;
      if (raw) {
        mustBeZero(aux, 'qmin/qmax', name, prefix, index); mustBeZero(f3, 'table', name, prefix, index);
        if (flags & STORE_PER_ROW) fail(`${prefix}${index} (STORE): per_row has no meaning with raw32`);
      }
      const qmin = ((aux & 0xff) << 24) >> 24;
      const qmax = (aux << 16) >> 24;
      return { op: 'STORE', acc: f0, dram: f1, stride: f2, rows, cols, mode: raw ? 'raw32' : 'requant', table: f3, perRow: (flags & STORE_PER_ROW) !== 0, qmin, qmax };
    }
    case 'FENCE':
      flagsWithin(flags, 0, name, prefix, index);
      mustBeZero(rows, 'rows', name, prefix, index); mustBeZero(cols, 'cols', name, prefix, index); mustBeZero(aux, 'aux', name, prefix, index);
      mustBeZero(f0, 'f0', name, prefix, index); mustBeZero(f1, 'f1', name, prefix, index); mustBeZero(f2, 'f2', name, prefix, index); mustBeZero(f3, 'f3', name, prefix, index);
      return { op: 'FENCE' };
    case 'LOAD_IM2COL':
      flagsWithin(flags, 0, name, prefix, index); mustBeZero(aux, 'aux', name, prefix, index);
      return { op: 'LOAD_IM2COL', spad: f0, desc: f1, row0: f2, col0: f3, rows, cols };
    case 'HOST':
      flagsWithin(flags, 0, name, prefix, index);
      mustBeZero(rows, 'rows', name, prefix, index); mustBeZero(cols, 'cols', name, prefix, index); mustBeZero(f2, 'f2', name, prefix, index); mustBeZero(f3, 'f3', name, prefix, index);
      return { op: 'HOST', fn: aux, offset: f0, length: f1 };
  }
}

export function opcodeName(opcode: number): OpcodeName | undefined {
  return OPCODE_NAMES[opcode];
}
