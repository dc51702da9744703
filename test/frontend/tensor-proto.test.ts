import { describe, expect, it } from 'vitest';
import { decodeTensorFile } from '../../frontend/index.js';
import { TilecError, UnsupportedError } from '../../ir/errors.js';
import { onnx, rawBytes, tensorProto, tensorProtoBytes, type TensorSpec } from '../helpers/onnx-builder.js';

// TensorProto decoding, through the public decodeTensorFile (the same code reads initializers and
// Constant values).

const encode = (spec: TensorSpec): Uint8Array => onnx.TensorProto.encode(tensorProto(spec)).finish();
const decode = (bytes: Uint8Array) => decodeTensorFile(bytes, 'input_0.pb');
const values = (bytes: Uint8Array): number[] => Array.from(decode(bytes).tensor.data);

/** A copy of `bytes` starting `offset` bytes into a larger buffer, so decoded raw_data views are unaligned. */
function atOffset(bytes: Uint8Array, offset: number): Uint8Array {
  const buf = new Uint8Array(bytes.length + offset);
  buf.set(bytes, offset);
  return buf.subarray(offset);
}

describe('TensorProto encodings', () => {
  it('reads float32 raw_data that sits at an odd byte offset', () => {
    const data = [1.5, -2.25, 2 ** -20, 65504, -0];
    const bytes = atOffset(encode({ name: 'x', dtype: 'float32', shape: [5], data }), 1);
    // Make sure the test exercises what it claims: protobufjs hands out a view at an unaligned offset.
    const raw = onnx.TensorProto.decode(bytes).rawData;
    expect(raw.byteOffset % 4).not.toBe(0);
    const { name, tensor } = decode(bytes);
    expect(name).toBe('x');
    expect(tensor.dtype).toBe('float32');
    expect(tensor.shape).toEqual([5]);
    expect(tensor.data).toBeInstanceOf(Float32Array);
    expect(Array.from(tensor.data)).toEqual(data);
    expect(Object.is(tensor.data[4], -0)).toBe(true);
  });

  it.each([
    ['float32', [1, -2.5, 1e-7], Float32Array],
    ['float64', [1, -2.5, 1e-300], Float64Array],
    ['int8', [-128, 0, 127], Int8Array],
    ['uint8', [0, 200, 255], Uint8Array],
    ['int16', [-32768, 7, 32767], Int16Array],
    ['uint16', [0, 40000, 65535], Uint16Array],
    ['int32', [-2147483648, 5, 2147483647], Int32Array],
    ['int64', [-(2 ** 53), -1, 2 ** 53], Float64Array],
  ] as const)('reads %s from raw_data (odd offset) and from its typed field', (dtype, data, ctor) => {
    for (const encoding of ['raw', 'typed'] as const) {
      const { tensor } = decode(atOffset(encode({ dtype, shape: [3], data, encoding }), 3));
      expect(tensor.dtype).toBe(dtype);
      expect(tensor.data).toBeInstanceOf(ctor);
      expect(Array.from(tensor.data), `${dtype} ${encoding}`).toEqual(dtype === 'float32' ? Array.from(new Float32Array(data)) : data);
    }
  });

  it('reads bool from raw bytes and int32_data, normalizing non-zero to 1', () => {
    expect(values(encode({ dtype: 'bool', shape: [3], data: [1, 0, 1] }))).toEqual([1, 0, 1]);
    const t = tensorProto({ dtype: 'bool', shape: [3], data: [0, 0, 0], encoding: 'typed' });
    t.int32Data = [0, 7, 1];
    expect(values(onnx.TensorProto.encode(t).finish())).toEqual([0, 1, 1]);
    const r = tensorProto({ dtype: 'bool', shape: [2], data: [0, 0] });
    r.rawData = new Uint8Array([2, 0]);
    expect(values(onnx.TensorProto.encode(r).finish())).toEqual([1, 0]);
  });

  it('widens float16 (raw and int32_data) to float32, including subnormals, infinities and NaN', () => {
    const data = [1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, 0.1];
    for (const encoding of ['raw', 'typed'] as const) {
      const { tensor } = decode(encode({ dtype: 'float16', shape: [data.length], data, encoding }));
      expect(tensor.dtype).toBe('float32');
      // 0.1 is not representable in half precision: it rounds to 0.0999755859375.
      expect(Array.from(tensor.data)).toEqual([1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, 0.0999755859375]);
    }
    const nan = tensorProto({ dtype: 'float16', shape: [1], data: [0] });
    nan.rawData = new Uint8Array([0x01, 0x7e]);
    expect(Number.isNaN(values(onnx.TensorProto.encode(nan).finish())[0])).toBe(true);
  });

  it('widens bfloat16 to float32', () => {
    for (const encoding of ['raw', 'typed'] as const) {
      // 1 + 2^-8 and 1 + 3 * 2^-8 are ties in bfloat16's 7-bit mantissa: they round to even.
      const { tensor } = decode(encode({ dtype: 'bfloat16', shape: [5], data: [1, -0.5, 2 ** 100, 1 + 2 ** -8, 1 + 3 * 2 ** -8], encoding }));
      expect(tensor.dtype).toBe('float32');
      expect(Array.from(tensor.data)).toEqual([1, -0.5, 2 ** 100, 1, 1 + 2 ** -6]);
    }
  });

  it('reads int64_data given as Long and rejects values beyond ±2^53 in either encoding', () => {
    const ok = onnx.TensorProto.decode(tensorProtoBytes('i', 'int64', [2], [2 ** 53, -(2 ** 53)], 'typed'));
    expect(typeof ok.int64Data[0]).toBe('object'); // protobufjs gives Long objects
    expect(values(onnx.TensorProto.encode(ok).finish())).toEqual([2 ** 53, -(2 ** 53)]);
    const big = onnx.TensorProto.create({ name: 'big', dims: [1], dataType: 7, int64Data: [onnx.TensorProto.decode(
      tensorProtoBytes('', 'int64', [1], [0], 'typed')).int64Data[0]!] });
    (big.int64Data as { low: number; high: number }[])[0] = { low: 1, high: 0x200000 } as never; // 2^53 + 1
    expect(() => decode(onnx.TensorProto.encode(big).finish())).toThrow(/tensor 'big' in input_0.pb element 0 holds the int64 value 9007199254740993, beyond ±2\^53/);
    const raw = tensorProto({ name: 'r', dtype: 'int64', shape: [2], data: [0, 0] });
    raw.rawData = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]); // INT64_MIN
    expect(() => decode(onnx.TensorProto.encode(raw).finish())).toThrow(/element 1 holds the int64 value -9223372036854775808/);
  });

  it('accepts empty tensors and scalars', () => {
    expect(decode(encode({ dtype: 'float32', shape: [0, 3], data: [] })).tensor.shape).toEqual([0, 3]);
    const s = decode(encode({ dtype: 'int32', shape: [], data: [42] })).tensor;
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([42]);
  });
});

describe('TensorProto validation', () => {
  const expectError = (p: ReturnType<typeof tensorProto>, re: RegExp, cls: typeof TilecError = TilecError): void => {
    const bytes = onnx.TensorProto.encode(p).finish();
    expect(() => decode(bytes)).toThrow(cls);
    expect(() => decode(bytes)).toThrow(re);
  };

  it.each([
    [8, 'STRING'], [12, 'UINT32'], [13, 'UINT64'], [14, 'COMPLEX64'], [15, 'COMPLEX128'], [17, 'FLOAT8E4M3FN'],
    [18, 'FLOAT8E4M3FNUZ'], [19, 'FLOAT8E5M2'], [20, 'FLOAT8E5M2FNUZ'], [21, 'UINT4'], [22, 'INT4'], [0, 'UNDEFINED'],
    [99, 'unknown \\(code 99\\)'],
  ])('rejects element type %i (%s) as unsupported, naming the tensor', (code, name) => {
    const p = onnx.TensorProto.create({ name: 'w', dims: [1], dataType: code });
    expectError(p, new RegExp(`tensor 'w' in input_0.pb has element type ${name}, which tilec does not support`), UnsupportedError);
  });

  it('rejects raw_data whose length does not match dims', () => {
    const p = tensorProto({ name: 'w', dtype: 'float32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    p.rawData = p.rawData.subarray(0, 20);
    expectError(p, /tensor 'w' in input_0.pb: raw_data has 20 bytes but dims \[2,3\] of FLOAT need 24/);
  });

  it('rejects a typed field whose length does not match dims, or the wrong field for the type', () => {
    const p = tensorProto({ name: 'w', dtype: 'float32', shape: [3], data: [1, 2, 3], encoding: 'typed' });
    p.floatData = [1, 2];
    expectError(p, /float_data has 2 elements but dims \[3\] need 3/);
    const q = tensorProto({ name: 'w', dtype: 'float32', shape: [2], data: [1, 2], encoding: 'typed' });
    q.floatData = []; q.int64Data = [1, 2];
    expectError(q, /has element type FLOAT but stores data in int64_data/);
  });

  it('rejects both raw_data and a typed field, and missing data', () => {
    const p = tensorProto({ name: 'w', dtype: 'float32', shape: [1], data: [1] });
    p.floatData = [1];
    expectError(p, /carries both raw_data and float_data/);
    expectError(onnx.TensorProto.create({ name: 'w', dims: [2], dataType: 1 }), /float_data has 0 elements but dims \[2\] need 2/);
  });

  it('rejects int32_data values out of range for the declared small type', () => {
    const p = tensorProto({ name: 'q', dtype: 'int8', shape: [2], data: [0, 0], encoding: 'typed' });
    p.int32Data = [5, 200];
    expectError(p, /int32_data element 1 = 200 is out of range for INT8/);
    const h = tensorProto({ name: 'h', dtype: 'float16', shape: [1], data: [0], encoding: 'typed' });
    h.int32Data = [70000];
    expectError(h, /int32_data element 0 = 70000 is not a 16-bit FLOAT16 bit pattern/);
  });

  it('rejects negative dims and element counts beyond the limit before allocating', () => {
    expectError(onnx.TensorProto.create({ name: 'n', dims: [2, -1], dataType: 1 }), /tensor 'n' in input_0.pb has a negative dimension -1 in dims \[2,-1\]/);
    // 2^40 elements would be 4 TiB: the error must come from the count check, not an allocation failure.
    expectError(onnx.TensorProto.create({ name: 'huge', dims: [1 << 20, 1 << 20], dataType: 1, rawData: new Uint8Array(4) }),
      /tensor 'huge' in input_0.pb has dims \[1048576,1048576\], more than the 2147483647 elements/);
    // dims whose product overflows a double's exact range
    expectError(onnx.TensorProto.create({ name: 'o', dims: [2 ** 40, 2 ** 40, 2 ** 40], dataType: 1 }), /more than the 2147483647 elements/);
  });

  it('rejects segments and external data without a model path', () => {
    const s = tensorProto({ name: 'seg', dtype: 'float32', shape: [1], data: [1] });
    s.segment = { begin: 0, end: 1 };
    expectError(s, /tensor 'seg' in input_0.pb is a segmented tensor/, UnsupportedError);
    const e = tensorProto({ name: 'ext', dtype: 'float32', shape: [1], data: [1], external: { location: 'w.bin' } });
    expectError(e, /tensor 'ext' in input_0.pb uses external data, which needs the model's file path/);
  });

  it('turns undecodable bytes into a TilecError naming the file', () => {
    const bytes = encode({ dtype: 'float32', shape: [4], data: [1, 2, 3, 4] });
    expect(() => decode(bytes.subarray(0, bytes.length - 3))).toThrow(/^cannot decode TensorProto file input_0.pb: /);
    expect(() => decode(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(TilecError);
  });

  it('writes little-endian raw data the reader reads back (builder round trip)', () => {
    expect(Array.from(rawBytes('float32', [1]))).toEqual([0, 0, 0x80, 0x3f]);
  });
});
