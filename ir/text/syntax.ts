import { type DType, newTensorData } from '../dtype.js';
import { type Tensor, numel } from '../tensor.js';

// Lexical rules shared by the printer and the parser, so the two cannot drift apart.

/** Value and node names that need no quotes after `%` / `@`. Anything else is a JSON string. */
export const BARE_NAME = /^[A-Za-z0-9_.\/-]+$/;
export const BARE_NAME_CHAR = /[A-Za-z0-9_.\/-]/;

export const quoteName = (name: string): string => (BARE_NAME.test(name) ? name : JSON.stringify(name));

/** Shortest text that parses back to exactly `x` (JS guarantees this for String(x)), plus -0, nan, inf. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** What `formatNumber` produces (and a little more: a leading '+', '-nan'). */
export const NUMBER = /[+-]?(?:nan|inf|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/y;

export function parseNumberToken(tok: string): number {
  const body = tok.replace(/^[+-]/, '');
  const neg = tok.startsWith('-');
  if (body === 'nan') return NaN;
  if (body === 'inf') return neg ? -Infinity : Infinity;
  return Number(tok);
}

/** Tensors at most this large print as a readable list (when that is exact: no NaN, whose payload bits a list would lose). */
export const LIST_MAX_ELEMENTS = 16;

export const printsAsList = (t: Tensor): boolean => {
  if (t.data.length > LIST_MAX_ELEMENTS) return false;
  for (let i = 0; i < t.data.length; i++) if (Number.isNaN(t.data[i]!)) return false;
  return true;
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ELEMENT_BYTES: Readonly<Record<DType, number>> = {
  float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1,
};

/**
 * The tensor's elements as little-endian bytes, ONNX raw_data layout (int64 as two's-complement 64-bit,
 * not as the float64 the IR holds it in).
 */
export function tensorBytes(t: Tensor): Uint8Array {
  const n = t.data.length;
  // Copying the memory keeps NaN payloads, which a float read/write may canonicalize.
  if (LITTLE_ENDIAN_HOST && t.dtype !== 'int64') return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  const out = new Uint8Array(n * ELEMENT_BYTES[t.dtype]);
  const view = new DataView(out.buffer);
  const d = t.data;
  switch (t.dtype) {
    case 'float32': for (let i = 0; i < n; i++) view.setFloat32(4 * i, d[i]!, true); break;
    case 'float64': for (let i = 0; i < n; i++) view.setFloat64(8 * i, d[i]!, true); break;
    case 'int64': for (let i = 0; i < n; i++) view.setBigInt64(8 * i, BigInt(d[i]!), true); break;
    case 'int8': case 'uint8': case 'bool': out.set(new Uint8Array(d.buffer, d.byteOffset, n)); break;
    case 'int16': for (let i = 0; i < n; i++) view.setInt16(2 * i, d[i]!, true); break;
    case 'uint16': for (let i = 0; i < n; i++) view.setUint16(2 * i, d[i]!, true); break;
    case 'int32': for (let i = 0; i < n; i++) view.setInt32(4 * i, d[i]!, true); break;
  }
  return out;
}

/** Inverse of `tensorBytes`; returns an error message instead of a tensor when the bytes do not fit. */
export function tensorFromBytes(dtype: DType, shape: readonly number[], bytes: Uint8Array): Tensor | string {
  const n = numel(shape);
  const size = ELEMENT_BYTES[dtype];
  if (bytes.length !== n * size) return `${bytes.length} bytes of data, but ${dtype}[${shape.join(',')}] needs ${n * size}`;
  const data = newTensorData(dtype, n);
  if (LITTLE_ENDIAN_HOST && dtype !== 'int64') {
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes);
    return { dtype, shape: [...shape], data };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32': for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true); break;
    case 'float64': for (let i = 0; i < n; i++) data[i] = view.getFloat64(8 * i, true); break;
    case 'int64':
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2n ** 53n || v < -(2n ** 53n)) return `int64 element ${i} = ${v} is beyond 2^53, which the IR cannot hold exactly`;
        data[i] = Number(v);
      }
      break;
    case 'int8': for (let i = 0; i < n; i++) data[i] = view.getInt8(i); break;
    case 'uint8': case 'bool': data.set(bytes); break;
    case 'int16': for (let i = 0; i < n; i++) data[i] = view.getInt16(2 * i, true); break;
    case 'uint16': for (let i = 0; i < n; i++) data[i] = view.getUint16(2 * i, true); break;
    case 'int32': for (let i = 0; i < n; i++) data[i] = view.getInt32(4 * i, true); break;
  }
  return { dtype, shape: [...shape], data };
}
