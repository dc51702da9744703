import { describe, expect, it } from 'vitest';
import { Pad } from '../../../runtime/float/Pad.js';
import type { PadAttrs } from '../../../ir/ops.js';
import { f32, i64, node, vals } from './make.js';

// The ONNX Operators.md examples, plus crops and the opset-18 axes input.
const data = f32([3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
const pad = (mode: PadAttrs['mode'], pads: number[], x = data) => Pad(node('Pad', { mode }, 2), [x, i64(pads)])[0]!;

describe('Pad', () => {
  it('constant (input pads, attribute pads, input value)', () => {
    const y = pad('constant', [0, 2, 0, 0]);
    expect(y.shape).toEqual([3, 4]);
    expect(vals(y)).toEqual([0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7].map(Math.fround));
    expect(vals(Pad(node('Pad', { mode: 'constant', pads: [1, 0, 0, 0], value: 9 }), [data])[0]!).slice(0, 2)).toEqual([9, 9]);
    expect(vals(Pad(node('Pad', { mode: 'constant' }, 3), [f32([1], [1]), i64([1, 1]), f32([], [7])])[0]!)).toEqual([7, 1, 7]);
  });
  it('reflect mirrors without repeating the edge', () => {
    expect(vals(pad('reflect', [0, 2, 0, 0]))).toEqual([1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7].map(Math.fround));
    expect(vals(pad('reflect', [3, 2], f32([3], [1, 2, 3])))).toEqual([2, 3, 2, 1, 2, 3, 2, 1]);
  });
  it('edge repeats the border', () => {
    expect(vals(pad('edge', [0, 2, 0, 0]))).toEqual([1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7].map(Math.fround));
    expect(vals(pad('edge', [1, 1, 0, 0], f32([1, 1], [5])))).toEqual([5, 5, 5, 5]);
  });
  it('negative pads crop, also mixed with padding', () => {
    expect(vals(pad('constant', [-1, 0, 0, -1]))).toEqual([2.3, 4.5].map(Math.fround));
    expect(vals(pad('edge', [-2, 1], f32([3], [1, 2, 3])))).toEqual([3, 3]);
    expect(vals(pad('reflect', [-2, 1], f32([3], [1, 2, 3])))).toEqual([3, 2]);
  });
  it('pads only the axes of input 3 (opset 18)', () => {
    const y = Pad(node('Pad', { mode: 'constant' }, 4), [data, i64([1, 0]), undefined, i64([-1])])[0]!;
    expect(y.shape).toEqual([3, 3]);
    expect(vals(y).slice(0, 3)).toEqual([0, 1.0, 1.2].map(Math.fround));
  });
  it('explains bad pads', () => {
    expect(() => pad('constant', [1, 1])).toThrow("Pad 'pad_1': pads [1,1] has 2 values, expected 4 for 2 axes of input [3,2]");
    expect(() => pad('constant', [-4, 0, 0, 0])).toThrow("Pad 'pad_1': pads [-4,0,0,0] crop axis 0 of input [3,2] below zero");
    expect(() => pad('edge', [1, 0], f32([0], []))).toThrow("Pad 'pad_1': edge padding of axis 0, which is empty in input [0]");
    expect(() => Pad(node('Pad', { mode: 'constant' }), [data])).toThrow("Pad 'pad_1': needs pads (input 1 or the pads attribute)");
    expect(() => Pad(node('Pad', { mode: 'wrap' as PadAttrs['mode'] }, 2), [data, i64([0, 0, 0, 0])])).toThrow("Pad 'pad_1': pad mode 'wrap' is not supported (constant, reflect, edge)");
  });
});
