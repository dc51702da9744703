// Builds ONNX models and TensorProto files in code, for tests. Small on purpose: it writes what a test
// says and nothing more, so tests can also craft hostile protos (build the message with
// `buildModelProto`, edit any field, then `encodeModel`).
//
// Example:
//   const bytes = buildModel({
//     inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3] }],
//     outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 2] }],
//     initializers: [{ name: 'w', dtype: 'float32', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }],
//     nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
//   });
//
// Attribute values (NodeSpec.attrs):
// - explicit forms, always unambiguous: { f: 0.5 }, { i: 1 }, { floats: [..] }, { ints: [..] },
//   { s: 'SAME_UPPER' }, { strings: [..] }, { t: TensorSpec }, { g: onnx.IGraphProto };
// - shorthand, inferred: an integral number -> INT, another number -> FLOAT, an array of integral
//   numbers -> INTS (an empty array too), an array with any non-integral number -> FLOATS, a string ->
//   STRING, a TensorSpec object (has dtype/shape/data) -> TENSOR.
//   So a float attribute whose value is integral (Gemm alpha = 1, LeakyRelu alpha = 2) MUST be written
//   { f: 1 }; `alpha: 1` would be encoded as INT.

import onnxProto from 'onnx-proto';
import type { DType } from '../../ir/dtype.js';

export const { onnx } = onnxProto;

/** IR dtype names, the two 16-bit floats the importer widens, or a raw ONNX code (for unsupported/unknown dtypes). */
export type BuilderDType = DType | 'float16' | 'bfloat16' | number;

const CODE: Readonly<Record<Exclude<BuilderDType, number>, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16,
};

export const dtypeCode = (d: BuilderDType): number => (typeof d === 'number' ? d : CODE[d]);

export interface TensorSpec {
  name?: string;
  dtype: BuilderDType;
  shape: readonly number[];
  /** Element values (float16/bfloat16 given as float values; they are rounded to the 16-bit format). */
  data: ArrayLike<number>;
  /** 'raw' (default, what exporters write): little-endian raw_data; 'typed': float_data/int32_data/int64_data/double_data. */
  encoding?: 'raw' | 'typed';
  /** Store the data in an external file instead: the caller writes `rawBytes(dtype, data)` there. */
  external?: { location: string; offset?: number; length?: number };
}

export interface ValueSpec {
  name: string;
  dtype: BuilderDType;
  /** Dims: a number is dim_value, a string dim_param, null a dimension with neither. Omit for no shape at all. */
  shape?: readonly (number | string | null)[];
}

export type AttrValue =
  | number | readonly number[] | string | TensorSpec
  | { f: number } | { i: number } | { floats: readonly number[] } | { ints: readonly number[] }
  | { s: string } | { strings: readonly string[] } | { t: TensorSpec } | { g: onnxProto.onnx.IGraphProto };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attrs?: Readonly<Record<string, AttrValue>>;
}

export interface ModelSpec {
  /** Default-domain opset (default 13). Ignored when `opsets` is given. */
  opset?: number;
  /** Full opset_import list, e.g. [{ domain: '', version: 11 }, { domain: 'com.microsoft', version: 1 }]. */
  opsets?: readonly { domain: string; version: number }[];
  /** Default 8. */
  irVersion?: number;
  graphName?: string;
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  initializers?: readonly TensorSpec[];
  /** Also list every initializer as a graph input, as IR v3 exporters (CNTK, old PyTorch) do. */
  initializersAsInputs?: boolean;
  valueInfo?: readonly ValueSpec[];
  nodes: readonly NodeSpec[];
}

/** IEEE half bits of a float, round to nearest even (so tests can state float16 data as plain numbers). */
export function toFloat16Bits(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // may carry into the exponent: still correct
  e = h >>> 10;
  return sign | (e >= 0x1f ? 0x7c00 : h);
}

/** bfloat16 bits of a float (upper half of float32, round to nearest even). */
export function toBfloat16Bits(v: number): number {
  const x = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  if (Number.isNaN(v)) return 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian raw_data bytes of `data` as ONNX stores dtype `d`. */
export function rawBytes(d: BuilderDType, data: ArrayLike<number>): Uint8Array {
  const code = dtypeCode(d);
  const size: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
  const es = size[code];
  if (es === undefined) throw new Error(`onnx-builder: no raw encoding for ONNX dtype code ${code}`);
  const out = new Uint8Array(data.length * es);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!, o = i * es;
    switch (code) {
      case 1: dv.setFloat32(o, v, true); break;
      case 2: case 9: dv.setUint8(o, v); break;
      case 3: dv.setInt8(o, v); break;
      case 4: dv.setUint16(o, v, true); break;
      case 5: dv.setInt16(o, v, true); break;
      case 6: dv.setInt32(o, v, true); break;
      case 12: dv.setUint32(o, v, true); break;
      case 7: dv.setBigInt64(o, BigInt(v), true); break;
      case 13: dv.setBigUint64(o, BigInt(v), true); break;
      case 10: dv.setUint16(o, toFloat16Bits(v), true); break;
      case 16: dv.setUint16(o, toBfloat16Bits(v), true); break;
      case 11: dv.setFloat64(o, v, true); break;
    }
  }
  return out;
}

/** A TensorProto message (editable before encoding). */
export function tensorProto(spec: TensorSpec): onnxProto.onnx.TensorProto {
  const code = dtypeCode(spec.dtype);
  const t = onnx.TensorProto.create({ name: spec.name ?? '', dims: [...spec.shape], dataType: code });
  if (spec.external) {
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    const { location, offset, length } = spec.external;
    t.externalData = [{ key: 'location', value: location }];
    if (offset !== undefined) t.externalData.push({ key: 'offset', value: String(offset) });
    if (length !== undefined) t.externalData.push({ key: 'length', value: String(length) });
    return t;
  }
  if ((spec.encoding ?? 'raw') === 'raw') {
    t.rawData = rawBytes(spec.dtype, spec.data);
    return t;
  }
  const values = Array.from(spec.data);
  switch (code) {
    case 1: t.floatData = values; break;
    case 11: t.doubleData = values; break;
    case 7: t.int64Data = values; break;
    case 12: case 13: t.uint64Data = values; break;
    case 10: t.int32Data = values.map(toFloat16Bits); break;
    case 16: t.int32Data = values.map(toBfloat16Bits); break;
    default: t.int32Data = values; break; // int8/uint8/int16/uint16/int32/bool all travel in int32_data
  }
  return t;
}

/** Encoded TensorProto bytes, as in ONNX test data `input_0.pb` files. */
export function tensorProtoBytes(name: string, dtype: BuilderDType, shape: readonly number[], data: ArrayLike<number>,
  encoding: 'raw' | 'typed' = 'raw'): Uint8Array {
  return plain(onnx.TensorProto.encode(tensorProto({ name, dtype, shape, data, encoding })).finish());
}

export function valueInfo(v: ValueSpec): onnxProto.onnx.ValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: dtypeCode(v.dtype) };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    };
  }
  return onnx.ValueInfoProto.create({ name: v.name, type: { tensorType } });
}

const isTensorSpec = (v: unknown): v is TensorSpec =>
  typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;

export function attribute(name: string, v: AttrValue): onnxProto.onnx.AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const a = onnx.AttributeProto.create({ name });
  const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) { a.type = T.INT; a.i = v; } else { a.type = T.FLOAT; a.f = v; }
  } else if (typeof v === 'string') {
    a.type = T.STRING; a.s = utf8(v);
  } else if (Array.isArray(v)) {
    const nums = v as readonly number[];
    if (nums.every(Number.isInteger)) { a.type = T.INTS; a.ints = [...nums]; } else { a.type = T.FLOATS; a.floats = [...nums]; }
  } else if (isTensorSpec(v)) {
    a.type = T.TENSOR; a.t = tensorProto(v);
  } else if ('f' in v) { a.type = T.FLOAT; a.f = v.f; }
  else if ('i' in v) { a.type = T.INT; a.i = v.i; }
  else if ('floats' in v) { a.type = T.FLOATS; a.floats = [...v.floats]; }
  else if ('ints' in v) { a.type = T.INTS; a.ints = [...v.ints]; }
  else if ('s' in v) { a.type = T.STRING; a.s = utf8(v.s); }
  else if ('strings' in v) { a.type = T.STRINGS; a.strings = v.strings.map(utf8); }
  else if ('t' in v) { a.type = T.TENSOR; a.t = tensorProto(v.t); }
  else { a.type = T.GRAPH; a.g = (v as { g: onnxProto.onnx.IGraphProto }).g; }
  return a;
}

export function nodeProto(n: NodeSpec): onnxProto.onnx.NodeProto {
  return onnx.NodeProto.create({
    opType: n.op,
    name: n.name ?? '',
    domain: n.domain ?? '',
    input: [...n.inputs],
    output: [...n.outputs],
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  });
}

/** The ModelProto message, for tests that edit raw fields before `encodeModel`. */
export function buildModelProto(spec: ModelSpec): onnxProto.onnx.ModelProto {
  const inits = spec.initializers ?? [];
  const inputs = [...spec.inputs];
  if (spec.initializersAsInputs) {
    for (const t of inits) inputs.push({ name: t.name ?? '', dtype: t.dtype, shape: t.shape });
  }
  const opsets = spec.opsets ?? [{ domain: '', version: spec.opset ?? 13 }];
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: 'tilec-test',
    opsetImport: opsets.map((o) => ({ domain: o.domain, version: o.version })),
    graph: {
      name: spec.graphName ?? 'test_graph',
      input: inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      valueInfo: (spec.valueInfo ?? []).map(valueInfo),
      initializer: inits.map(tensorProto),
      node: spec.nodes.map(nodeProto),
    },
  });
}

/** protobufjs returns a Node Buffer, whose slice() is a view; a plain Uint8Array behaves as tests expect. */
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b);

export const encodeModel = (proto: onnxProto.onnx.IModelProto): Uint8Array => plain(onnx.ModelProto.encode(proto).finish());

export const buildModel = (spec: ModelSpec): Uint8Array => encodeModel(buildModelProto(spec));
