import type { Tensor } from '../../ir/tensor.js';
import { fail } from '../../ir/errors.js';
import { shapeStr } from '../../ir/tensor.js';

// GlobalAveragePool and GlobalMaxPool reduce each N x C plane over every spatial axis (any rank).

export interface GlobalPoolShape {
  readonly planes: number;
  readonly planeSize: number;
  /** [N, C, 1, ...] */
  readonly outShape: readonly number[];
}

export function globalPoolShape(who: string, x: Tensor): GlobalPoolShape {
  const s = x.shape;
  if (s.length < 3) fail(`${who}: input has rank ${s.length} (shape ${shapeStr(s)}), expected rank >= 3 (N x C x spatial...)`);
  const planeSize = s.slice(2).reduce((a, b) => a * b, 1);
  if (planeSize === 0) fail(`${who}: cannot pool over an empty spatial extent (shape ${shapeStr(s)})`);
  return { planes: s[0]! * s[1]!, planeSize, outShape: [s[0]!, s[1]!, ...s.slice(2).map(() => 1)] };
}
