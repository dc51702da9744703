import { TilecError, fail, invariant } from '../ir/errors.js';
import { DTYPES, type DType } from '../ir/dtype.js';
import type { QuantParams } from '../ir/graph.js';
import { LOOP_ORDERS, normalizeTarget, validateTarget, type LoopOrder, type Target } from './target.js';
import { TBIN_VERSION } from './tbin.js';
import { INSTRUCTION_BYTES, OP, decodeInstruction, type Instruction } from './isa.js';
import {
  CONSTANT_KINDS, TENSOR_ROLES, CodeBuilder, hex, validateProgram,
  type ConstantBlob, type ConstantKind, type TensorEntry, type TensorRole, type TileProgram,
} from './program.js';

// The text form of a tile program (.tasm), specified in docs/isa.md ("Assembly"). One directive or
// instruction per line, `;` starts a comment. disassemble prints every field, so
// encodeTbin(assemble(disassemble(p))) reproduces encodeTbin(p) byte for byte.

const DATA_CHUNK = 64; // bytes per .data line (88 base64 characters)

/** Bytes per chunk of disassembleChunks (a chunk ends at a line end; a longer line is a chunk of its own). */
export const TASM_CHUNK_BYTES = 1 << 20;

/**
 * Prints a program as assembly, in UTF-8 chunks that end at line ends and hold at most `chunkBytes` bytes
 * (a longer line is a chunk of its own). A VGG-19 .tasm is ~550 MB, more than a JS string can hold, so
 * writers stream these chunks. Deterministic: the same program always gives the same bytes. Each chunk is a
 * fresh array the caller may keep, unless `reuse`: then a chunk is valid only until the next one is asked
 * for, and its memory is filled again (a writer that writes each chunk before asking for the next then
 * allocates two chunk buffers in all, not one per MB of text). The code is decoded as it is printed: a
 * non-canonical word throws after the lines before it were yielded (programs from decodeTbin or the
 * emitter were checked already).
 */
export function* disassembleChunks(p: TileProgram, chunkBytes = TASM_CHUNK_BYTES, reuse = false): Generator<Uint8Array, void, undefined> {
  const out = new ChunkWriter(chunkBytes, Math.floor(p.code.length / INSTRUCTION_BYTES), reuse);
  const t = normalizeTarget(p.target);
  out.line('; tilec tile program: `tilec asm` assembles this back into the identical .tbin');
  out.line(`.tbin ${TBIN_VERSION.major}.${TBIN_VERSION.minor}`);
  out.line(`.dram ${p.dramBytes}`);
  out.line(`.target ${JSON.stringify(t.name)} tile=${t.tile} scratchpad_bytes=${t.scratchpadBytes} accumulator_bytes=${t.accumulatorBytes} ` +
    `dram_bytes_per_cycle=${num(t.dramBytesPerCycle)} latency_load=${t.latency.load} latency_matmul=${t.latency.matmul} ` +
    `latency_store=${t.latency.store} loop_order=${t.loopOrder} unlimited_memory=${t.unlimitedMemory}`);
  for (const e of p.tensors) {
    let line = `.tensor ${JSON.stringify(e.name)} role=${e.role} dtype=${e.dtype} shape=[${e.shape.join(',')}] addr=${hex(e.addr)}`;
    if (e.quant) {
      const q = e.quant;
      line += ` bits=${q.bits} scale=[${q.scale.map(num).join(',')}] zero_point=[${q.zeroPoint.join(',')}]`;
      if (q.axis !== undefined) line += ` axis=${q.axis}`;
    }
    out.line(line);
    if (out.ready.length > 0) yield* out.drain();
  }
  for (const c of p.constants) {
    out.line(`.const ${JSON.stringify(c.name)} kind=${c.kind} addr=${hex(c.addr)} bytes=${c.data.length}`);
    yield* dataLines(out, c.data);
  }
  if (p.hostData.length > 0) {
    out.line(`.hostdata bytes=${p.hostData.length}`);
    yield* dataLines(out, p.hostData);
  }
  out.line('.code');
  if (p.code.length % INSTRUCTION_BYTES !== 0) fail(`instructions: code is ${p.code.length} bytes, not a multiple of ${INSTRUCTION_BYTES}`);
  const view = new DataView(p.code.buffer, p.code.byteOffset, p.code.byteLength);
  const count = p.code.length / INSTRUCTION_BYTES;
  for (let i = 0; i < count; i++) {
    const at = i * INSTRUCTION_BYTES;
    if (!out.knownMatmul(view, at, i)) out.instruction(decodeInstruction(view, at, 'instruction ', i), i, view, at);
    if (out.ready.length > 0) yield* out.drain();
  }
  out.close();
  yield* out.drain();
}

/** Prints a program as one string: disassembleChunks joined (for programs whose text fits in a string). */
export function disassemble(p: TileProgram): string {
  return Buffer.concat([...disassembleChunks(p)]).toString('utf8');
}

/** Shortest text that parses back to the same double (keeps -0). */
const num = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

function* dataLines(out: ChunkWriter, data: Uint8Array): Generator<Uint8Array, void, undefined> {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength); // a view, no copy
  for (let o = 0; o < bytes.length; o += DATA_CHUNK) {
    out.data(bytes, o, Math.min(o + DATA_CHUNK, bytes.length));
    if (out.ready.length > 0) yield* out.drain();
  }
  if (out.ready.length > 0) yield* out.drain();
}

/**
 * Packs lines into byte chunks that end at line ends, so every chunk decodes on its own. Lines are written
 * straight into a Buffer: building the text as JS strings and encoding it afterwards cost twice as much.
 */
class ChunkWriter {
  /** Closed chunks, oldest first, waiting to be yielded (drain); `owner`: the buffer to fill again once yielded (reuse). */
  readonly ready: { readonly bytes: Uint8Array; readonly owner?: Buffer }[] = [];
  private buf: Buffer;
  /** A view of buf for four-byte stores (knownMatmul, data). */
  private bufView: DataView;
  private used = 0;
  /** The last index written (index()) and its decimal digits. */
  private lastIndex = -2;
  private readonly digits = new Uint8Array(24);
  private digitCount = 0;
  /** reuse: a yielded chunk's buffer, free for the next chunk. */
  private spare: Buffer | undefined;
  /** The MATMUL text cache (knownMatmul()): per entry its word, text and length (0: empty). */
  private readonly mmKeys: Uint32Array;
  private readonly mmText: Buffer;
  private readonly mmView: DataView;
  private readonly mmLength: Uint8Array;
  private readonly mmShift: number;

  /** `instructions`: how many the program has (sizes the MATMUL cache). */
  constructor(private readonly size: number, instructions = 0, private readonly reuse = false) {
    this.buf = Buffer.allocUnsafe(Math.max(size, ASCII_LINE_MAX));
    this.bufView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    // 2^16 entries hold 97% of light ResNet-50's repeats (2^12: 79%); a small program gets a small cache.
    const bits = Math.min(16, Math.max(4, Math.ceil(Math.log2(instructions + 1)) - 4));
    this.mmShift = 32 - bits;
    this.mmKeys = new Uint32Array(MM_KEY << bits);
    this.mmText = Buffer.alloc(MM_TEXT_MAX << bits);
    this.mmView = new DataView(this.mmText.buffer, this.mmText.byteOffset, this.mmText.byteLength);
    this.mmLength = new Uint8Array(1 << bits);
  }

  /** An ASCII line of at most ASCII_LINE_MAX bytes, its newline included (instruction and .data lines). */
  ascii(text: string): void {
    if (this.used + ASCII_LINE_MAX > this.size) this.close();
    const n = this.buf.write(text, this.used, 'latin1');
    if (n !== text.length) invariant(false, `tasm: a ${text.length}-character line does not fit the ${ASCII_LINE_MAX}-byte room of an ASCII line`);
    this.used += n;
  }

  /**
   * `${formatInstruction(ins)} ; #${index}\n`, written byte by byte (1.5M lines in a ResNet-50 program:
   * building each as a JS string first cost more than the rest of the disassembly). `code`/`at`: where the
   * instruction's word is, so that a MATMUL's text is cached under it (knownMatmul).
   */
  instruction(ins: Instruction, index: number, code?: DataView, at = 0): void {
    if (this.used + ASCII_LINE_MAX > this.size) this.close();
    const b = this.buf;
    let o = this.used;
    switch (ins.op) {
      case 'LOAD':
        o = dec(b, lit(b, o, T.load), ins.spad); o = hex8(b, lit(b, o, T.dram), ins.dram);
        o = dec(b, lit(b, o, T.stride), ins.stride); o = dec(b, lit(b, o, T.rows), ins.rows); o = dec(b, lit(b, o, T.cols), ins.cols);
        break;
      case 'LOAD_IM2COL':
        o = dec(b, lit(b, o, T.loadIm2col), ins.spad); o = hex8(b, lit(b, o, T.desc), ins.desc);
        o = dec(b, lit(b, o, T.row0), ins.row0); o = dec(b, lit(b, o, T.col0), ins.col0);
        o = dec(b, lit(b, o, T.rows), ins.rows); o = dec(b, lit(b, o, T.cols), ins.cols);
        break;
      case 'PRELOAD':
        o = dec(b, lit(b, o, T.preload), ins.acc);
        if (ins.source === 'zero') o = lit(b, o, T.zero);
        else {
          o = hex8(b, lit(b, o, ins.source === 'tile' ? T.tileDram : T.broadcastDram), ins.dram);
          o = dec(b, lit(b, o, T.stride), ins.stride);
          o = lit(b, o, T.rows);
        }
        o = dec(b, o, ins.rows); o = dec(b, lit(b, o, T.cols), ins.cols);
        break;
      case 'MATMUL':
        o = this.matmul(ins, o, code, at);
        break;
      case 'STORE':
        o = dec(b, lit(b, o, T.store), ins.acc); o = hex8(b, lit(b, o, ins.mode === 'raw32' ? T.raw32Dram : T.requantDram), ins.dram);
        o = dec(b, lit(b, o, T.stride), ins.stride); o = dec(b, lit(b, o, T.rows), ins.rows); o = dec(b, lit(b, o, T.cols), ins.cols);
        if (ins.mode !== 'raw32') {
          o = hex8(b, lit(b, o, T.table), ins.table); o = lit(b, o, ins.perRow ? T.perRow : T.perTensor);
          o = dec(b, lit(b, o, T.qmin), ins.qmin); o = dec(b, lit(b, o, T.qmax), ins.qmax);
        }
        break;
      case 'FENCE':
        o = lit(b, o, T.fence);
        break;
      case 'HOST':
        o = dec(b, lit(b, o, T.host), ins.fn); o = dec(b, lit(b, o, T.offset), ins.offset); o = dec(b, lit(b, o, T.length), ins.length);
        break;
    }
    o = this.index(lit(b, o, T.index), index);
    b[o++] = 0x0a;
    this.used = o;
  }

  /**
   * Most of a program's lines are MATMULs over a few thousand distinct words (light ResNet-50: 1.08M lines,
   * ~20k texts), so each MATMUL's text up to its index comment is kept in a direct-mapped cache under its raw
   * 32-byte word: a word seen before is neither decoded again (it decoded, so it is canonical) nor printed.
   * Writes the line of the word at code[at] when it is cached; false otherwise.
   */
  knownMatmul(code: DataView, at: number, index: number): boolean {
    if (code.getUint8(at) !== OP.MATMUL) return false;
    const keys = this.mmKeys, slot = this.mmSlot(code, at), key = slot * MM_KEY, len = this.mmLength[slot]!;
    if (len === 0) return false;
    for (let w = 0; w < MM_KEY; w++) if (keys[key + w] !== code.getUint32(at + 4 * w, true)) return false;
    if (this.used + ASCII_LINE_MAX > this.size) this.close();
    // Four bytes at a time (the text's room is padded to whole words, and buf keeps ASCII_LINE_MAX free).
    const from = this.mmView, to = this.bufView, text = slot * MM_TEXT_MAX;
    let o = this.used;
    for (let i = 0; i < len; i += 4) to.setUint32(o + i, from.getUint32(text + i, true), true);
    o = this.index(lit(this.buf, o + len, T.index), index);
    this.buf[o++] = 0x0a;
    this.used = o;
    return true;
  }

  /**
   * Writes `index` in decimal at buf[o] (as dec does); returns the offset after it. Lines are numbered in
   * order, so the digits of the previous index are kept and incremented in place (dividing out seven digits
   * per line cost more than the rest of a cached MATMUL's line).
   */
  private index(o: number, index: number): number {
    const digits = this.digits;
    if (index === this.lastIndex + 1) {
      let i = this.digitCount - 1;
      while (i >= 0 && digits[i] === 0x39) digits[i--] = 0x30;
      if (i >= 0) digits[i]!++;
      else { digits.copyWithin(1, 0, this.digitCount); digits[0] = 0x31; this.digitCount++; }
    } else {
      this.digitCount = dec(digits, 0, index);
    }
    this.lastIndex = index;
    const b = this.buf, n = this.digitCount;
    for (let i = 0; i < n; i++) b[o + i] = digits[i]!;
    return o + n;
  }

  private mmSlot(code: DataView, at: number): number {
    let h = 0;
    for (let w = 0; w < 6; w++) h = Math.imul(h ^ code.getUint32(at + 4 * w, true), 0x9e3779b1) ^ (h >>> 15);
    return h >>> this.mmShift;
  }

  /** A MATMUL's text up to its index comment, written at buf[o] and cached under its word (code[at]) when given. */
  private matmul(ins: Instruction & { op: 'MATMUL' }, o: number, code: DataView | undefined, at: number): number {
    const b = this.buf, start = o;
    o = dec(b, lit(b, o, T.matmul), ins.acc); o = dec(b, lit(b, o, T.a), ins.a); o = dec(b, lit(b, o, T.b), ins.b);
    o = dec(b, lit(b, o, T.m), ins.m); o = dec(b, lit(b, o, T.n), ins.n); o = dec(b, lit(b, o, T.k), ins.k);
    o = lit(b, o, ins.accumulate ? T.accumulate : T.overwrite);
    if (code !== undefined) {
      const slot = this.mmSlot(code, at), key = slot * MM_KEY;
      for (let w = 0; w < MM_KEY; w++) this.mmKeys[key + w] = code.getUint32(at + 4 * w, true);
      this.mmText.set(b.subarray(start, o), slot * MM_TEXT_MAX);
      this.mmLength[slot] = o - start;
    }
    return o;
  }

  /** `.data ${base64 of data[from..to)}\n` (standard alphabet, = padding), written byte by byte. */
  data(data: Uint8Array, from: number, to: number): void {
    if (this.used + ASCII_LINE_MAX > this.size) this.close();
    const b = this.buf;
    let o = lit(b, this.used, T.data);
    let i = from;
    // Three bytes are four characters: two table lookups of 12 bits, one four-byte store.
    const view = this.bufView;
    for (; i + 3 <= to; i += 3) {
      const v = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
      view.setUint32(o, BASE64_PAIRS[v >> 12]! | (BASE64_PAIRS[v & 0xfff]! << 16), true);
      o += 4;
    }
    if (i < to) {
      const two = i + 1 < to;
      const v = (data[i]! << 16) | (two ? data[i + 1]! << 8 : 0);
      b[o] = BASE64[v >> 18]!; b[o + 1] = BASE64[(v >> 12) & 63]!;
      b[o + 2] = two ? BASE64[(v >> 6) & 63]! : 0x3d; b[o + 3] = 0x3d;
      o += 4;
    }
    b[o++] = 0x0a;
    this.used = o;
  }

  /** Any line (UTF-8, any length; the newline is added). */
  line(text: string): void {
    const n = Buffer.byteLength(text) + 1;
    if (this.used + n > this.size) this.close();
    if (n > this.buf.length) {
      this.ready.push({ bytes: Buffer.from(`${text}\n`) });
      return;
    }
    this.used += this.buf.write(text, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
  }

  /** Ends the current chunk (if it holds anything); the next line starts a new one. */
  close(): void {
    if (this.used === 0) return;
    this.ready.push(this.reuse ? { bytes: this.buf.subarray(0, this.used), owner: this.buf } : { bytes: this.buf.subarray(0, this.used) });
    this.buf = this.spare ?? Buffer.allocUnsafe(this.buf.length);
    this.bufView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.spare = undefined;
    this.used = 0;
  }

  *drain(): Generator<Uint8Array, void, undefined> {
    while (this.ready.length > 0) {
      const chunk = this.ready.shift()!;
      yield chunk.bytes;
      // The caller asked for the next chunk, so it is done with this one.
      if (chunk.owner !== undefined) this.spare = chunk.owner;
    }
  }
}

/** The fixed text of instruction lines, as bytes (ChunkWriter.instruction; formatInstruction is the definition). */
const T = Object.fromEntries(Object.entries({
  load: 'LOAD spad=', loadIm2col: 'LOAD_IM2COL spad=', preload: 'PRELOAD acc=', matmul: 'MATMUL acc=', store: 'STORE acc=',
  fence: 'FENCE', host: 'HOST fn=', dram: ' dram=', desc: ' desc=', stride: ' stride=', rows: ' rows=', cols: ' cols=',
  row0: ' row0=', col0: ' col0=', zero: ' zero rows=', tileDram: ' tile dram=', broadcastDram: ' broadcast dram=',
  a: ' a=', b: ' b=', m: ' m=', n: ' n=', k: ' k=', accumulate: ' accumulate', overwrite: ' overwrite',
  raw32Dram: ' raw32 dram=', requantDram: ' requant dram=', table: ' table=', perRow: ' per_row', perTensor: ' per_tensor',
  qmin: ' qmin=', qmax: ' qmax=', offset: ' offset=', length: ' length=', index: ' ; #', data: '.data ',
}).map(([k, v]) => [k, Uint8Array.from(v, (c) => c.charCodeAt(0))])) as Record<string, Uint8Array>;

const BASE64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));
/** The two base64 characters of every 12-bit value, the first in the low byte (little-endian stores). */
const BASE64_PAIRS = Uint16Array.from({ length: 4096 }, (_, v) => BASE64[v >> 6]! | (BASE64[v & 63]! << 8));

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** Writes `text` at b[o]; returns the offset after it. */
function lit(b: Uint8Array, o: number, text: Uint8Array): number {
  for (let i = 0; i < text.length; i++) b[o + i] = text[i]!;
  return o + text.length;
}

/** Writes an integer as `${v}` does (|v| < 2^53); returns the offset after it. */
function dec(b: Uint8Array, o: number, v: number): number {
  if (v < 0) { b[o++] = 0x2d; v = -v; }
  // Most fields (slots, rows, cols) are one or two digits.
  if (v < 10) { b[o] = 0x30 + v; return o + 1; }
  if (v < 100) { const q = Math.floor(v / 10); b[o] = 0x30 + q; b[o + 1] = 0x30 + (v - 10 * q); return o + 2; }
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = o + digits - 1; i >= o; i--) { b[i] = 0x30 + (v % 10); v = Math.floor(v / 10); }
  return o + digits;
}

/** Writes a uint32 as program.ts hex does (0x and 8 lowercase digits); returns the offset after it. */
function hex8(b: Uint8Array, o: number, v: number): number {
  b[o] = 0x30; b[o + 1] = 0x78;
  for (let i = o + 9; i >= o + 2; i--) { b[i] = HEX_DIGITS[v & 15]!; v >>>= 4; }
  return o + 10;
}

/** A MATMUL text cache entry: the instruction's 8 words and at most 96 bytes of text (the fields are u16 and u32: <= 82). */
const MM_KEY = INSTRUCTION_BYTES / 4;
const MM_TEXT_MAX = 96;

/** Room kept for one ASCII line: the longest instruction line is ~170 characters, a .data line 95. */
const ASCII_LINE_MAX = 512;

export function formatInstruction(ins: Instruction): string {
  switch (ins.op) {
    case 'LOAD':
      return `LOAD spad=${ins.spad} dram=${hex(ins.dram)} stride=${ins.stride} rows=${ins.rows} cols=${ins.cols}`;
    case 'LOAD_IM2COL':
      return `LOAD_IM2COL spad=${ins.spad} desc=${hex(ins.desc)} row0=${ins.row0} col0=${ins.col0} rows=${ins.rows} cols=${ins.cols}`;
    case 'PRELOAD':
      return ins.source === 'zero'
        ? `PRELOAD acc=${ins.acc} zero rows=${ins.rows} cols=${ins.cols}`
        : `PRELOAD acc=${ins.acc} ${ins.source} dram=${hex(ins.dram)} stride=${ins.stride} rows=${ins.rows} cols=${ins.cols}`;
    case 'MATMUL':
      return `MATMUL acc=${ins.acc} a=${ins.a} b=${ins.b} m=${ins.m} n=${ins.n} k=${ins.k} ${ins.accumulate ? 'accumulate' : 'overwrite'}`;
    case 'STORE':
      return ins.mode === 'raw32'
        ? `STORE acc=${ins.acc} raw32 dram=${hex(ins.dram)} stride=${ins.stride} rows=${ins.rows} cols=${ins.cols}`
        : `STORE acc=${ins.acc} requant dram=${hex(ins.dram)} stride=${ins.stride} rows=${ins.rows} cols=${ins.cols} ` +
          `table=${hex(ins.table)} ${ins.perRow ? 'per_row' : 'per_tensor'} qmin=${ins.qmin} qmax=${ins.qmax}`;
    case 'FENCE':
      return 'FENCE';
    case 'HOST':
      return `HOST fn=${ins.fn} offset=${ins.offset} length=${ins.length}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Assembler

interface Token {
  readonly text: string;
  readonly col: number;
  /** A JSON string literal (already decoded). */
  readonly str?: string;
}

/** Operands of one line: bare words (flags, mnemonics) and key=value pairs, each with its column. */
class Operands {
  readonly words: Token[] = [];
  readonly pairs = new Map<string, Token>();
  constructor(tokens: readonly Token[], private readonly at: (col: number, msg: string) => never) {
    for (const tok of tokens) {
      const eq = tok.str === undefined ? tok.text.indexOf('=') : -1;
      if (eq <= 0) { this.words.push(tok); continue; }
      const key = tok.text.slice(0, eq);
      if (this.pairs.has(key)) at(tok.col, `operand '${key}' given twice`);
      this.pairs.set(key, { text: tok.text.slice(eq + 1), col: tok.col + eq + 1 });
    }
  }

  /** The value of `key`; every key must be consumed exactly once (see finish). */
  take(key: string, col: number, what: string): Token {
    const v = this.pairs.get(key);
    if (!v) this.at(col, `${what} needs ${key}=...`);
    this.pairs.delete(key);
    return v;
  }

  optional(key: string): Token | undefined {
    const v = this.pairs.get(key);
    this.pairs.delete(key);
    return v;
  }

  /** One of the allowed bare words (a mode or flag). */
  word(allowed: readonly string[], col: number, what: string): string {
    const i = this.words.findIndex((w) => allowed.includes(w.text));
    if (i < 0) this.at(col, `${what} needs one of: ${allowed.join(', ')}`);
    const w = this.words[i]!;
    this.words.splice(i, 1);
    if (this.words.some((x) => allowed.includes(x.text))) this.at(this.words.find((x) => allowed.includes(x.text))!.col, `${what} takes only one of: ${allowed.join(', ')}`);
    return w.text;
  }

  finish(what: string): void {
    const w = this.words[0];
    if (w) this.at(w.col, `unexpected '${w.text}' in ${what}`);
    for (const [key, v] of this.pairs) this.at(v.col - key.length - 1, `unknown operand '${key}' for ${what}`);
  }
}

/**
 * The bytes of a .const or .hostdata as its .data lines arrive, decoded in place. The buffer grows by
 * doubling up to the declared size (allocating a declared 4 GB up front would let one line exhaust memory).
 */
class PendingData {
  data = new Uint8Array(0);
  view = Buffer.from(this.data.buffer);
  got = 0;

  constructor(readonly what: string, readonly bytes: number, readonly line: number, readonly done: (data: Uint8Array) => void) {}

  grow(need: number): void {
    const data = new Uint8Array(Math.min(this.bytes, Math.max(need, 2 * this.data.length, 1 << 16)));
    data.set(this.data.subarray(0, this.got));
    this.data = data;
    this.view = Buffer.from(data.buffer, data.byteOffset, data.length);
  }
}

/** Parses assembly into a program; errors are `source:line:col: message`. */
export function assemble(text: string, source = '<tasm>'): TileProgram {
  return assembleLines(text.split(/\r?\n/), source);
}

/**
 * Parses assembly given line by line (without their line ends), as `assemble` splits its text: a file too
 * large for one string (cli/program-file.ts readTextLines) assembles to the same program as its text would.
 */
export function assembleLines(lines: Iterable<string>, source = '<tasm>'): TileProgram {
  return new Assembler(source).run(lines);
}

class Assembler {
  private line = 0;
  private version = false;
  private dramBytes?: number;
  private target?: Target;
  private readonly tensors: TensorEntry[] = [];
  private readonly constants: ConstantBlob[] = [];
  private hostData?: Uint8Array;
  private readonly code = new CodeBuilder();
  private inCode = false;
  /** The .const or .hostdata whose .data lines are being read. */
  private pending?: PendingData;

  constructor(private readonly source: string) {}

  private at(col: number, msg: string): never {
    throw new TilecError(`${this.source}:${this.line}:${col}: ${msg}`);
  }

  private readonly atFn = (col: number, msg: string): never => this.at(col, msg);

  run(lines: Iterable<string>): TileProgram {
    let count = 0;
    for (const text of lines) {
      this.line = ++count;
      const tokens = this.tokenize(text);
      if (tokens.length === 0) continue;
      const head = tokens[0]!;
      if (head.text !== '.data') this.closePending();
      if (head.text.startsWith('.')) this.directive(head, tokens.slice(1));
      else this.instruction(head, tokens.slice(1));
    }
    this.line = count;
    this.closePending();
    this.line = 1;
    if (!this.version) this.at(1, 'missing .tbin directive');
    if (this.dramBytes === undefined) this.at(1, 'missing .dram directive');
    if (!this.target) this.at(1, 'missing .target directive');
    const program: TileProgram = {
      target: this.target, dramBytes: this.dramBytes, tensors: this.tensors, constants: this.constants,
      hostData: this.hostData ?? new Uint8Array(0), code: this.code.bytes(),
    };
    validateProgram(program, this.source);
    return program;
  }

  private tokenize(line: string): Token[] {
    const out: Token[] = [];
    let i = 0;
    while (i < line.length) {
      const ch = line[i]!;
      if (ch === ' ' || ch === '\t') { i++; continue; }
      if (ch === ';') break;
      const start = i;
      if (ch === '"') {
        i++;
        while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
        if (i >= line.length) this.at(start + 1, 'unterminated string');
        i++;
        const lit = line.slice(start, i);
        let str: string;
        try { str = JSON.parse(lit) as string; } catch { this.at(start + 1, `bad string literal ${lit}`); }
        out.push({ text: lit, col: start + 1, str });
        continue;
      }
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && line[i] !== ';') i++;
      out.push({ text: line.slice(start, i), col: start + 1 });
    }
    return out;
  }

  private int(tok: Token, what: string, min: number, max: number): number {
    const m = /^(-?)(0x[0-9a-f]+|\d+)$/i.exec(tok.text);
    if (!m) this.at(tok.col, `${what} must be an integer, got '${tok.text}'`);
    const v = (m[1] ? -1 : 1) * Number(m[2]);
    if (!Number.isSafeInteger(v) || v < min || v > max) this.at(tok.col, `${what} must be in ${min}..${max}, got ${tok.text}`);
    return v;
  }

  private float(tok: Token, what: string): number {
    if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(tok.text)) this.at(tok.col, `${what} must be a number, got '${tok.text}'`);
    return Number(tok.text);
  }

  private list<T>(tok: Token, what: string, item: (t: Token) => T): T[] {
    if (!tok.text.startsWith('[') || !tok.text.endsWith(']')) this.at(tok.col, `${what} must be a list like [1,2,3] (no spaces), got '${tok.text}'`);
    const body = tok.text.slice(1, -1);
    if (body === '') return [];
    const out: T[] = [];
    let col = tok.col + 1;
    for (const part of body.split(',')) {
      out.push(item({ text: part, col }));
      col += part.length + 1;
    }
    return out;
  }

  private name(tokens: readonly Token[], what: string): [string, Token[]] {
    const first = tokens[0];
    if (!first || first.str === undefined) this.at(first?.col ?? 1, `${what} needs a quoted name first, e.g. ${what} "x"`);
    return [first.str, tokens.slice(1) as Token[]];
  }

  private closePending(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (p.got !== p.bytes) {
      throw new TilecError(`${this.source}:${p.line}:1: ${p.what} declares ${p.bytes} bytes but its .data lines hold ${p.got}`);
    }
    p.done(p.data.length === p.bytes ? p.data : p.data.slice(0, p.bytes));
  }

  private directive(head: Token, rest: Token[]): void {
    const d = head.text;
    if (this.inCode && d !== '.data') this.at(head.col, `${d} must come before .code`);
    switch (d) {
      case '.tbin': {
        const v = rest[0];
        if (!v || rest.length !== 1) this.at(head.col, `.tbin takes one version, e.g. .tbin ${TBIN_VERSION.major}.${TBIN_VERSION.minor}`);
        const m = /^(\d+)\.(\d+)$/.exec(v.text);
        if (!m || Number(m[1]) !== TBIN_VERSION.major || Number(m[2]) > TBIN_VERSION.minor) {
          this.at(v.col, `version ${v.text} is not supported (this tilec reads ${TBIN_VERSION.major}.0..${TBIN_VERSION.major}.${TBIN_VERSION.minor})`);
        }
        this.version = true;
        return;
      }
      case '.dram': {
        const v = rest[0];
        if (!v || rest.length !== 1) this.at(head.col, '.dram takes one size in bytes');
        this.dramBytes = this.int(v, 'DRAM size', 0, 0xffffffff);
        return;
      }
      case '.target': return this.targetDirective(head, rest);
      case '.tensor': return this.tensorDirective(head, rest);
      case '.const': {
        const [name, tokens] = this.name(rest, '.const');
        const ops = new Operands(tokens, this.atFn);
        const kindTok = ops.take('kind', head.col, '.const');
        const kind = kindTok.text as ConstantKind;
        if (!CONSTANT_KINDS.includes(kind)) this.at(kindTok.col, `kind must be one of ${CONSTANT_KINDS.join(', ')}, got '${kindTok.text}'`);
        const addr = this.int(ops.take('addr', head.col, '.const'), 'addr', 0, 0xffffffff);
        const bytes = this.int(ops.take('bytes', head.col, '.const'), 'bytes', 0, 0xffffffff);
        ops.finish('.const');
        this.pending = new PendingData(`.const "${name}"`, bytes, this.line, (data) => this.constants.push({ name, kind, addr, data }));
        return;
      }
      case '.hostdata': {
        if (this.hostData) this.at(head.col, '.hostdata given twice');
        const ops = new Operands(rest, this.atFn);
        const bytes = this.int(ops.take('bytes', head.col, '.hostdata'), 'bytes', 0, 0xffffffff);
        ops.finish('.hostdata');
        this.hostData = new Uint8Array(0);
        this.pending = new PendingData('.hostdata', bytes, this.line, (data) => { this.hostData = data; });
        return;
      }
      case '.data': {
        const p = this.pending;
        if (!p) this.at(head.col, '.data must follow a .const or .hostdata');
        const v = rest[0];
        if (!v || rest.length !== 1) this.at(head.col, '.data takes one base64 string');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v.text) || v.text.length % 4 !== 0) this.at(v.col, 'not valid base64');
        const n = Buffer.byteLength(v.text, 'base64');
        if (p.got + n > p.bytes) this.at(v.col, `${p.what} declares ${p.bytes} bytes but its .data lines hold more`);
        if (p.got + n > p.data.length) p.grow(p.got + n);
        p.got += p.view.write(v.text, p.got, 'base64');
        return;
      }
      case '.code':
        if (rest.length) this.at(rest[0]!.col, '.code takes no operands');
        this.inCode = true;
        return;
      default:
        this.at(head.col, `unknown directive '${d}'`);
    }
  }

  private targetDirective(head: Token, rest: Token[]): void {
    if (this.target) this.at(head.col, '.target given twice');
    const [name, tokens] = this.name(rest, '.target');
    const ops = new Operands(tokens, this.atFn);
    const int = (key: string, max = Number.MAX_SAFE_INTEGER): number => this.int(ops.take(key, head.col, '.target'), key, 0, max);
    const tile = int('tile', 0xffffffff);
    const scratchpadBytes = int('scratchpad_bytes');
    const accumulatorBytes = int('accumulator_bytes');
    const dramBytesPerCycle = this.float(ops.take('dram_bytes_per_cycle', head.col, '.target'), 'dram_bytes_per_cycle');
    const latency = { load: int('latency_load', 0xffffffff), matmul: int('latency_matmul', 0xffffffff), store: int('latency_store', 0xffffffff) };
    const lo = ops.take('loop_order', head.col, '.target');
    if (!(LOOP_ORDERS as readonly string[]).includes(lo.text)) this.at(lo.col, `loop_order must be one of ${LOOP_ORDERS.join(', ')}, got '${lo.text}'`);
    const um = ops.take('unlimited_memory', head.col, '.target');
    if (um.text !== 'true' && um.text !== 'false') this.at(um.col, `unlimited_memory must be true or false, got '${um.text}'`);
    ops.finish('.target');
    const target: Target = {
      name, tile, scratchpadBytes, accumulatorBytes, dramBytesPerCycle, latency, loopOrder: lo.text as LoopOrder, unlimitedMemory: um.text === 'true',
    };
    validateTarget(target, `${this.source}:${this.line}`);
    this.target = target;
  }

  private tensorDirective(head: Token, rest: Token[]): void {
    const [name, tokens] = this.name(rest, '.tensor');
    const ops = new Operands(tokens, this.atFn);
    const roleTok = ops.take('role', head.col, '.tensor');
    if (!(TENSOR_ROLES as readonly string[]).includes(roleTok.text)) this.at(roleTok.col, `role must be one of ${TENSOR_ROLES.join(', ')}, got '${roleTok.text}'`);
    const dtTok = ops.take('dtype', head.col, '.tensor');
    if (!(DTYPES as readonly string[]).includes(dtTok.text)) this.at(dtTok.col, `dtype must be one of ${DTYPES.join(', ')}, got '${dtTok.text}'`);
    const shape = this.list(ops.take('shape', head.col, '.tensor'), 'shape', (t) => this.int(t, 'dim', 0, 0xffffffff));
    const addr = this.int(ops.take('addr', head.col, '.tensor'), 'addr', 0, 0xffffffff);
    const bits = ops.optional('bits');
    let quant: QuantParams | undefined;
    if (bits) {
      const scale = this.list(ops.take('scale', head.col, '.tensor quant'), 'scale', (t) => this.float(t, 'scale'));
      const zeroPoint = this.list(ops.take('zero_point', head.col, '.tensor quant'), 'zero_point', (t) => this.int(t, 'zero point', -2147483648, 2147483647));
      const axisTok = ops.optional('axis');
      const b = this.int(bits, 'bits', 1, 32);
      quant = axisTok ? { scale, zeroPoint, axis: this.int(axisTok, 'axis', 0, 254), bits: b } : { scale, zeroPoint, bits: b };
    }
    ops.finish('.tensor');
    const entry: TensorEntry = { name, role: roleTok.text as TensorRole, dtype: dtTok.text as DType, shape, addr, ...(quant ? { quant } : {}) };
    this.tensors.push(entry);
  }

  private instruction(head: Token, rest: Token[]): void {
    if (!this.inCode) this.at(head.col, `instruction '${head.text}' before .code`);
    const ops = new Operands(rest, this.atFn);
    const u = (key: string, max = 0xffffffff): number => this.int(ops.take(key, head.col, head.text), key, 0, max);
    const s8 = (key: string): number => this.int(ops.take(key, head.col, head.text), key, -128, 127);
    let ins: Instruction;
    switch (head.text) {
      case 'LOAD':
        ins = { op: 'LOAD', spad: u('spad'), dram: u('dram'), stride: u('stride'), rows: u('rows', 0xffff), cols: u('cols', 0xffff) };
        break;
      case 'PRELOAD': {
        const acc = u('acc');
        const source = ops.word(['zero', 'broadcast', 'tile'], head.col, 'PRELOAD') as 'zero' | 'broadcast' | 'tile';
        const dram = source === 'zero' ? 0 : u('dram'), stride = source === 'zero' ? 0 : u('stride');
        ins = { op: 'PRELOAD', acc, source, dram, stride, rows: u('rows', 0xffff), cols: u('cols', 0xffff) };
        break;
      }
      case 'MATMUL': {
        const acc = u('acc'), a = u('a'), b = u('b'), m = u('m', 0xffff), n = u('n', 0xffff), k = u('k', 0xffff);
        const accumulate = ops.word(['accumulate', 'overwrite'], head.col, 'MATMUL') === 'accumulate';
        ins = { op: 'MATMUL', acc, a, b, m, n, k, accumulate };
        break;
      }
      case 'STORE': {
        const acc = u('acc');
        const mode = ops.word(['requant', 'raw32'], head.col, 'STORE') as 'requant' | 'raw32';
        const dram = u('dram'), stride = u('stride'), rows = u('rows', 0xffff), cols = u('cols', 0xffff);
        if (mode === 'raw32') {
          ins = { op: 'STORE', acc, mode, dram, stride, rows, cols, table: 0, perRow: false, qmin: 0, qmax: 0 };
        } else {
          const table = u('table');
          const perRow = ops.word(['per_row', 'per_tensor'], head.col, 'STORE') === 'per_row';
          ins = { op: 'STORE', acc, mode, dram, stride, rows, cols, table, perRow, qmin: s8('qmin'), qmax: s8('qmax') };
        }
        break;
      }
      case 'FENCE':
        ins = { op: 'FENCE' };
        break;
      case 'LOAD_IM2COL':
        ins = { op: 'LOAD_IM2COL', spad: u('spad'), desc: u('desc'), row0: u('row0'), col0: u('col0'), rows: u('rows', 0xffff), cols: u('cols', 0xffff) };
        break;
      case 'HOST':
        ins = { op: 'HOST', fn: u('fn', 0xffff), offset: u('offset'), length: u('length') };
        break;
      default:
        this.at(head.col, `unknown instruction '${head.text}' (LOAD, PRELOAD, MATMUL, STORE, FENCE, LOAD_IM2COL, HOST)`);
    }
    ops.finish(head.text);
    try {
      this.code.emit(ins);
    } catch (e) {
      if (e instanceof TilecError) this.at(head.col, e.message);
      throw e;
    }
  }
}
