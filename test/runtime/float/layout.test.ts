import { describe, expect, it } from 'vitest';
import { Concat } from '../../../runtime/float/Concat.js';
import { Flatten } from '../../../runtime/float/Flatten.js';
import { Reshape } from '../../../runtime/float/Reshape.js';
import { Transpose } from '../../../runtime/float/Transpose.js';
import { Squeeze } from '../../../runtime/float/Squeeze.js';
import { Unsqueeze } from '../../../runtime/float/Unsqueeze.js';
import { Shape } from '../../../runtime/float/Shape.js';
import { Gather } from '../../../runtime/float/Gather.js';
import { arange, f32, i64, node, t, vals } from './make.js';

describe('Concat', () => {
  it('joins along a middle axis and a negative axis', () => {
    const a = arange('float32', [2, 1, 2]), b = f32([2, 2, 2], [10, 11, 12, 13, 14, 15, 16, 17]);
    const [y] = Concat(node('Concat', { axis: 1 }, 2), [a, b]);
    expect(y!.shape).toEqual([2, 3, 2]);
    expect(vals(y!)).toEqual([0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17]);
    expect(vals(Concat(node('Concat', { axis: -1 }, 2), [i64([1, 2]), i64([3])])[0]!)).toEqual([1, 2, 3]);
  });
  it('accepts empty inputs and any dtype', () => {
    const [y] = Concat(node('Concat', { axis: 0 }, 2), [t('bool', [0, 2], []), t('bool', [1, 2], [1, 0])]);
    expect(y!.dtype).toBe('bool');
    expect(y!.shape).toEqual([1, 2]);
  });
  it('names the mismatching input', () => {
    expect(() => Concat(node('Concat', { axis: 0 }, 2), [f32([1, 2], [1, 2]), f32([1, 3], [1, 2, 3])]))
      .toThrow("Concat 'concat_1': input 1 has shape [1,3], which does not match input 0 [1,2] outside axis 0");
    expect(() => Concat(node('Concat', { axis: 0 }, 2), [f32([1], [1]), i64([1])])).toThrow("Concat 'concat_1': input 1 has dtype int64 but input 0 has float32");
    expect(() => Concat(node('Concat', { axis: 1 }, 1), [f32([1], [1])])).toThrow("Concat 'concat_1': axis 1 is out of range for rank 1 (expected -1..0)");
  });
});

describe('Flatten', () => {
  const x = arange('float32', [2, 3, 4]);
  it.each([[0, [1, 24]], [1, [2, 12]], [3, [24, 1]], [-1, [6, 4]], [-3, [1, 24]]])('axis %d -> %j', (axis, shape) => {
    const [y] = Flatten(node('Flatten', { axis }), [x]);
    expect(y!.shape).toEqual(shape);
    expect(y!.data).toBe(x.data); // a view: the elements do not move
  });
  it('rejects axis beyond rank', () => {
    expect(() => Flatten(node('Flatten', { axis: 4 }), [x])).toThrow("Flatten 'flatten_1': axis 4 is out of range for rank 3 (expected -3..3)");
  });
});

describe('Reshape', () => {
  const x = arange('float32', [2, 3, 4]);
  const reshape = (shape: number[], allowzero = 0) => Reshape(node('Reshape', { allowzero }, 2), [x, i64(shape)])[0]!;
  it('copies dims for 0 and infers -1', () => {
    expect(reshape([0, -1]).shape).toEqual([2, 12]);
    expect(reshape([4, 0, -1]).shape).toEqual([4, 3, 2]);
    expect(reshape([24]).shape).toEqual([24]);
    expect(vals(reshape([6, 4]))).toEqual(vals(x));
  });
  it('treats 0 as a literal with allowzero', () => {
    const [y] = Reshape(node('Reshape', { allowzero: 1 }, 2), [f32([0, 3], []), i64([3, 0])]);
    expect(y!.shape).toEqual([3, 0]);
  });
  it('explains impossible shapes', () => {
    expect(() => reshape([5, -1])).toThrow("Reshape 'reshape_1': cannot infer the -1 in shape [5,-1] for an input of shape [2,3,4] (24 elements)");
    expect(() => reshape([-1, -1])).toThrow("Reshape 'reshape_1': shape [-1,-1] has more than one -1");
    expect(() => reshape([5, 5])).toThrow("Reshape 'reshape_1': cannot reshape [2,3,4] (24 elements) to [5,5] (25 elements)");
    expect(() => reshape([0, 0, 0, 0])).toThrow("Reshape 'reshape_1': shape [0,0,0,0] copies dim 3 (0) but the input [2,3,4] has rank 3");
    expect(() => reshape([0, -1], 1)).toThrow("Reshape 'reshape_1': shape [0,-1] has both 0 and -1, which allowzero=1 forbids");
    expect(() => reshape([-2, 12])).toThrow(/has a dim below -1/);
    expect(() => Reshape(node('Reshape', { allowzero: 0 }, 2), [x, t('int32', [1], [24])])).toThrow("Reshape 'reshape_1': shape has dtype int32, expected int64");
  });
});

describe('Transpose', () => {
  it('reverses dims by default', () => {
    const [y] = Transpose(node('Transpose', {}), [arange('int32', [2, 3])]);
    expect(y!.shape).toEqual([3, 2]);
    expect(vals(y!)).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('applies perm: out.shape[i] = in.shape[perm[i]]', () => {
    const x = arange('float32', [2, 3, 4]);
    const [y] = Transpose(node('Transpose', { perm: [1, 2, 0] }), [x]);
    expect(y!.shape).toEqual([3, 4, 2]);
    // y[i,j,k] = x[k,i,j] = 12k + 4i + j
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 2; k++) expect(y!.data[i * 8 + j * 2 + k]).toBe(12 * k + 4 * i + j);
  });
  it('rejects a non-permutation', () => {
    expect(() => Transpose(node('Transpose', { perm: [0, 0] }), [arange('float32', [2, 2])]))
      .toThrow("Transpose 'transpose_1': perm [0,0] is not a permutation of 0..1 (input shape [2,2])");
  });
});

describe('Squeeze and Unsqueeze', () => {
  const x = arange('float32', [1, 3, 1, 2]);
  it('squeeze every size-1 dim, or the given (negative, unsorted) axes from attr or input', () => {
    expect(Squeeze(node('Squeeze', {}), [x])[0]!.shape).toEqual([3, 2]);
    expect(Squeeze(node('Squeeze', { axes: [-2] }), [x])[0]!.shape).toEqual([1, 3, 2]);
    expect(Squeeze(node('Squeeze', {}, 2), [x, i64([2, 0])])[0]!.shape).toEqual([3, 2]);
  });
  it('refuses to squeeze a dim that is not 1, or the same axis twice', () => {
    expect(() => Squeeze(node('Squeeze', { axes: [1] }), [x])).toThrow("Squeeze 'squeeze_1': cannot squeeze axis 1 of shape [1,3,1,2]: its size is 3, not 1");
    expect(() => Squeeze(node('Squeeze', { axes: [0, -4] }), [x])).toThrow("Squeeze 'squeeze_1': axes [0,-4] names an axis twice (rank 4)");
  });
  it('unsqueeze axes index the output, any order, negatives wrap', () => {
    const y = arange('float32', [3, 4]);
    expect(Unsqueeze(node('Unsqueeze', { axes: [0] }), [y])[0]!.shape).toEqual([1, 3, 4]);
    expect(Unsqueeze(node('Unsqueeze', {}, 2), [y, i64([3, 0])])[0]!.shape).toEqual([1, 3, 4, 1]);
    expect(Unsqueeze(node('Unsqueeze', { axes: [-1, 1] }), [y])[0]!.shape).toEqual([3, 1, 4, 1]);
    expect(() => Unsqueeze(node('Unsqueeze', {}), [y])).toThrow("Unsqueeze 'unsqueeze_1': needs axes (input 1 or the axes attribute)");
    expect(() => Unsqueeze(node('Unsqueeze', { axes: [3] }), [y])).toThrow("Unsqueeze 'unsqueeze_1': axes 3 is out of range for rank 3 (expected -3..2)");
  });
});

describe('Shape', () => {
  const x = f32([2, 3, 4], new Float32Array(24));
  it.each([[{ start: 0 }, [2, 3, 4]], [{ start: -1 }, [4]], [{ start: 0, end: -1 }, [2, 3]], [{ start: 1, end: 2 }, [3]],
    [{ start: -10, end: 10 }, [2, 3, 4]], [{ start: 2, end: 1 }, []]])('%j -> %j', (attrs, dims) => {
    const [y] = Shape(node('Shape', attrs), [x]);
    expect(y!.dtype).toBe('int64');
    expect(y!.shape).toEqual([dims.length]);
    expect(vals(y!)).toEqual(dims);
  });
});

describe('Gather', () => {
  const x = arange('float32', [3, 2]);
  it('gathers rows with negative indices and keeps the index shape', () => {
    const [y] = Gather(node('Gather', { axis: 0 }, 2), [x, i64([2, -3, 1, 1], [2, 2])]);
    expect(y!.shape).toEqual([2, 2, 2]);
    expect(vals(y!)).toEqual([4, 5, 0, 1, 2, 3, 2, 3]);
  });
  it('gathers along the last axis with a scalar index', () => {
    const [y] = Gather(node('Gather', { axis: -1 }, 2), [x, t('int32', [], [1])]);
    expect(y!.shape).toEqual([3]);
    expect(vals(y!)).toEqual([1, 3, 5]);
  });
  it('names the node and the out-of-range index', () => {
    expect(() => Gather(node('Gather', { axis: 0 }, 2), [x, i64([0, 3])]))
      .toThrow("Gather 'gather_1': index 3 (element 1 of indices) is out of range for axis 0 of size 3 (data shape [3,2])");
    expect(() => Gather(node('Gather', { axis: 0 }, 2), [x, f32([1], [0])])).toThrow("Gather 'gather_1': indices has dtype float32, expected int64 or int32");
  });
});
