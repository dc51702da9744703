import { im2colFill, im2colGeometry } from '../../ir/im2col.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';

/** Im2Col: the patch matrix of ir/im2col.ts, padded cells holding padValue. Codes are copied, never changed. */
export const Im2Col: Kernel<'Im2Col'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'x');
  expectDtype(node, x, 'input 0 (x)', ['int8']);
  const g = im2colGeometry(x.shape, node.attrs, who(node));
  const out = new Int8Array(g.rows * g.cols);
  im2colFill(g, x.data, node.attrs.padValue, out);
  return [{ dtype: 'int8', shape: [g.rows, g.cols], data: out }];
};
