import type onnxProto from 'onnx-proto';
import { type DType, ONNX_CODE_NAME, ONNX_CODE_TO_DTYPE, ONNX_RAW_ELEMENT_BYTES, intRange, newTensorData } from '../ir/dtype.js';
import { fail, failTensorLimit, invariant, unsupported } from '../ir/errors.js';
import { type Tensor, shapeStr } from '../ir/tensor.js';
import { externalRef, readExternal } from './external-data.js';
import { type LongLike, int64FromHalves, toSafeInt } from './int64.js';

// TensorProto -> Tensor, for every encoding exporters write: raw_data (little-endian bytes), the typed
// repeated fields, and external files. Sizes are checked against dims before anything is allocated.

type ITensorProto = onnxProto.onnx.ITensorProto;

const FLOAT16 = 10, BFLOAT16 = 16, EXTERNAL = 1;

export interface TensorSource {
  /** Folder that external data locations are relative to; undefined when the model came as bytes only. */
  readonly baseDir?: string;
  readonly maxElements: number;
}

export const dtypeName = (code: number): string => ONNX_CODE_NAME[code] ?? `unknown (code ${code})`;

/** The IR dtype of an ONNX element type, or UnsupportedError naming `who`. */
export function dtypeOfCode(code: number, who: string): DType {
  const d = ONNX_CODE_TO_DTYPE.get(code);
  if (d === undefined) unsupported(`${who} has element type ${dtypeName(code)}, which tilec does not support`);
  return d;
}

/** Validated dims and element count; rejects negative dims and counts beyond `max` without multiplying past it. */
export function checkedDims(dims: readonly (number | LongLike)[], max: number, who: string): { shape: number[]; count: number } {
  const shape = dims.map((d, i) => toSafeInt(d, () => `${who} dim ${i}`));
  const bad = shape.findIndex((d) => d < 0);
  if (bad >= 0) fail(`${who} has a negative dimension ${shape[bad]} in dims ${shapeStr(shape)}`);
  if (shape.includes(0)) return { shape, count: 0 };
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > max) failTensorLimit(`${who} has dims ${shapeStr(shape)}, more than the ${max} elements tilec accepts in one tensor`);
  }
  return { shape, count };
}

const halfToFloat = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1024 + m) * 2 ** (e - 25);
};

/** Decodes one element stream (raw bytes or int32_data) into the IR array, widening 16-bit floats. */
function fromRaw(bytes: Uint8Array, code: number, dtype: DType, count: number, who: string): Tensor['data'] {
  const out = newTensorData(dtype, count);
  // DataView: raw_data is often a view at an odd offset inside the decoded buffer, and is little-endian.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (code) {
    case 1: for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true); break;
    case 11: for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true); break;
    case 2: for (let i = 0; i < count; i++) out[i] = dv.getUint8(i); break;
    case 3: for (let i = 0; i < count; i++) out[i] = dv.getInt8(i); break;
    case 9: for (let i = 0; i < count; i++) out[i] = dv.getUint8(i) ? 1 : 0; break;
    case 4: for (let i = 0; i < count; i++) out[i] = dv.getUint16(2 * i, true); break;
    case 5: for (let i = 0; i < count; i++) out[i] = dv.getInt16(2 * i, true); break;
    case 6: for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, true); break;
    case FLOAT16: for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true)); break;
    case BFLOAT16: {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) { word.setUint32(0, dv.getUint16(2 * i, true) << 16); out[i] = word.getFloat32(0); }
      break;
    }
    case 7:
      for (let i = 0; i < count; i++) {
        const low = dv.getUint32(8 * i, true), high = dv.getInt32(8 * i + 4, true);
        out[i] = int64FromHalves(low, high) ?? toSafeInt({ low, high }, () => `${who} element ${i}`);
      }
      break;
    default: invariant(false, `no raw decoder for ONNX code ${code}`);
  }
  return out;
}

/** int32_data carries every type of 32 bits or fewer; values must fit the declared type. */
function fromInt32Field(values: readonly number[], code: number, dtype: DType, who: string): Tensor['data'] {
  const n = values.length;
  if (code === FLOAT16 || code === BFLOAT16) {
    const bytes = new Uint8Array(2 * n);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v < 0 || v > 0xffff) fail(`${who}: int32_data element ${i} = ${v} is not a 16-bit ${dtypeName(code)} bit pattern`);
      dv.setUint16(2 * i, v, true);
    }
    return fromRaw(bytes, code, dtype, n, who);
  }
  const out = newTensorData(dtype, n);
  const [lo, hi] = intRange(dtype);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (dtype === 'bool') { out[i] = v ? 1 : 0; continue; }
    if (v < lo || v > hi) fail(`${who}: int32_data element ${i} = ${v} is out of range for ${dtypeName(code)}`);
    out[i] = v;
  }
  return out;
}

/** The repeated field that holds elements of ONNX type `code` when raw_data is not used. */
function typedFieldOf(code: number): 'floatData' | 'doubleData' | 'int64Data' | 'int32Data' {
  return code === 1 ? 'floatData' : code === 11 ? 'doubleData' : code === 7 ? 'int64Data' : 'int32Data';
}

const TYPED_FIELDS = [
  ['floatData', 'float_data'], ['int32Data', 'int32_data'], ['int64Data', 'int64_data'], ['doubleData', 'double_data'],
  ['uint64Data', 'uint64_data'], ['stringData', 'string_data'],
] as const;

/**
 * Converts a TensorProto to an IR tensor. `who` names it in every error (`initializer 'conv1.w'`,
 * `Constant 'c' attribute 'value'`).
 */
export function tensorFromProto(p: ITensorProto, who: string, src: TensorSource): Tensor {
  const code = p.dataType ?? 0;
  const dtype = dtypeOfCode(code, who);
  if (p.segment) unsupported(`${who} is a segmented tensor, which tilec does not support`);
  const { shape, count } = checkedDims(p.dims ?? [], src.maxElements, who);
  const elementBytes = ONNX_RAW_ELEMENT_BYTES[code]!;
  const present = TYPED_FIELDS.filter(([f]) => (p[f]?.length ?? 0) > 0);

  if ((p.dataLocation ?? 0) === EXTERNAL) {
    if (present.length > 0 || (p.rawData?.length ?? 0) > 0) fail(`${who} is marked as external data but also carries inline data`);
    if (src.baseDir === undefined) fail(`${who} uses external data, which needs the model's file path to locate it`);
    const bytes = readExternal(src.baseDir, externalRef(p.externalData ?? [], who), count * elementBytes, who);
    return { dtype, shape, data: fromRaw(bytes, code, dtype, count, who) };
  }
  if ((p.dataLocation ?? 0) !== 0) fail(`${who} has unknown data_location ${p.dataLocation}`);

  const raw = p.rawData;
  if (raw && raw.length > 0) {
    if (present.length > 0) fail(`${who} carries both raw_data and ${present[0]![1]}`);
    if (raw.length !== count * elementBytes) {
      fail(`${who}: raw_data has ${raw.length} bytes but dims ${shapeStr(shape)} of ${dtypeName(code)} need ${count * elementBytes}`);
    }
    return { dtype, shape, data: fromRaw(raw, code, dtype, count, who) };
  }

  const field = typedFieldOf(code);
  const wrong = present.find(([f]) => f !== field);
  if (wrong) fail(`${who} has element type ${dtypeName(code)} but stores data in ${wrong[1]}`);
  const values = p[field] ?? [];
  if (values.length !== count) {
    fail(`${who}: ${TYPED_FIELDS.find(([f]) => f === field)![1]} has ${values.length} elements but dims ${shapeStr(shape)} need ${count}`);
  }
  if (field === 'int32Data') return { dtype, shape, data: fromInt32Field(values as number[], code, dtype, who) };
  const out = newTensorData(dtype, count);
  if (field === 'int64Data') {
    for (let i = 0; i < count; i++) out[i] = toSafeInt((values as (number | LongLike)[])[i]!, () => `${who} element ${i}`);
  } else {
    out.set(values as number[]);
  }
  return { dtype, shape, data: out };
}
