import { describe, expect, it } from 'vitest';
import { Relu } from '../../../runtime/float/Relu.js';
import { Clip } from '../../../runtime/float/Clip.js';
import { LeakyRelu } from '../../../runtime/float/LeakyRelu.js';
import { Sigmoid } from '../../../runtime/float/Sigmoid.js';
import { Softmax } from '../../../runtime/float/Softmax.js';
import { f32, node, t, vals } from './make.js';

describe('Relu', () => {
  it('zeroes negatives, keeps NaN, works on signed ints', () => {
    const [y] = Relu(node('Relu', {}), [f32([4], [-1, 0, 2.5, NaN])]);
    expect(vals(y!)).toEqual([0, 0, 2.5, NaN]);
    expect(vals(Relu(node('Relu', {}), [t('int8', [2], [-5, 5])])[0]!)).toEqual([0, 5]);
  });
  it('rejects unsigned and bool inputs and a missing input', () => {
    expect(() => Relu(node('Relu', {}), [t('uint8', [1], [1])])).toThrow("Relu 'relu_1': input has dtype uint8, expected float32 or float64 or int8 or int16 or int32 or int64");
    expect(() => Relu(node('Relu', {}), [undefined])).toThrow("Relu 'relu_1': missing required input 0 (X)");
  });
});

describe('Clip', () => {
  const x = f32([5], [-3, -1, 0, 1, 3]);
  it('uses input bounds (opset >= 11), a missing one does not clip', () => {
    expect(vals(Clip(node('Clip', {}, 3), [x, f32([], [-1]), f32([], [2])])[0]!)).toEqual([-1, -1, 0, 1, 2]);
    expect(vals(Clip(node('Clip', {}, 3), [x, undefined, f32([1], [0])])[0]!)).toEqual([-3, -1, 0, 0, 0]);
    expect(vals(Clip(node('Clip', {}, 1), [x])[0]!)).toEqual([-3, -1, 0, 1, 3]);
  });
  it('uses attribute bounds (opset < 11)', () => {
    expect(vals(Clip(node('Clip', { min: 0, max: 1 }), [x])[0]!)).toEqual([0, 0, 0, 1, 1]);
    expect(vals(Clip(node('Clip', { max: 0 }), [x])[0]!)).toEqual([-3, -1, 0, 0, 0]);
  });
  it('sets everything to max when min > max', () => {
    expect(vals(Clip(node('Clip', {}, 3), [x, f32([], [2]), f32([], [1])])[0]!)).toEqual([1, 1, 1, 1, 1]);
  });
  it('clips int8 and uint8 in their own dtype', () => {
    const [y] = Clip(node('Clip', {}, 3), [t('int8', [3], [-128, 0, 127]), t('int8', [], [-100]), t('int8', [], [100])]);
    expect(y!.dtype).toBe('int8');
    expect(vals(y!)).toEqual([-100, 0, 100]);
    expect(vals(Clip(node('Clip', {}, 3), [t('uint8', [2], [0, 255]), undefined, t('uint8', [], [200])])[0]!)).toEqual([0, 200]);
  });
  it('rejects a bound of another dtype or with more than one element', () => {
    expect(() => Clip(node('Clip', {}, 2), [x, t('float64', [], [0])])).toThrow("Clip 'clip_1': min has dtype float64 but the input has float32");
    expect(() => Clip(node('Clip', {}, 3), [x, undefined, f32([2], [0, 1])])).toThrow("Clip 'clip_1': max must be a scalar, got shape [2]");
    expect(() => Clip(node('Clip', {}), [t('bool', [1], [1])])).toThrow(/Clip 'clip_1': input has dtype bool/);
  });
});

describe('LeakyRelu', () => {
  it('scales negatives by alpha', () => {
    expect(vals(LeakyRelu(node('LeakyRelu', { alpha: 0.5 }), [f32([3], [-2, 0, 3])])[0]!)).toEqual([-1, 0, 3]);
  });
  it('is float only', () => {
    expect(() => LeakyRelu(node('LeakyRelu', { alpha: 0.1 }), [t('int32', [1], [1])])).toThrow(/LeakyRelu 'leakyrelu_1': input has dtype int32/);
  });
});

describe('Sigmoid', () => {
  it('is 1/(1+e^-x) and saturates without NaN at the extremes', () => {
    const [y] = Sigmoid(node('Sigmoid', {}), [t('float64', [5], [0, 1, -1, 1000, -1000])]);
    expect(y!.data[0]).toBe(0.5);
    expect(y!.data[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(y!.data[2]).toBeCloseTo(1 / (1 + Math.exp(1)), 15);
    expect(y!.data[3]).toBe(1);
    expect(y!.data[4]).toBe(0);
    // Far negative inputs keep their tiny value instead of flushing through 1 - something.
    expect(Sigmoid(node('Sigmoid', {}), [t('float64', [1], [-700])])[0]!.data[0]).toBeCloseTo(Math.exp(-700), 310);
  });
});

describe('Softmax', () => {
  const x = f32([2, 3], [1, 2, 3, 1, 1, 1]);
  const e = [Math.exp(-2), Math.exp(-1), 1], s = e[0]! + e[1]! + 1;
  it('normalizes along the last axis', () => {
    const [y] = Softmax(node('Softmax', { axis: -1, coerce2d: false }), [x]);
    const want = [...e.map((v) => v / s), 1 / 3, 1 / 3, 1 / 3];
    vals(y!).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  });
  it('normalizes along a middle axis (opset 13), not over the flattened tail', () => {
    const x3 = f32([1, 2, 2], [0, 0, Math.log(3), 0]);
    const [y] = Softmax(node('Softmax', { axis: 1, coerce2d: false }), [x3]);
    vals(y!).forEach((v, i) => expect(v).toBeCloseTo([0.25, 0.5, 0.75, 0.5][i]!, 6));
  });
  it('coerces to 2-D at axis for opset < 13', () => {
    const x3 = f32([1, 2, 2], [0, 0, Math.log(3), 0]);
    const [y] = Softmax(node('Softmax', { axis: 1, coerce2d: true }), [x3]);
    vals(y!).forEach((v, i) => expect(v).toBeCloseTo([1 / 6, 1 / 6, 0.5, 1 / 6][i]!, 6));
  });
  it('is stable for huge inputs', () => {
    const [y] = Softmax(node('Softmax', { axis: -1, coerce2d: false }), [f32([2], [10000, 10000])]);
    expect(vals(y!)).toEqual([0.5, 0.5]);
  });
  it('rejects an out-of-range axis and integer input', () => {
    expect(() => Softmax(node('Softmax', { axis: 2, coerce2d: false }), [x])).toThrow("Softmax 'softmax_1': axis 2 is out of range for rank 2 (expected -2..1)");
    expect(() => Softmax(node('Softmax', { axis: 1, coerce2d: false }), [t('int32', [1], [1])])).toThrow(/input has dtype int32/);
  });
});
