import { checkQAddAttrs } from '../../ir/infer/qattrs.js';
import type { QAddAttrs } from '../../ir/ops.js';
import { numel } from '../../ir/tensor.js';
import { broadcastBinary, broadcastShape } from '../float/broadcast.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { badFor } from './common.js';
import { qAddByteTable, qAddRule } from './qadd-rule.js';

/** QAdd: TFLite's integer Add (ir/arith quantizedAdd) per element, broadcasting like Add. */
export const QAdd: Kernel<'QAdd'> = (node, inputs) => {
  const w_ = who(node), t = node.attrs;
  const a = need(node, inputs, 0, 'A'), b = need(node, inputs, 1, 'B');
  expectDtype(node, a, 'input 0 (A)', ['int8']);
  expectDtype(node, b, 'input 1 (B)', ['int8']);
  checkQAddAttrs(badFor(w_), t);
  const shape = broadcastShape(w_, [a.shape, b.shape]);
  const out = new Int8Array(numel(shape));
  // Both operands are int8, so a large Add is a lookup in the table of all 256 x 256 results (the same
  // quantizedAdd calls, made once each): ResNet-50's residual Adds have up to 800k elements.
  broadcastBinary(a, b, shape, out, out.length >= TABLE_SIZE ? tableOf(t) : qAddRule(t));
  return [{ dtype: 'int8', shape, data: out }];
};

const TABLE_SIZE = 256 * 256;

/** qAddRule(t) read from qAddByteTable(t), its table of every result by the operands' bytes. */
function tableOf(t: QAddAttrs): (qa: number, qb: number) => number {
  const table = new Int8Array(qAddByteTable(t).buffer);
  return (qa, qb) => table[((qa & 0xff) << 8) | (qb & 0xff)]!;
}
