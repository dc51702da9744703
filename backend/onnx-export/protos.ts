import onnxProto from 'onnx-proto';
import { ONNX_DTYPE_CODE, type DType } from '../../ir/dtype.js';
import type { ValueType } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';

// The protobuf messages the QDQ writer emits: tensors (little-endian raw_data, as exporters write), value
// infos and attributes. int64 tensors are held in Float64Array (exact up to 2^53) and written as int64.

const { onnx } = onnxProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export { onnx };

const BYTES: Readonly<Record<DType, number>> = { float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1 };

export function tensorProto(name: string, t: Tensor): TensorProto {
  const es = BYTES[t.dtype];
  const raw = new Uint8Array(t.data.length * es);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!, o = i * es;
    switch (t.dtype) {
      case 'float32': dv.setFloat32(o, v, true); break;
      case 'float64': dv.setFloat64(o, v, true); break;
      case 'int8': dv.setInt8(o, v); break;
      case 'uint8': case 'bool': dv.setUint8(o, v); break;
      case 'int16': dv.setInt16(o, v, true); break;
      case 'uint16': dv.setUint16(o, v, true); break;
      case 'int32': dv.setInt32(o, v, true); break;
      case 'int64': dv.setBigInt64(o, BigInt(v), true); break;
    }
  }
  return { name, dims: [...t.shape], dataType: ONNX_DTYPE_CODE[t.dtype], rawData: raw };
}

export function valueInfo(name: string, t: ValueType): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ONNX_DTYPE_CODE[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  };
}

const T = onnx.AttributeProto.AttributeType;
export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: T.INT, i }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({ name, type: T.INTS, ints: [...ints] }),
  float: (name: string, f: number): AttributeProto => ({ name, type: T.FLOAT, f }),
  string: (name: string, s: string): AttributeProto => ({ name, type: T.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: Tensor): AttributeProto => ({ name, type: T.TENSOR, t: tensorProto('', t) }),
};
