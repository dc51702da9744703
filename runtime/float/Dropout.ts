import { unsupported } from '../../ir/errors.js';
import { tensor } from '../../ir/tensor.js';
import { type Kernel, who, need, expectDtype } from './kernel.js';
import { scalarOf } from './axes.js';
import { FLOAT_DTYPES } from './dtypes.js';

/**
 * Inference Dropout: y = x, and the optional mask is all true (bool, held as 1s). The ratio is then
 * irrelevant; training mode is random and has no place in a reference, so it is rejected.
 */
export const Dropout: Kernel<'Dropout'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  expectDtype(node, x, 'data', FLOAT_DTYPES);
  const training = inputs[2];
  if (training && scalarOf(node, training, 'training_mode') !== 0) {
    unsupported(`${who(node)}: training_mode=true (random dropout) is not supported; tilec runs inference only`);
  }
  if (node.outputs.length < 2 || node.outputs[1] === '') return [x];
  return [x, tensor('bool', x.shape, new Uint8Array(x.data.length).fill(1))];
};
