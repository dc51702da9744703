import { endianness } from 'node:os';
import type { DType } from '../../ir/dtype.js';
import { fail, invariant } from '../../ir/errors.js';
import { type Tensor, numel, tensor } from '../../ir/tensor.js';

// NumPy .npy files (format versions 1, 2 and 3), C order only. The element types are the ones tilec's
// IR holds; '<f2' is widened to float32 like ONNX float16, int64 lands in a Float64Array and must stay
// within +-2^53 (checked, never rounded).

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

interface NpyType { readonly dtype: DType; readonly bytes: number; readonly half?: true }

/** descr -> IR dtype. Single-byte types may be written with '|', '<' or '='. */
const READ_TYPES: ReadonlyMap<string, NpyType> = new Map<string, NpyType>([
  ['f4', { dtype: 'float32', bytes: 4 }], ['f8', { dtype: 'float64', bytes: 8 }], ['f2', { dtype: 'float32', bytes: 2, half: true }],
  ['u1', { dtype: 'uint8', bytes: 1 }], ['i1', { dtype: 'int8', bytes: 1 }], ['b1', { dtype: 'bool', bytes: 1 }],
  ['i2', { dtype: 'int16', bytes: 2 }], ['u2', { dtype: 'uint16', bytes: 2 }],
  ['i4', { dtype: 'int32', bytes: 4 }], ['i8', { dtype: 'int64', bytes: 8 }],
]);

const WRITE_DESCR: Readonly<Record<DType, string>> = {
  float32: '<f4', float64: '<f8', uint8: '|u1', int8: '|i1', bool: '|b1', int16: '<i2', uint16: '<u2', int32: '<i4', int64: '<i8',
};

function assertLittleEndianHost(): void {
  invariant(endianness() === 'LE', 'the .npy reader/writer assumes a little-endian host');
}

interface Header { descr: string; fortranOrder: boolean; shape: number[] }

/** Parses the Python dict literal numpy writes, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }. */
function parseHeader(text: string, who: string): Header {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) fail(`${who}: structured (record) .npy arrays are not supported`);
    fail(`${who}: .npy header has no 'descr': ${text.trim()}`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) fail(`${who}: .npy header has no 'fortran_order': ${text.trim()}`);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shape) fail(`${who}: .npy header has no 'shape' tuple: ${text.trim()}`);
  const dims = shape[1]!.split(',').map((d) => d.trim()).filter((d) => d !== '');
  for (const d of dims) if (!/^[0-9]+$/.test(d)) fail(`${who}: .npy shape (${shape[1]}) has a non-integer dimension '${d}'`);
  return { descr: descr[1]!, fortranOrder: fortran[1] === 'True', shape: dims.map(Number) };
}

function elementType(descr: string, who: string): NpyType {
  const order = descr[0];
  const code = descr.slice(1);
  const t = READ_TYPES.get(code);
  const littleOrSingle = order === '<' || order === '=' || (order === '|' && t?.bytes === 1) || (order === '>' && t?.bytes === 1);
  if (!t || !littleOrSingle) {
    fail(`${who}: .npy dtype '${descr}' is not supported (supported: '<f4', '<f8', '<f2', '|u1', '|i1', '|b1', '<i2', '<u2', '<i4', '<i8'; little-endian only)`);
  }
  return t;
}

/** IEEE half -> float32 value. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decodes a whole .npy file. `who` (usually the path) names the file in errors. */
export function decodeNpy(bytes: Uint8Array, who: string): Tensor {
  assertLittleEndianHost();
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail(`${who}: not a .npy file (missing the \\x93NUMPY magic)`);
  const major = bytes[6]!;
  if (major < 1 || major > 3) fail(`${who}: .npy format version ${major}.${bytes[7]} is not supported (1, 2 or 3)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail(`${who}: .npy file is truncated inside its header`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length) fail(`${who}: .npy header says ${headerLen} bytes but the file has only ${bytes.length - 8 - lenBytes} after the preamble`);
  const headerBytes = bytes.subarray(8 + lenBytes, dataStart);
  const headerText = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : new TextDecoder('latin1').decode(headerBytes);
  const h = parseHeader(headerText, who);
  if (h.fortranOrder) {
    fail(`${who}: .npy array is in Fortran order (fortran_order: True); save it C-contiguous (np.ascontiguousarray)`);
  }
  const et = elementType(h.descr, who);
  const n = numel(h.shape);
  const want = n * et.bytes;
  const have = bytes.length - dataStart;
  if (have !== want) {
    fail(`${who}: .npy shape (${h.shape.join(', ')}) of '${h.descr}' needs ${want} data bytes but the file has ${have}`);
  }
  // A fresh copy (Buffer.slice would be a view into Node's shared pool), so the typed views below are aligned.
  const raw = new Uint8Array(bytes.subarray(dataStart, dataStart + want));
  return tensor(et.dtype, h.shape, decodeElements(raw, et, n, who));
}

function decodeElements(raw: Uint8Array, et: NpyType, n: number, who: string): ArrayLike<number> {
  const buf = raw.buffer;
  if (et.half) {
    const src = new Uint16Array(buf, 0, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(src[i]!);
    return out;
  }
  switch (et.dtype) {
    case 'float32': return new Float32Array(buf, 0, n);
    case 'float64': return new Float64Array(buf, 0, n);
    case 'uint8': return raw;
    case 'bool': {
      for (let i = 0; i < n; i++) if (raw[i]! > 1) fail(`${who}: bool element ${i} has byte value ${raw[i]}, expected 0 or 1`);
      return raw;
    }
    case 'int8': return new Int8Array(buf, 0, n);
    case 'int16': return new Int16Array(buf, 0, n);
    case 'uint16': return new Uint16Array(buf, 0, n);
    case 'int32': return new Int32Array(buf, 0, n);
    case 'int64': {
      const src = new BigInt64Array(buf, 0, n);
      const out = new Float64Array(n);
      const limit = 2n ** 53n;
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v > limit || v < -limit) fail(`${who}: int64 element ${i} is ${v}, beyond the exactly representable +-2^53`);
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** Encodes a tensor as a version-1 .npy file (header padded to 64 bytes, as numpy does). */
export function encodeNpy(t: Tensor): Uint8Array {
  assertLittleEndianHost();
  const shapeText = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  const dict = `{'descr': '${WRITE_DESCR[t.dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const headerLen = dict.length + 1 + ((64 - (unpadded % 64)) % 64);
  invariant(headerLen <= 0xffff, `npy header of ${headerLen} bytes does not fit format version 1`);
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  const body = encodeElements(t);
  const out = new Uint8Array(10 + headerLen + body.length);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerLen, true);
  for (let i = 0; i < headerLen; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + headerLen);
  return out;
}

function encodeElements(t: Tensor): Uint8Array {
  if (t.dtype === 'int64') {
    const n = t.data.length;
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = t.data[i]!;
      invariant(Number.isInteger(v), `int64 tensor holds non-integer ${v} at ${i}`);
      out[i] = BigInt(v);
    }
    return new Uint8Array(out.buffer);
  }
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
