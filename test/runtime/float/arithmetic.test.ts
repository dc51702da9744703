import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Add } from '../../../runtime/float/Add.js';
import { Sub } from '../../../runtime/float/Sub.js';
import { Mul } from '../../../runtime/float/Mul.js';
import { Div } from '../../../runtime/float/Div.js';
import { Sum } from '../../../runtime/float/Sum.js';
import { truncDiv } from '../../../runtime/float/binary.js';
import { TilecError } from '../../../ir/errors.js';
import { f32, i64, node, t, vals } from './make.js';

const add = node('Add', {}, 2), sub = node('Sub', {}, 2), mul = node('Mul', {}, 2), div = node('Div', {}, 2);

describe('Add, Sub, Mul, Div', () => {
  it('broadcast a row and a column', () => {
    const col = f32([2, 1], [10, 20]), row = f32([3], [1, 2, 3]);
    const [y] = Add(add, [col, row]);
    expect(y!.shape).toEqual([2, 3]);
    expect(vals(y!)).toEqual([11, 12, 13, 21, 22, 23]);
    expect(vals(Sub(sub, [col, row])[0]!)).toEqual([9, 8, 7, 19, 18, 17]);
    expect(vals(Mul(mul, [row, col])[0]!)).toEqual([10, 20, 30, 20, 40, 60]);
    expect(vals(Div(div, [col, f32([], [4])])[0]!)).toEqual([2.5, 5]);
  });

  it('round float32 results to float32 (0.1 + 0.2 in float32)', () => {
    const [y] = Add(add, [f32([1], [0.1]), f32([1], [0.2])]);
    expect(y!.dtype).toBe('float32');
    expect(y!.data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });

  it('keep float64 in double precision', () => {
    const [y] = Add(add, [t('float64', [1], [0.1]), t('float64', [1], [0.2])]);
    expect(y!.data[0]).toBe(0.1 + 0.2);
  });

  it('divide integers truncating toward zero', () => {
    const a = t('int32', [4], [7, -7, 7, -7]), b = t('int32', [4], [2, 2, -2, -2]);
    expect(vals(Div(div, [a, b])[0]!)).toEqual([3, -3, -3, 3]);
    expect(vals(Div(div, [i64([7, -7, 9]), i64([2])])[0]!)).toEqual([3, -3, 4]);
    expect(vals(Div(div, [t('int8', [2], [-128, 100]), t('int8', [2], [-1, 7])])[0]!)).toEqual([-128, 14]);
  });

  it('truncDiv equals exact BigInt division for operands up to 2^53 (seeded)', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), (a, b) => {
      fc.pre(b !== 0);
      return truncDiv(a, b) === Number(BigInt(a) / BigInt(b));
    }), { seed: 7, numRuns: 2000 });
    expect(truncDiv(2 ** 53 - 1, 2 ** 53 - 2)).toBe(1);
    expect(truncDiv(-(2 ** 53 - 2), 2 ** 53 - 1)).toBe(0);
    expect(Object.is(truncDiv(-1, 3), 0)).toBe(true); // never -0
  });

  it('divide floats by zero as IEEE does', () => {
    expect(vals(Div(div, [f32([3], [1, -1, 0]), f32([1], [0])])[0]!)).toEqual([Infinity, -Infinity, NaN]);
  });

  it('reject an integer division by zero, naming the node and the element', () => {
    expect(() => Div(div, [t('int32', [2], [1, 2]), t('int32', [2], [1, 0])])).toThrow(
      "Div 'div_1': integer division by zero (divisor element 1 of shape [2] is 0)");
  });

  it('wrap int32 like C, including products beyond 2^53', () => {
    expect(vals(Add(add, [t('int32', [1], [2147483647]), t('int32', [1], [1])])[0]!)).toEqual([-2147483648]);
    expect(vals(Mul(mul, [t('int32', [1], [0x7fffffff]), t('int32', [1], [0x7fffffff])])[0]!)).toEqual([1]);
    expect(vals(Mul(mul, [t('uint8', [1], [16]), t('uint8', [1], [17])])[0]!)).toEqual([16]);
  });

  it('reject int64 results beyond 2^53 instead of rounding them', () => {
    expect(() => Mul(mul, [i64([2 ** 30]), i64([2 ** 30 * 16])])).toThrow(/Mul 'mul_1': int64 result .* exceeds 2\^53/);
  });

  it('reject mixed dtypes, bool, missing inputs and unbroadcastable shapes', () => {
    expect(() => Add(add, [f32([1], [1]), t('float64', [1], [1])])).toThrow("Add 'add_1': inputs have different dtypes float32 and float64");
    expect(() => Add(add, [t('bool', [1], [1]), t('bool', [1], [1])])).toThrow(/Add 'add_1': input A has dtype bool/);
    expect(() => Add(add, [f32([1], [1]), undefined])).toThrow("Add 'add_1': missing required input 1 (B)");
    expect(() => Sub(sub, [f32([2], [1, 2]), f32([3], [1, 2, 3])])).toThrow(TilecError);
    expect(() => Sub(sub, [f32([2], [1, 2]), f32([3], [1, 2, 3])])).toThrow(/Sub 'sub_1': shapes \[2\] and \[3\] cannot be broadcast/);
  });

  it('handle empty tensors', () => {
    const [y] = Add(add, [f32([0, 3], []), f32([1, 3], [1, 2, 3])]);
    expect(y!.shape).toEqual([0, 3]);
    expect(y!.data.length).toBe(0);
  });

  it('never mutate their inputs', () => {
    const a = f32([2], [1, 2]), b = f32([2], [3, 4]);
    Add(add, [a, b]);
    expect(vals(a)).toEqual([1, 2]);
    expect(vals(b)).toEqual([3, 4]);
  });
});

describe('Sum', () => {
  it('adds any number of broadcast inputs', () => {
    const [y] = Sum(node('Sum', {}, 3), [f32([3], [1, 2, 3]), f32([1], [10]), f32([2, 1], [100, 200])]);
    expect(y!.shape).toEqual([2, 3]);
    expect(vals(y!)).toEqual([111, 112, 113, 211, 212, 213]);
  });
  it('returns one input unchanged', () => {
    const x = f32([2], [1, 2]);
    expect(Sum(node('Sum', {}, 1), [x])[0]).toBe(x);
  });
  it('rounds after every addition in float32, as a float32 accumulator does', () => {
    const big = 2 ** 24; // 2^24 + 1 is not a float32: each +1 is lost on its own.
    const [y] = Sum(node('Sum', {}, 3), [f32([1], [big]), f32([1], [1]), f32([1], [1])]);
    expect(y!.data[0]).toBe(big);
  });
  it('lists every shape when they do not broadcast, and rejects mixed dtypes and no inputs', () => {
    expect(() => Sum(node('Sum', {}, 3), [f32([2], [1, 2]), f32([1], [1]), f32([3], [1, 2, 3])]))
      .toThrow("Sum 'sum_1': shapes [2] and [1] and [3] cannot be broadcast together (dim 0: 2 vs 3)");
    expect(() => Sum(node('Sum', {}, 2), [f32([1], [1]), t('int32', [1], [1])])).toThrow("Sum 'sum_1': input 1 has dtype int32 but input 0 has float32");
    expect(() => Sum(node('Sum', {}, 0), [])).toThrow("Sum 'sum_1': needs at least one input");
  });
});
