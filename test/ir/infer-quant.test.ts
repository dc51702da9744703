import { describe, expect, it } from 'vitest';
import { T, infer, mk } from './build.js';

describe('QuantizeLinear', () => {
  const q = (inputs: string[], axis = 1) => mk('QuantizeLinear', inputs, { axis }, ['y'], 'q');
  it('takes the zero point dtype, uint8 when it is absent', () => {
    expect(infer(q(['x', 's', 'z']), [T('float32', 2, 3), T('float32'), T('int8')])).toEqual([T('int8', 2, 3)]);
    expect(infer(q(['x', 's']), [T('float32', 2, 3), T('float32')])).toEqual([T('uint8', 2, 3)]);
    expect(infer(q(['x', 's', '']), [T('float32', 2, 3), T('float32', 1), undefined])).toEqual([T('uint8', 2, 3)]);
  });
  it('quantizes per axis when the scale is a vector', () => {
    expect(infer(q(['x', 's', 'z']), [T('float32', 2, 3), T('float32', 3), T('uint8', 3)])).toEqual([T('uint8', 2, 3)]);
    expect(infer(q(['x', 's', 'z'], 0), [T('float32', 2, 3), T('float32', 2), T('int8', 2)])).toEqual([T('int8', 2, 3)]);
  });
  it('accepts a [1] scale on a rank-1 input whatever the axis (per tensor)', () => {
    expect(infer(q(['x', 's', 'z']), [T('float32', 5), T('float32', 1), T('int32', 1)])).toEqual([T('int32', 5)]);
  });
  it('rejects scales of the wrong length, mismatched zero points and bad dtypes', () => {
    expect(() => infer(q(['x', 's']), [T('float32', 2, 3), T('float32', 2)])).toThrow("QuantizeLinear 'q': input 1 (y_scale) has shape [2], expected a scalar or [1] or [3]");
    expect(() => infer(q(['x', 's', 'z']), [T('float32', 2, 3), T('float32', 3), T('int8')])).toThrow('input 2 (y_zero_point) has shape [] but y_scale has shape [3]; they must match');
    expect(() => infer(q(['x', 's']), [T('float32', 2, 3), T('float32', 3, 1)])).toThrow('only per-tensor and per-axis quantization are supported');
    expect(() => infer(q(['x', 's']), [T('float32', 2, 3), T('int8')])).toThrow('input 1 (y_scale) has dtype int8, expected float32 or float64');
    expect(() => infer(q(['x', 's', 'z']), [T('float32', 2), T('float32'), T('bool')])).toThrow('input 2 (y_zero_point) has dtype bool');
    expect(() => infer(q(['x', 's'], 2), [T('float32', 2, 3), T('float32', 3)])).toThrow('axis 2 is out of range [-2, 1] for rank 2');
  });
});

describe('DequantizeLinear', () => {
  it('always gives float32', () => {
    const d = mk('DequantizeLinear', ['x', 's', 'z'], { axis: 1 });
    expect(infer(d, [T('int8', 2, 3), T('float32'), T('int8')])).toEqual([T('float32', 2, 3)]);
    const d0 = mk('DequantizeLinear', ['x', 's', 'z'], { axis: 0 });
    expect(infer(d0, [T('int32', 4), T('float32', 4), T('int32', 4)])).toEqual([T('float32', 4)]);
    expect(() => infer(d, [T('int32', 4), T('float32', 4), T('int32', 4)])).toThrow('axis 1 is out of range [-1, 0] for rank 1');
  });
  it('needs the zero point in the input dtype', () => {
    const d = mk('DequantizeLinear', ['x', 's', 'z'], { axis: 1 }, ['y'], 'dq');
    expect(() => infer(d, [T('uint8', 2, 3), T('float32'), T('int8')])).toThrow("DequantizeLinear 'dq': input 2 (x_zero_point) has dtype int8, expected uint8");
    expect(() => infer(d, [T('float32', 2, 3), T('float32'), T('int8')])).toThrow('input 0 (x) has dtype float32');
  });
});
