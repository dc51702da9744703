import { describe, expect, it } from 'vitest';
import { Identity } from '../../../runtime/float/Identity.js';
import { Dropout } from '../../../runtime/float/Dropout.js';
import { Constant } from '../../../runtime/float/Constant.js';
import { ConstantOfShape } from '../../../runtime/float/ConstantOfShape.js';
import { UnsupportedError } from '../../../ir/errors.js';
import { f32, i64, node, t, vals } from './make.js';

describe('Identity and Dropout', () => {
  const x = f32([2], [1, -1]);
  it('pass the input through', () => {
    expect(Identity(node('Identity', {}), [x])).toEqual([x]);
    expect(Dropout(node('Dropout', { ratio: 0.5 }), [x])).toEqual([x]);
  });
  it('Dropout gives an all-true bool mask when asked, with training_mode false', () => {
    const [y, mask] = Dropout(node('Dropout', {}, 3, 2), [x, f32([], [0.3]), t('bool', [], [0])]);
    expect(y).toBe(x);
    expect(mask!.dtype).toBe('bool');
    expect(mask!.shape).toEqual([2]);
    expect(vals(mask!)).toEqual([1, 1]);
  });
  it('Dropout refuses training mode', () => {
    expect(() => Dropout(node('Dropout', {}, 3), [x, undefined, t('bool', [], [1])])).toThrow(UnsupportedError);
    expect(() => Dropout(node('Dropout', {}, 3), [x, undefined, t('bool', [], [1])])).toThrow("Dropout 'dropout_1': training_mode=true");
  });
});

describe('Constant and ConstantOfShape', () => {
  it('Constant returns its value', () => {
    const v = i64([3, 4]);
    expect(Constant(node('Constant', { value: v }, 0), [])).toEqual([v]);
  });
  it('ConstantOfShape fills with float32 0 by default, or the value attribute', () => {
    const [z] = ConstantOfShape(node('ConstantOfShape', {}), [i64([2, 3])]);
    expect(z!.dtype).toBe('float32');
    expect(z!.shape).toEqual([2, 3]);
    expect(vals(z!)).toEqual([0, 0, 0, 0, 0, 0]);
    const [s] = ConstantOfShape(node('ConstantOfShape', { value: t('int32', [1], [7]) }), [i64([])]);
    expect(s!.shape).toEqual([]);
    expect(vals(s!)).toEqual([7]);
  });
  it('ConstantOfShape rejects negative dims and multi-element values', () => {
    expect(() => ConstantOfShape(node('ConstantOfShape', {}), [i64([2, -1])])).toThrow("ConstantOfShape 'constantofshape_1': shape [2,-1] has a negative dim");
    expect(() => ConstantOfShape(node('ConstantOfShape', { value: f32([2], [1, 2]) }), [i64([1])])).toThrow("ConstantOfShape 'constantofshape_1': value must have one element, got shape [2]");
  });
});
