import { fail } from '../ir/errors.js';
import { ONNX_DTYPE_CODE, type DType } from '../ir/dtype.js';
import type { QuantParams } from '../ir/graph.js';
import { LOOP_ORDERS, normalizeTarget, type Target } from './target.js';
import { ByteReader, ByteWriter } from './bytes.js';
import {
  CONSTANT_KINDS, TENSOR_ROLES, decodeCode, validateProgram, type ConstantBlob, type TensorEntry, type TileProgram,
} from './program.js';

// The binary tile program (.tbin), specified in docs/isa.md ("Program format"). Little-endian throughout:
//   header  "TILECBIN", u16 major, u16 minor, u32 DRAM bytes
//   sections, each u32 tag, u32 payload length, payload, zero padding to 8 bytes, in this order:
//   TRGT target, TENS tensor table, CNST constants, HOST host operand data, CODE instruction words.
// Decoding is strict (known tags in order, zero padding, canonical instruction words), so a decoded
// program encodes back to the same bytes and disassembly loses nothing.

export const TBIN_MAGIC = 'TILECBIN';
export const TBIN_VERSION = { major: 1, minor: 0 } as const;
const TAGS = ['TRGT', 'TENS', 'CNST', 'HOST', 'CODE'] as const;
const QUANT = 1, QUANT_AXIS = 2;

const DTYPE_OF_CODE = new Map<number, DType>(Object.entries(ONNX_DTYPE_CODE).map(([d, c]) => [c, d as DType]));

export function encodeTbin(p: TileProgram): Uint8Array {
  const chunks = encodeTbinChunks(p);
  const out = new Uint8Array(chunks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of chunks) { out.set(b, at); at += b.length; }
  return out;
}

/**
 * encodeTbin's bytes as the pieces that make them up, in file order: the big blobs (constants, host data,
 * code: tens of MB for ResNet-50) are the program's own arrays, not copies, so a file writer moves each byte
 * once and allocates nothing for them. Only the small metadata goes through ByteWriters.
 */
export function encodeTbinChunks(p: TileProgram): Uint8Array[] {
  validateProgram(p, 'tile program');
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (b: Uint8Array): void => { chunks.push(b); length += b.length; };
  const small = (write: (w: ByteWriter) => void): Uint8Array => { const w = new ByteWriter(); write(w); return w.result(); };
  push(small((w) => {
    w.bytes(new TextEncoder().encode(TBIN_MAGIC));
    w.u16(TBIN_VERSION.major);
    w.u16(TBIN_VERSION.minor);
    w.u32(p.dramBytes);
  }));
  const section = (tag: string, payload: readonly Uint8Array[]): void => {
    const size = payload.reduce((n, b) => n + b.length, 0);
    push(small((w) => { w.bytes(new TextEncoder().encode(tag)); w.u32(size); }));
    for (const b of payload) push(b);
    if (length % 8 !== 0) push(new Uint8Array(8 - (length % 8)));
  };
  section('TRGT', [small((w) => writeTarget(w, p.target))]);
  section('TENS', [small((w) => {
    w.u32(p.tensors.length);
    for (const t of p.tensors) writeTensor(w, t);
  })]);
  const constants: Uint8Array[] = [small((w) => w.u32(p.constants.length))];
  for (const c of p.constants) {
    constants.push(small((w) => {
      w.str(c.name);
      w.u8(CONSTANT_KINDS.indexOf(c.kind));
      w.u32(c.addr);
      w.u32(c.data.length);
    }), c.data);
  }
  section('CNST', constants);
  section('HOST', [p.hostData]);
  section('CODE', [p.code]);
  return chunks;
}

function writeTarget(w: ByteWriter, target: Target): void {
  const t = normalizeTarget(target);
  w.str(t.name);
  w.u32(t.tile);
  w.f64(t.scratchpadBytes);
  w.f64(t.accumulatorBytes);
  w.f64(t.dramBytesPerCycle);
  w.u32(t.latency.load);
  w.u32(t.latency.matmul);
  w.u32(t.latency.store);
  w.u8(LOOP_ORDERS.indexOf(t.loopOrder));
  w.u8(t.unlimitedMemory ? 1 : 0);
}

function writeTensor(w: ByteWriter, t: TensorEntry): void {
  w.str(t.name);
  w.u8(TENSOR_ROLES.indexOf(t.role));
  w.u8(ONNX_DTYPE_CODE[t.dtype]);
  w.u8(t.shape.length);
  const q = t.quant;
  w.u8((q ? QUANT : 0) | (q?.axis !== undefined ? QUANT_AXIS : 0));
  w.u32(t.addr);
  for (const d of t.shape) w.u32(d);
  if (!q) return;
  w.u8(q.bits);
  if (q.axis !== undefined) w.i32(q.axis);
  w.u32(q.scale.length);
  for (const s of q.scale) w.f64(s);
  for (const z of q.zeroPoint) w.i32(z);
}

/** Decodes and validates a .tbin; every error names `source`. */
export function decodeTbin(bytes: Uint8Array, source: string): TileProgram {
  const where = `tbin '${source}'`;
  const r = new ByteReader(bytes, where);
  const magic = new TextDecoder().decode(r.bytes(8, 'magic'));
  if (magic !== TBIN_MAGIC) fail(`${where}: not a tilec program (magic ${JSON.stringify(magic)}, expected "${TBIN_MAGIC}")`);
  const major = r.u16('major version'), minor = r.u16('minor version');
  if (major !== TBIN_VERSION.major || minor > TBIN_VERSION.minor) {
    fail(`${where}: format version ${major}.${minor} is not supported (this tilec reads ${TBIN_VERSION.major}.0..${TBIN_VERSION.major}.${TBIN_VERSION.minor})`);
  }
  const dramBytes = r.u32('DRAM size');
  const payloads = new Map<string, ByteReader>();
  for (const tag of TAGS) {
    const got = new TextDecoder().decode(r.bytes(4, 'section tag'));
    if (got !== tag) fail(`${where}: expected section ${tag} at byte ${r.pos - 4}, found ${JSON.stringify(got)}`);
    const length = r.u32(`${tag} length`);
    const start = r.pos;
    r.bytes(length, `${tag} payload`);
    payloads.set(tag, new ByteReader(bytes, `${where} section ${tag}`, start, start + length));
    r.zeroPad(8, tag);
  }
  if (r.remaining !== 0) fail(`${where}: ${r.remaining} unexpected bytes after the CODE section`);
  const section = (tag: string): ByteReader => payloads.get(tag)!;
  const done = (tag: string, s: ByteReader): void => {
    if (s.remaining !== 0) fail(`${where}: section ${tag} has ${s.remaining} unexpected trailing bytes`);
  };

  const ts = section('TRGT');
  const target = readTarget(ts, where);
  done('TRGT', ts);
  const tn = section('TENS');
  const tensors: TensorEntry[] = [];
  for (let i = 0, n = tn.u32('tensor count'); i < n; i++) tensors.push(readTensor(tn, where));
  done('TENS', tn);
  const cs = section('CNST');
  const constants: ConstantBlob[] = [];
  for (let i = 0, n = cs.u32('constant count'); i < n; i++) {
    const name = cs.str('constant name');
    const kind = CONSTANT_KINDS[cs.u8('constant kind')];
    if (kind === undefined) fail(`${where}: constant '${name}' has an unknown kind`);
    const addr = cs.u32('constant address');
    const data = cs.bytes(cs.u32('constant length'), `constant '${name}' data`);
    constants.push({ name, kind, addr, data });
  }
  done('CNST', cs);
  const hs = section('HOST');
  const hostData = hs.bytes(hs.remaining, 'host data');
  const code = section('CODE').bytes(section('CODE').remaining, 'code');
  const program: TileProgram = { target, dramBytes, tensors, constants, hostData, code };
  validateProgram(program, where);
  decodeCode(code, `${where}: instruction `);
  return program;
}

function readTarget(r: ByteReader, where: string): Target {
  const name = r.str('target name');
  const tile = r.u32('tile');
  const scratchpadBytes = r.f64('scratchpadBytes');
  const accumulatorBytes = r.f64('accumulatorBytes');
  const dramBytesPerCycle = r.f64('dramBytesPerCycle');
  const latency = { load: r.u32('latency.load'), matmul: r.u32('latency.matmul'), store: r.u32('latency.store') };
  const loopOrder = LOOP_ORDERS[r.u8('loopOrder')];
  if (loopOrder === undefined) fail(`${where}: target loopOrder code is unknown`);
  const unlimited = r.u8('unlimitedMemory');
  if (unlimited > 1) fail(`${where}: target unlimitedMemory must be 0 or 1, got ${unlimited}`);
  return { name, tile, scratchpadBytes, accumulatorBytes, dramBytesPerCycle, latency, loopOrder, unlimitedMemory: unlimited === 1 };
}

function readTensor(r: ByteReader, where: string): TensorEntry {
  const name = r.str('tensor name');
  const role = TENSOR_ROLES[r.u8('tensor role')];
  if (role === undefined) fail(`${where}: tensor '${name}' has an unknown role`);
  const code = r.u8('tensor dtype');
  const dtype = DTYPE_OF_CODE.get(code);
  if (dtype === undefined) fail(`${where}: tensor '${name}' has unknown dtype code ${code}`);
  const rank = r.u8('tensor rank');
  const flags = r.u8('tensor flags');
  if ((flags & ~(QUANT | QUANT_AXIS)) !== 0 || flags === QUANT_AXIS) fail(`${where}: tensor '${name}' has bad flags 0x${flags.toString(16)}`);
  const addr = r.u32('tensor address');
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(r.u32('tensor dim'));
  if (!(flags & QUANT)) return { name, role, dtype, shape, addr };
  const bits = r.u8('quant bits');
  const axis = flags & QUANT_AXIS ? r.i32('quant axis') : undefined;
  const n = r.u32('quant scale count');
  const scale: number[] = [];
  for (let i = 0; i < n; i++) scale.push(r.f64('quant scale'));
  const zeroPoint: number[] = [];
  for (let i = 0; i < n; i++) zeroPoint.push(r.i32('quant zero point'));
  const quant: QuantParams = axis === undefined ? { scale, zeroPoint, bits } : { scale, zeroPoint, axis, bits };
  return { name, role, dtype, shape, addr, quant };
}
