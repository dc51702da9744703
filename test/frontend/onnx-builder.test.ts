import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildModel, onnx, rawBytes, tensorProtoBytes, toBfloat16Bits, toFloat16Bits } from '../helpers/onnx-builder.js';

describe('onnx-builder', () => {
  it('builds a model onnxruntime accepts and computes with (raw and typed initializers, float attrs)', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2] }],
      initializers: [
        { name: 'w', dtype: 'float32', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] },
        { name: 'b', dtype: 'float32', shape: [2], data: [0.5, -1], encoding: 'typed' },
      ],
      nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { alpha: { f: 2 }, beta: 1.5 } }],
    });
    const s = await ort.InferenceSession.create(bytes);
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, 1]), [1, 3]) });
    // 2 * [9, 12] + 1.5 * [0.5, -1]
    expect(Array.from(r['y']!.data as Float32Array)).toEqual([18.75, 22.5]);
  });

  it('rounds float16 and bfloat16 to nearest even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toBfloat16Bits(1)).toBe(0x3f80);
    expect(toBfloat16Bits(-0.5)).toBe(0xbf00);
  });

  it('encodes TensorProto files and raw little-endian bytes', () => {
    expect(Array.from(rawBytes('int16', [1, -2]))).toEqual([1, 0, 0xfe, 0xff]);
    const t = onnx.TensorProto.decode(tensorProtoBytes('x', 'int64', [2], [3, -4], 'typed'));
    expect(t.name).toBe('x');
    expect(t.dataType).toBe(7);
    expect(t.int64Data.map(Number)).toEqual([3, -4]);
  });
});
