import { describe, expect, it } from 'vitest';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { f32, node, vals } from './make.js';

describe('evaluateFloat', () => {
  it('dispatches each op to its kernel', () => {
    expect(vals(evaluateFloat(node('Relu', {}), [f32([2], [-1, 1])])[0]!)).toEqual([0, 1]);
    expect(vals(evaluateFloat(node('Sub', {}, 2), [f32([1], [5]), f32([1], [3])])[0]!)).toEqual([2]);
    expect(vals(evaluateFloat(node('MatMul', {}, 2), [f32([1, 2], [1, 2]), f32([2, 1], [3, 4])])[0]!)).toEqual([11]);
  });
  it('dispatches every IR op: the match is exhaustive, so no op falls through to a placeholder', () => {
    expect(vals(evaluateFloat(node('GlobalMaxPool', {}), [f32([1, 1, 2, 2], [1, 4, 2, 3])])[0]!)).toEqual([4]);
  });
});
