import { describe, expect, it } from 'vitest';
import { T, infer, mk } from './build.js';

describe('broadcasting arithmetic', () => {
  const add = mk('Add', ['a', 'b'], {}, ['y'], 'add1');
  it.each([
    [[2, 3, 4], [4], [2, 3, 4]],
    [[2, 1], [1, 3], [2, 3]],
    [[], [5], [5]],
    [[1, 4, 1], [3, 1, 1, 5], [3, 1, 4, 5]],
    [[0, 3], [1, 3], [0, 3]],
  ])('%j + %j -> %j', (a, b, y) => {
    expect(infer(add, [T('float32', ...a), T('float32', ...b)])).toEqual([T('float32', ...y)]);
  });
  it('names the shapes that do not broadcast, and mixed dtypes', () => {
    expect(() => infer(add, [T('float32', 2, 3), T('float32', 4)])).toThrow("Add 'add1': shapes [2,3] and [4] are not broadcastable (extents 3 and 4 at axis 1 of the result)");
    expect(() => infer(mk('Div', ['a', 'b'], {}), [T('int64', 2), T('int32', 2)])).toThrow('input 1 (B) has dtype int32 but input 0 (A) has dtype int64');
    expect(() => infer(mk('Mul', ['a', 'b'], {}), [T('bool', 2), T('bool', 2)])).toThrow('dtype bool');
    expect(() => infer(mk('Sub', ['a'], {}), [T('float32', 2)])).toThrow('missing required input 1 (B)');
  });
  it('Sum broadcasts any number of inputs', () => {
    expect(infer(mk('Sum', ['a'], {}), [T('float32', 3)])).toEqual([T('float32', 3)]);
    expect(infer(mk('Sum', ['a', 'b', 'c'], {}), [T('float32', 3, 1), T('float32', 1, 4), T('float32', 4)])).toEqual([T('float32', 3, 4)]);
    expect(() => infer(mk('Sum', [], {}), [])).toThrow('needs at least one input');
  });
});

describe('activations and normalizations', () => {
  it('keep the input type', () => {
    expect(infer(mk('Relu', ['x'], {}), [T('float32', 2, 3)])).toEqual([T('float32', 2, 3)]);
    expect(infer(mk('Relu', ['x'], {}), [T('int8', 4)])).toEqual([T('int8', 4)]);
    expect(infer(mk('Sigmoid', ['x'], {}), [T('float64', 1)])).toEqual([T('float64', 1)]);
    expect(infer(mk('LeakyRelu', ['x'], { alpha: 0.1 }), [T('float32', 5)])).toEqual([T('float32', 5)]);
    expect(infer(mk('Identity', ['x'], {}), [T('bool', 5)])).toEqual([T('bool', 5)]);
    expect(infer(mk('LRN', ['x'], { alpha: 1e-4, beta: 0.75, bias: 1, size: 5 }), [T('float32', 1, 8, 4, 4)])).toEqual([T('float32', 1, 8, 4, 4)]);
  });
  it('reject unsupported dtypes and bad LRN sizes', () => {
    expect(() => infer(mk('Sigmoid', ['x'], {}, ['y'], 's'), [T('int32', 2)])).toThrow("Sigmoid 's': input 0 (X) has dtype int32, expected float32 or float64");
    expect(() => infer(mk('Relu', ['x'], {}), [T('uint8', 2)])).toThrow('dtype uint8');
    expect(() => infer(mk('LRN', ['x'], { alpha: 1e-4, beta: 0.75, bias: 1, size: 0 }), [T('float32', 1, 8, 4, 4)])).toThrow('size 0 must be a positive integer');
  });
  it('Clip takes scalar (or [1]) bounds of the input dtype', () => {
    const n = mk('Clip', ['x', 'lo', 'hi'], {});
    expect(infer(n, [T('int8', 3), T('int8'), T('int8', 1)])).toEqual([T('int8', 3)]);
    expect(infer(mk('Clip', ['x', '', 'hi'], {}), [T('float32', 3), undefined, T('float32')])).toEqual([T('float32', 3)]);
    expect(() => infer(n, [T('float32', 3), T('float32', 2), T('float32')])).toThrow('input 1 (min) must be a scalar, got shape [2]');
    expect(() => infer(n, [T('float32', 3), T('float64'), T('float32')])).toThrow('input 1 (min) has dtype float64');
  });
  it('Softmax checks its axis against the rank', () => {
    expect(infer(mk('Softmax', ['x'], { axis: -1, coerce2d: false }), [T('float32', 2, 3)])).toEqual([T('float32', 2, 3)]);
    expect(() => infer(mk('Softmax', ['x'], { axis: 2, coerce2d: false }, ['y'], 'sm'), [T('float32', 2, 3)])).toThrow("Softmax 'sm': axis 2 is out of range [-2, 1] for rank 2");
  });
  it('BatchNormalization checks the per-channel inputs and types the training outputs', () => {
    const n = mk('BatchNormalization', ['x', 's', 'b', 'm', 'v'], { epsilon: 1e-5 }, ['y', 'rm', 'rv']);
    const c = T('float32', 3);
    expect(infer(n, [T('float32', 2, 3, 4, 5), c, c, c, c])).toEqual([T('float32', 2, 3, 4, 5), c, c]);
    expect(() => infer(n, [T('float32', 2, 3, 4, 5), c, c, T('float32', 4), c])).toThrow('input 3 (input_mean) has shape [4] but X has 3 channels (expected [3])');
    expect(() => infer(mk('BatchNormalization', ['x', 's', 'b', 'm'], { epsilon: 1e-5 }), [T('float32', 2, 3), c, c, c])).toThrow('missing required input 4 (input_var)');
  });
  it('Dropout passes its input through and types the mask bool', () => {
    expect(infer(mk('Dropout', ['x'], { ratio: 0.5 }, ['y', 'mask']), [T('float32', 2, 2)])).toEqual([T('float32', 2, 2), T('bool', 2, 2)]);
    expect(infer(mk('Dropout', ['x', 'r', 't'], {}), [T('float32', 2), T('float32'), T('bool')])).toEqual([T('float32', 2)]);
    expect(() => infer(mk('Dropout', ['x'], {}, ['y', 'm', 'z']), [T('float32', 2)])).toThrow('has 3 outputs, at most 2 allowed');
  });
});
