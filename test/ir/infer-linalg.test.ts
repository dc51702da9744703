import { describe, expect, it } from 'vitest';
import type { GemmAttrs } from '../../ir/ops.js';
import { T, infer, mk } from './build.js';

const gemm = (a: Partial<GemmAttrs> = {}, inputs = ['a', 'b', 'c']) => mk('Gemm', inputs, { alpha: 1, beta: 1, transA: 0, transB: 0, ...a }, ['y'], 'fc');

describe('Gemm', () => {
  it('applies the transpose flags', () => {
    expect(infer(gemm({}, ['a', 'b']), [T('float32', 3, 5), T('float32', 5, 4)])).toEqual([T('float32', 3, 4)]);
    expect(infer(gemm({ transA: 1, transB: 1 }, ['a', 'b']), [T('float32', 3, 5), T('float32', 4, 3)])).toEqual([T('float32', 5, 4)]);
  });
  it('accepts every C that broadcasts to [M, N]', () => {
    for (const c of [T('float32'), T('float32', 1), T('float32', 4), T('float32', 1, 4), T('float32', 3, 1), T('float32', 3, 4)]) {
      expect(infer(gemm(), [T('float32', 3, 5), T('float32', 5, 4), c])).toEqual([T('float32', 3, 4)]);
    }
  });
  it('rejects a C that does not broadcast, mismatched K and non-2-D operands', () => {
    expect(() => infer(gemm(), [T('float32', 3, 5), T('float32', 5, 4), T('float32', 3)])).toThrow("Gemm 'fc': input 2 (C) has shape [3], which does not broadcast to the output [3,4]");
    expect(() => infer(gemm(), [T('float32', 3, 5), T('float32', 5, 4), T('float32', 2, 3, 4)])).toThrow('does not broadcast');
    expect(() => infer(gemm({ transB: 1 }, ['a', 'b']), [T('float32', 3, 5), T('float32', 5, 4)])).toThrow('inner dimensions differ: A [3,5] (transA=0) has K=5 but B [5,4] (transB=1) has K=4');
    expect(() => infer(gemm({}, ['a', 'b']), [T('float32', 3, 5, 1), T('float32', 5, 4)])).toThrow('input 0 (A) has rank 3 (shape [3,5,1]), expected rank 2');
  });
});

describe('MatMul', () => {
  const mm = mk('MatMul', ['a', 'b'], {}, ['y'], 'mm');
  const cases: [number[], number[], number[]][] = [
    [[3], [3], []],
    [[3], [2, 3, 4], [2, 4]],
    [[2, 3, 4], [4], [2, 3]],
    [[1, 3, 4], [5, 4, 2], [5, 3, 2]],
    [[2, 1, 3, 4], [6, 4, 5], [2, 6, 3, 5]],
    [[3, 4], [4, 5], [3, 5]],
  ];
  it.each(cases)('%j x %j -> %j', (a, b, y) => {
    expect(infer(mm, [T('float32', ...a), T('float32', ...b)])).toEqual([T('float32', ...y)]);
  });
  it('rejects mismatched K, non-broadcastable batches, scalars and mixed dtypes', () => {
    expect(() => infer(mm, [T('float32', 2, 3), T('float32', 4, 5)])).toThrow("MatMul 'mm': inner dimensions differ: A [2,3] has K=3 but B [4,5] has K=4");
    expect(() => infer(mm, [T('float32', 2, 3, 4), T('float32', 3, 4, 2)])).toThrow('not broadcastable');
    expect(() => infer(mm, [T('float32'), T('float32', 3)])).toThrow('is a scalar');
    expect(() => infer(mm, [T('float32', 2, 3), T('float64', 3, 2)])).toThrow('input 1 (B) has dtype float64 but input 0 (A) has dtype float32');
  });
});

describe('MatMulInteger and QLinearMatMul', () => {
  it('MatMulInteger gives int32 and takes per-row / per-column zero points', () => {
    const n = mk('MatMulInteger', ['a', 'b', 'az', 'bz'], {});
    expect(infer(n, [T('uint8', 4, 3), T('int8', 3, 2), T('uint8', 4), T('int8', 2)])).toEqual([T('int32', 4, 2)]);
    expect(infer(mk('MatMulInteger', ['a', 'b'], {}), [T('uint8', 2, 4, 3), T('uint8', 3, 2)])).toEqual([T('int32', 2, 4, 2)]);
    expect(() => infer(n, [T('uint8', 4, 3), T('int8', 3, 2), T('int8'), T('int8')])).toThrow('input 2 (a_zero_point) has dtype int8, expected uint8');
    expect(() => infer(n, [T('uint8', 4, 3), T('int8', 3, 2), T('uint8', 3), T('int8')])).toThrow('input 2 (a_zero_point) has shape [3], expected a scalar or [1] or [4]');
    expect(() => infer(n, [T('float32', 4, 3), T('int8', 3, 2)])).toThrow('input 0 (A) has dtype float32, expected int8 or uint8');
  });
  it('QLinearMatMul takes its output dtype from y_zero_point', () => {
    const n = mk('QLinearMatMul', ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], {});
    const ins = [T('uint8', 2, 3, 4), T('float32'), T('uint8'), T('uint8', 2, 4, 3), T('float32'), T('uint8'), T('float32'), T('int8')];
    expect(infer(n, ins)).toEqual([T('int8', 2, 3, 3)]);
    expect(() => infer(n, ins.map((t, i) => (i === 5 ? T('int8') : t)))).toThrow('input 5 (b_zero_point) has dtype int8, expected uint8');
    expect(() => infer(n, ins.map((t, i) => (i === 7 ? T('int32') : t)))).toThrow('input 7 (y_zero_point) has dtype int32, expected int8 or uint8');
  });
});
