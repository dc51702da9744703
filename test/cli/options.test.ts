import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectInputShape, parseInputShape, parseNonNegative, parsePositiveInt } from '../../cli/options.js';

describe('--input-shape NAME=D0,D1,...', () => {
  it('parses a name and dims', () => {
    expect(parseInputShape('data=1,3,224,224')).toEqual(['data', [1, 3, 224, 224]]);
    expect(parseInputShape('x= 2 , 5')).toEqual(['x', [2, 5]]);
  });

  it('splits at the last = so names may contain =', () => {
    expect(parseInputShape('a=b=4')).toEqual(['a=b', [4]]);
  });

  it('reads NAME= as a scalar', () => {
    expect(parseInputShape('s=')).toEqual(['s', []]);
  });

  it.each([
    ['1,2,3', /expected NAME=D0,D1/],
    ['=1,2', /expected NAME=D0,D1/],
    ['x=1,,2', /dimension '' of input 'x'/],
    ['x=1,0', /dimension '0' of input 'x'/],
    ['x=1,-2', /dimension '-2'/],
    ['x=1.5', /dimension '1.5'/],
    ['x=N', /dimension 'N'/],
  ])('rejects %s', (spec, msg) => {
    expect(() => parseInputShape(spec)).toThrow(InvalidArgumentError);
    expect(() => parseInputShape(spec)).toThrow(msg);
  });

  it('accumulates repeated options and rejects the same input twice', () => {
    const a = collectInputShape('x=1,2', undefined);
    const b = collectInputShape('y=3', a);
    expect([...b.entries()]).toEqual([['x', [1, 2]], ['y', [3]]]);
    expect(a.size).toBe(1); // the previous map is not mutated
    expect(() => collectInputShape('x=4', b)).toThrow(/input 'x' is given twice \(\[1,2\] and \[4\]\)/);
  });
});

describe('numeric options', () => {
  it('parses tolerances and counts', () => {
    expect(parseNonNegative('1e-3')).toBe(0.001);
    expect(parseNonNegative('0')).toBe(0);
    expect(parsePositiveInt('12')).toBe(12);
  });
  it.each(['-1', 'abc', '', 'Infinity'])('rejects tolerance %j', (t) => {
    expect(() => parseNonNegative(t)).toThrow(/expected a number >= 0/);
  });
  it.each(['0', '1.5', '-3', 'x'])('rejects count %j', (t) => {
    expect(() => parsePositiveInt(t)).toThrow(/expected an integer >= 1/);
  });
});
