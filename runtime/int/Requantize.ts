import { fail } from '../../ir/errors.js';
import { checkIntAttr, checkRequantAttrs, INT8_MAX, INT8_MIN } from '../../ir/infer/qattrs.js';
import { numel, shapeStr } from '../../ir/tensor.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { badFor, requantizeBlock } from './common.js';

/** Requantize: requantize(q - inZeroPoint) per tensor, or per channel along axis 1. */
export const Requantize: Kernel<'Requantize'> = (node, inputs) => {
  const w_ = who(node), a = node.attrs, bad = badFor(w_);
  const x = need(node, inputs, 0, 'x');
  expectDtype(node, x, 'input 0 (x)', ['int8']);
  const perChannel = a.multiplier.length !== 1;
  if (perChannel && x.shape.length < 2) fail(`${w_}: per-channel multipliers (${a.multiplier.length}) need an input of rank >= 2 (channels on axis 1), got shape ${shapeStr(x.shape)}`);
  const channels = x.shape.length >= 2 ? x.shape[1]! : 1;
  checkRequantAttrs(bad, a, channels, 'channel (axis 1)');
  checkIntAttr(bad, 'inZeroPoint', a.inZeroPoint, INT8_MIN, INT8_MAX);
  const centred = new Float64Array(x.data.length);
  for (let i = 0; i < centred.length; i++) centred[i] = x.data[i]! - a.inZeroPoint;
  const inner = perChannel ? numel(x.shape.slice(2)) : Math.max(1, centred.length);
  return [{ dtype: 'int8', shape: [...x.shape], data: requantizeBlock(centred, a, perChannel ? channels : 1, inner) }];
};
