import { describe, expect, it } from 'vitest';
import { TilecError } from '../../ir/errors.js';
import { NeedsConstantError } from '../../ir/infer.js';
import { scalar, tensor } from '../../ir/tensor.js';
import { T, i64, infer, mk } from './build.js';

describe('Concat', () => {
  it('sums the extents along a (negative) axis', () => {
    expect(infer(mk('Concat', ['a', 'b'], { axis: -1 }), [T('float32', 2, 3), T('float32', 2, 4)])).toEqual([T('float32', 2, 7)]);
    expect(infer(mk('Concat', ['a', 'b', 'c'], { axis: 0 }), [T('int64', 1), T('int64', 2), T('int64', 0)])).toEqual([T('int64', 3)]);
  });
  it('rejects shapes that differ off the axis, rank mismatches and scalars', () => {
    expect(() => infer(mk('Concat', ['a', 'b'], { axis: 1 }, ['y'], 'cat'), [T('float32', 2, 3), T('float32', 3, 4)])).toThrow("Concat 'cat': input 1 has shape [3,4] but input 0 has [2,3]; they may differ only along axis 1");
    expect(() => infer(mk('Concat', ['a', 'b'], { axis: 0 }), [T('float32', 2, 3), T('float32', 2)])).toThrow('input 1 has rank 1');
    expect(() => infer(mk('Concat', ['a'], { axis: 0 }), [T('float32')])).toThrow('cannot concatenate scalars');
    expect(() => infer(mk('Concat', ['a'], { axis: 2 }), [T('float32', 2, 2)])).toThrow('axis 2 is out of range [-2, 1]');
  });
});

describe('Flatten', () => {
  it.each([
    [0, [1, 120]], [1, [2, 60]], [2, [6, 20]], [4, [120, 1]], [-1, [24, 5]], [-4, [1, 120]],
  ])('axis %i of [2,3,4,5] -> %j', (axis, y) => {
    expect(infer(mk('Flatten', ['x'], { axis }), [T('float32', 2, 3, 4, 5)])).toEqual([T('float32', ...y)]);
  });
  it('rejects an axis outside [-r, r]', () => {
    expect(() => infer(mk('Flatten', ['x'], { axis: 5 }), [T('float32', 2, 3, 4, 5)])).toThrow('axis 5 is out of range [-4, 4]');
  });
});

describe('Reshape', () => {
  const r = (allowzero = 0) => mk('Reshape', ['x', 's'], { allowzero }, ['y'], 'r');
  const run = (x: number[], spec: number[], allowzero = 0) => infer(r(allowzero), [T('float32', ...x), T('int64', spec.length)], { s: i64(...spec) });
  it('copies 0 entries and infers -1', () => {
    expect(run([2, 3, 4], [0, -1])).toEqual([T('float32', 2, 12)]);
    expect(run([2, 3, 4], [4, 0, 2])).toEqual([T('float32', 4, 3, 2)]);
    expect(run([2, 3, 4], [-1])).toEqual([T('float32', 24)]);
    expect(run([1], [])).toEqual([T('float32')]);
  });
  it('keeps literal zeros under allowzero', () => {
    expect(run([0, 3, 4], [3, 4, 0], 1)).toEqual([T('float32', 3, 4, 0)]);
  });
  it('rejects bad element counts, two -1s, invalid entries and zeros beyond the input rank', () => {
    expect(() => run([2, 3, 4], [5, -1])).toThrow("Reshape 'r': cannot reshape [2,3,4] (24 elements) to [5,-1]: 24 is not a multiple of 5");
    expect(() => run([2, 3, 4], [5, 5])).toThrow('cannot reshape [2,3,4] (24 elements) to [5,5] (25 elements)');
    expect(() => run([2, 3, 4], [-1, -1])).toThrow('more than one -1');
    expect(() => run([2, 3, 4], [-2, 12])).toThrow('invalid entry -2');
    expect(() => run([24], [2, 0, 12])).toThrow('copies dim 1 (a 0) but the input [24] has rank 1');
    expect(() => run([0, 3], [0, -1], 1)).toThrow('mixes -1 with a literal 0');
  });
  it('needs a constant shape, of dtype int64', () => {
    const e = (() => { try { infer(r(), [T('float32', 2), T('int64', 1)]); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(NeedsConstantError);
    expect(e).toBeInstanceOf(TilecError);
    expect((e as NeedsConstantError).inputIndex).toBe(1);
    expect((e as Error).message).toBe("Reshape 'r': input 1 (shape) 's' must be a constant to infer the output shape");
    expect(() => infer(r(), [T('float32', 2), T('int32', 1)], { s: tensor('int32', [1], [2]) })).toThrow('input 1 (shape) has dtype int32, expected int64');
  });
});

describe('Transpose', () => {
  it('reverses by default and follows perm', () => {
    expect(infer(mk('Transpose', ['x'], {}), [T('float32', 2, 3, 4)])).toEqual([T('float32', 4, 3, 2)]);
    expect(infer(mk('Transpose', ['x'], { perm: [0, 2, 1] }), [T('float32', 2, 3, 4)])).toEqual([T('float32', 2, 4, 3)]);
  });
  it('rejects a perm that is not a permutation', () => {
    expect(() => infer(mk('Transpose', ['x'], { perm: [0, 0, 1] }), [T('float32', 2, 3, 4)])).toThrow('perm [0,0,1] is not a permutation of the 3 axes of [2,3,4]');
    expect(() => infer(mk('Transpose', ['x'], { perm: [1, 0] }), [T('float32', 2, 3, 4)])).toThrow('not a permutation');
  });
});

describe('Squeeze and Unsqueeze', () => {
  it('Squeeze takes attribute axes, constant input axes, or removes every 1', () => {
    expect(infer(mk('Squeeze', ['x'], { axes: [0, -1] }), [T('float32', 1, 3, 1)])).toEqual([T('float32', 3)]);
    expect(infer(mk('Squeeze', ['x', 'a'], {}), [T('float32', 1, 3, 1), T('int64', 1)], { a: i64(-1) })).toEqual([T('float32', 1, 3)]);
    expect(infer(mk('Squeeze', ['x'], {}), [T('float32', 1, 3, 1, 4)])).toEqual([T('float32', 3, 4)]);
  });
  it('Squeeze rejects a non-1 axis and needs constant axes', () => {
    expect(() => infer(mk('Squeeze', ['x'], { axes: [1] }, ['y'], 'sq'), [T('float32', 1, 3)])).toThrow("Squeeze 'sq': cannot squeeze axis 1 of extent 3 (shape [1,3])");
    expect(() => infer(mk('Squeeze', ['x', 'a'], {}), [T('float32', 1, 3), T('int64', 1)])).toThrow(NeedsConstantError);
    expect(() => infer(mk('Squeeze', ['x'], { axes: [0, -2] }), [T('float32', 1, 3)])).toThrow('name the same axis twice');
  });
  it('Unsqueeze indexes the output rank, in any order', () => {
    expect(infer(mk('Unsqueeze', ['x'], { axes: [0, 3] }), [T('float32', 3, 4)])).toEqual([T('float32', 1, 3, 4, 1)]);
    expect(infer(mk('Unsqueeze', ['x'], { axes: [-1] }), [T('float32', 3, 4)])).toEqual([T('float32', 3, 4, 1)]);
    expect(infer(mk('Unsqueeze', ['x', 'a'], {}), [T('float32', 3, 4), T('int64', 2)], { a: i64(3, 0) })).toEqual([T('float32', 1, 3, 4, 1)]);
    expect(infer(mk('Unsqueeze', ['x'], { axes: [0] }), [T('float32')])).toEqual([T('float32', 1)]);
  });
  it('Unsqueeze rejects duplicate, out-of-range and missing axes', () => {
    expect(() => infer(mk('Unsqueeze', ['x'], { axes: [0, -4] }), [T('float32', 3, 4)])).toThrow('name the same axis twice');
    expect(() => infer(mk('Unsqueeze', ['x'], { axes: [4] }), [T('float32', 3, 4)])).toThrow('axes entry 4 is out of range [-3, 2]');
    expect(() => infer(mk('Unsqueeze', ['x'], {}), [T('float32', 3, 4)])).toThrow('needs axes');
    expect(() => infer(mk('Unsqueeze', ['x', 'a'], { axes: [0] }), [T('float32', 3), T('int64', 1)], { a: i64(0) })).toThrow('both as an attribute and as input 1');
  });
});

describe('Pad', () => {
  it('pads from the attribute or a constant input, and crops with negative pads', () => {
    expect(infer(mk('Pad', ['x'], { mode: 'constant', pads: [0, 0, 1, 1, 0, 0, 1, 1] }), [T('float32', 1, 3, 4, 4)])).toEqual([T('float32', 1, 3, 6, 6)]);
    expect(infer(mk('Pad', ['x', 'p'], { mode: 'edge' }), [T('float32', 3, 4), T('int64', 4)], { p: i64(-1, 2, 0, -3) })).toEqual([T('float32', 2, 3)]);
    expect(infer(mk('Pad', ['x', 'p', 'v', 'ax'], { mode: 'constant' }), [T('int32', 3, 4), T('int64', 2), T('int32'), T('int64', 1)], { p: i64(1, 2), ax: i64(-1) })).toEqual([T('int32', 3, 7)]);
  });
  it('rejects wrong pad counts, over-cropping, a bad constant_value and missing pads', () => {
    expect(() => infer(mk('Pad', ['x'], { mode: 'constant', pads: [1, 1] }, ['y'], 'pad'), [T('float32', 3, 4)])).toThrow("Pad 'pad': pads [1,1] has 2 values, expected 4 (2 per padded axis)");
    expect(() => infer(mk('Pad', ['x'], { mode: 'constant', pads: [-2, 0, -2, 0] }), [T('float32', 3, 4)])).toThrow('crop axis 0 of extent 3 below zero');
    expect(() => infer(mk('Pad', ['x', 'p', 'v'], { mode: 'constant' }), [T('float32', 3), T('int64', 2), T('float64')], { p: i64(1, 1) })).toThrow('input 2 (constant_value) has dtype float64');
    expect(() => infer(mk('Pad', ['x'], { mode: 'constant' }), [T('float32', 3)])).toThrow('needs pads');
    expect(() => infer(mk('Pad', ['x', 'p'], { mode: 'constant' }), [T('float32', 3), T('int64', 2)])).toThrow(NeedsConstantError);
  });
});

describe('Shape, Gather, Constant, ConstantOfShape', () => {
  it('Shape gives a 1-D int64 slice of the dims', () => {
    const s = (start: number, end?: number) => infer(mk('Shape', ['x'], { start, end }), [T('float32', 2, 3, 4)]);
    expect(s(0)).toEqual([T('int64', 3)]);
    expect(s(-2)).toEqual([T('int64', 2)]);
    expect(s(1, 10)).toEqual([T('int64', 2)]);
    expect(s(2, 1)).toEqual([T('int64', 0)]);
    expect(s(-10, -1)).toEqual([T('int64', 2)]);
  });
  it('Gather: data[:axis] + indices + data[axis+1:]', () => {
    expect(infer(mk('Gather', ['d', 'i'], { axis: 1 }), [T('float32', 5, 4, 3), T('int64', 2, 2)])).toEqual([T('float32', 5, 2, 2, 3)]);
    expect(infer(mk('Gather', ['d', 'i'], { axis: 0 }), [T('int64', 4), T('int32')])).toEqual([T('int64')]);
    expect(infer(mk('Gather', ['d', 'i'], { axis: -1 }), [T('float32', 2, 3), T('int64', 1)], { i: i64(-3) })).toEqual([T('float32', 2, 1)]);
  });
  it('Gather rejects float indices and a constant index out of range', () => {
    expect(() => infer(mk('Gather', ['d', 'i'], { axis: 0 }), [T('float32', 5), T('float32', 1)])).toThrow('input 1 (indices) has dtype float32, expected int32 or int64');
    expect(() => infer(mk('Gather', ['d', 'i'], { axis: 1 }, ['y'], 'g'), [T('float32', 2, 3), T('int64', 2)], { i: i64(0, 3) })).toThrow("Gather 'g': index 3 is out of range [-3, 2] for axis 1 of [2,3]");
  });
  it('Constant has its value type and no inputs', () => {
    expect(infer(mk('Constant', [], { value: tensor('int32', [2, 2]) }), [])).toEqual([T('int32', 2, 2)]);
    expect(() => infer(mk('Constant', ['x'], { value: scalar('float32', 1) }), [T('float32')])).toThrow('has 1 inputs, at most 0 allowed');
  });
  it('ConstantOfShape reads a constant shape; dtype from value, float32 by default', () => {
    expect(infer(mk('ConstantOfShape', ['s'], { value: tensor('int32', [1], [7]) }), [T('int64', 2)], { s: i64(2, 3) })).toEqual([T('int32', 2, 3)]);
    expect(infer(mk('ConstantOfShape', ['s'], {}), [T('int64', 0)], { s: i64() })).toEqual([T('float32')]);
    expect(() => infer(mk('ConstantOfShape', ['s'], {}), [T('int64', 2)])).toThrow(NeedsConstantError);
    expect(() => infer(mk('ConstantOfShape', ['s'], {}), [T('int64', 2)], { s: i64(2, -1) })).toThrow('negative or fractional extent -1');
    expect(() => infer(mk('ConstantOfShape', ['s'], { value: tensor('float32', [2]) }), [T('int64', 1)], { s: i64(2) })).toThrow('value must hold exactly one element');
  });
});
