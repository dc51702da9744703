import { describe, expect, it } from 'vitest';
import { TilecError } from '../../ir/errors.js';
import type { ConvAttrs, PoolAttrs } from '../../ir/ops.js';
import { T, infer, mk } from './build.js';

const conv = (a: Partial<ConvAttrs> = {}): ConvAttrs => ({ group: 1, auto_pad: 'NOTSET', ...a });
const pool = (a: Partial<PoolAttrs> & Pick<PoolAttrs, 'kernel_shape'>): PoolAttrs =>
  ({ auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0, ...a });

describe('Conv', () => {
  const node = (a: Partial<ConvAttrs> = {}, inputs = ['x', 'w']) => mk('Conv', inputs, conv(a), ['y'], 'c1');

  it('keeps 28x28 with pads 2 around a 5x5 kernel (mnist)', () => {
    expect(infer(node({ pads: [2, 2, 2, 2] }), [T('float32', 1, 1, 28, 28), T('float32', 8, 1, 5, 5)])).toEqual([T('float32', 1, 8, 28, 28)]);
  });
  it('halves with SAME_UPPER and stride 2, rounding up', () => {
    expect(infer(node({ auto_pad: 'SAME_UPPER', strides: [2, 2] }), [T('float32', 1, 3, 7, 9), T('float32', 4, 3, 3, 3)])).toEqual([T('float32', 1, 4, 4, 5)]);
  });
  it('handles groups and 1-D convolution', () => {
    expect(infer(node({ group: 2 }), [T('float32', 1, 4, 8, 8), T('float32', 6, 2, 3, 3)])).toEqual([T('float32', 1, 6, 6, 6)]);
    expect(infer(node({ dilations: [2] }), [T('float64', 2, 1, 10), T('float64', 3, 1, 3)])).toEqual([T('float64', 2, 3, 6)]);
  });
  it('accepts a bias of one value per output channel', () => {
    expect(infer(node({}, ['x', 'w', 'b']), [T('float32', 1, 1, 5, 5), T('float32', 2, 1, 3, 3), T('float32', 2)])).toEqual([T('float32', 1, 2, 3, 3)]);
  });
  it('treats an empty-name bias as absent', () => {
    expect(infer(node({}, ['x', 'w', '']), [T('float32', 1, 1, 5, 5), T('float32', 2, 1, 3, 3), undefined])).toEqual([T('float32', 1, 2, 3, 3)]);
  });
  it('names the node and the channel counts when they disagree', () => {
    expect(() => infer(node(), [T('float32', 1, 3, 8, 8), T('float32', 8, 4, 3, 3)])).toThrow("Conv 'c1': input has 3 channels but weight expects 4 (group 1)");
    expect(() => infer(node({ group: 2 }), [T('float32', 1, 4, 8, 8), T('float32', 5, 2, 3, 3)])).toThrow('5 output channels, which group 2 does not divide');
  });
  it('rejects a kernel_shape that contradicts the weight', () => {
    expect(() => infer(node({ kernel_shape: [3, 3] }), [T('float32', 1, 1, 8, 8), T('float32', 1, 1, 5, 5)])).toThrow("kernel_shape [3,3] does not match the weight's spatial shape [5,5]");
  });
  it('rejects a wrong bias, weight rank, dtype or a window larger than the input', () => {
    expect(() => infer(node({}, ['x', 'w', 'b']), [T('float32', 1, 1, 5, 5), T('float32', 2, 1, 3, 3), T('float32', 3)])).toThrow('input 2 (B) has shape [3], expected [2]');
    expect(() => infer(node(), [T('float32', 1, 1, 5, 5), T('float32', 2, 1, 3)])).toThrow('weight has rank 3');
    expect(() => infer(node(), [T('float32', 1, 1, 5, 5), T('int8', 2, 1, 3, 3)])).toThrow('input 1 (W) has dtype int8 but input 0 (X) has dtype float32');
    expect(() => infer(node(), [T('int8', 1, 1, 5, 5), T('int8', 2, 1, 3, 3)])).toThrow('input 0 (X) has dtype int8, expected float32 or float64');
    expect(() => infer(node(), [T('float32', 1, 1, 2, 2), T('float32', 2, 1, 3, 3)])).toThrow("Conv 'c1': input extent 2 is smaller than the window 3");
  });
  it('reports missing and untyped inputs, and too many inputs', () => {
    expect(() => infer(node({}, ['x']), [T('float32', 1, 1, 5, 5)])).toThrow("Conv 'c1': missing required input 1 (W)");
    expect(() => infer(node(), [T('float32', 1, 1, 5, 5), undefined])).toThrow("input 1 (W) 'w' has no known type");
    expect(() => infer(node({}, ['x', 'w', 'b', 'z']), [])).toThrow('has 4 inputs, at most 3 allowed');
    expect(() => infer(node(), [T('float32', 1, 1, 5, 5), T('float32', 2, 1, 3, 3)])).not.toThrow();
    expect(() => infer(mk('Conv', ['x', 'w'], conv(), ['y', 'z']), [T('float32', 1, 1, 5, 5), T('float32', 2, 1, 3, 3)])).toThrow('has 2 outputs, at most 1 allowed');
  });
  it('throws TilecError, not a bug', () => {
    expect(() => infer(node(), [T('float32', 1, 3, 8, 8), T('float32', 8, 4, 3, 3)])).toThrow(TilecError);
  });
});

describe('ConvInteger and QLinearConv', () => {
  it('ConvInteger accumulates into int32 and checks its zero points', () => {
    const n = mk('ConvInteger', ['x', 'w', 'xz', 'wz'], conv({ pads: [1, 1, 1, 1] }));
    expect(infer(n, [T('uint8', 1, 1, 3, 3), T('uint8', 1, 1, 2, 2), T('uint8'), T('uint8', 1)])).toEqual([T('int32', 1, 1, 4, 4)]);
    expect(() => infer(n, [T('uint8', 1, 1, 3, 3), T('uint8', 1, 1, 2, 2), T('int8'), T('uint8', 1)])).toThrow('input 2 (x_zero_point) has dtype int8, expected uint8');
    expect(() => infer(n, [T('uint8', 1, 1, 3, 3), T('uint8', 1, 1, 2, 2), T('uint8'), T('uint8', 2)])).toThrow('input 3 (w_zero_point) has shape [2], expected a scalar or [1]');
  });
  it('QLinearConv takes its output dtype from y_zero_point and allows per-channel weights', () => {
    const n = mk('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], conv());
    const ins = [T('uint8', 1, 2, 5, 5), T('float32'), T('uint8'), T('int8', 3, 2, 3, 3), T('float32', 3), T('int8', 3), T('float32'), T('int8'), T('int32', 3)];
    expect(infer(n, ins)).toEqual([T('int8', 1, 3, 3, 3)]);
    expect(() => infer(n, ins.map((t, i) => (i === 4 ? T('float32', 2) : t)))).toThrow('input 4 (w_scale) has shape [2], expected a scalar or [1] or [3]');
    expect(() => infer(n, ins.map((t, i) => (i === 8 ? T('float32', 3) : t)))).toThrow('input 8 (B) has dtype float32, expected int32');
    expect(() => infer(mk('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys'], conv()), ins)).toThrow('missing required input 7 (y_zero_point)');
  });
});

describe('MaxPool, AveragePool and global pools', () => {
  it('MaxPool with ceil_mode and its int64 Indices output', () => {
    const n = mk('MaxPool', ['x'], pool({ kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), ['y', 'i']);
    expect(infer(n, [T('float32', 1, 1, 4, 4)])).toEqual([T('float32', 1, 1, 2, 2), T('int64', 1, 1, 2, 2)]);
  });
  it('MaxPool accepts uint8; AveragePool does not', () => {
    expect(infer(mk('MaxPool', ['x'], pool({ kernel_shape: [2, 2] })), [T('uint8', 1, 1, 4, 4)])).toEqual([T('uint8', 1, 1, 3, 3)]);
    expect(() => infer(mk('AveragePool', ['x'], pool({ kernel_shape: [2, 2] })), [T('uint8', 1, 1, 4, 4)])).toThrow('dtype uint8, expected float32 or float64');
  });
  it('AveragePool with pads and SAME_LOWER', () => {
    expect(infer(mk('AveragePool', ['x'], pool({ kernel_shape: [3, 3], pads: [1, 1, 1, 1] })), [T('float32', 1, 3, 32, 32)])).toEqual([T('float32', 1, 3, 32, 32)]);
    expect(infer(mk('AveragePool', ['x'], pool({ kernel_shape: [2], auto_pad: 'SAME_LOWER', strides: [3] })), [T('float32', 1, 3, 32)])).toEqual([T('float32', 1, 3, 11)]);
  });
  it('rejects a kernel of the wrong rank and an input without spatial dims', () => {
    expect(() => infer(mk('MaxPool', ['x'], pool({ kernel_shape: [2] }), ['y'], 'p'), [T('float32', 1, 1, 4, 4)])).toThrow("MaxPool 'p': kernel_shape [2] has 1 dims but the input has 2 spatial dims");
    expect(() => infer(mk('MaxPool', ['x'], pool({ kernel_shape: [] })), [T('float32', 1, 4)])).toThrow('rank 2 (shape [1,4]), expected rank >= 3');
  });
  it('global pools reduce every spatial dim to 1', () => {
    expect(infer(mk('GlobalAveragePool', ['x'], {}), [T('float32', 2, 5, 7, 7)])).toEqual([T('float32', 2, 5, 1, 1)]);
    expect(infer(mk('GlobalMaxPool', ['x'], {}), [T('float32', 1, 3, 4, 5, 6)])).toEqual([T('float32', 1, 3, 1, 1, 1)]);
    expect(() => infer(mk('GlobalMaxPool', ['x'], {}), [T('float32', 1, 3)])).toThrow('expected rank >= 3');
  });
});
