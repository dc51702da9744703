// Element types tilec understands, with their ONNX TensorProto.DataType codes.
// int64 is held in a Float64Array: exact for |v| <= 2^53, which the importer enforces
// (shape and index tensors never come near it; a value beyond is rejected, not rounded).
// float16 and bfloat16 are widened to float32 on import and never appear in the IR.

export const DTYPES = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'int64', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export type TensorData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

export const ONNX_DTYPE_CODE: Readonly<Record<DType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float64: 11,
};

/** ONNX codes that the importer accepts and the IR dtype they become. */
export const ONNX_CODE_TO_DTYPE: ReadonlyMap<number, DType> = new Map<number, DType>([
  [1, 'float32'], [2, 'uint8'], [3, 'int8'], [4, 'uint16'], [5, 'int16'], [6, 'int32'], [7, 'int64'],
  [9, 'bool'], [10, 'float32' /* float16, widened */], [11, 'float64'], [16, 'float32' /* bfloat16, widened */],
]);

export const ONNX_CODE_NAME: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4',
};

/** Bytes per element as stored in ONNX raw_data, by ONNX code. */
export const ONNX_RAW_ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 16: 2,
};

export function newTensorData(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': case 'int64': return new Float64Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
  }
}

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';
export const isInteger = (d: DType): boolean => !isFloat(d) && d !== 'bool';

/** Inclusive value range of an integer dtype. */
export function intRange(d: DType): readonly [number, number] {
  switch (d) {
    case 'int8': return [-128, 127];
    case 'uint8': return [0, 255];
    case 'int16': return [-32768, 32767];
    case 'uint16': return [0, 65535];
    case 'int32': return [-2147483648, 2147483647];
    case 'int64': return [-(2 ** 53), 2 ** 53];
    case 'bool': return [0, 1];
    default: throw new Error(`bug: intRange of non-integer dtype ${d}`);
  }
}
