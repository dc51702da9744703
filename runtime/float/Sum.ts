import { fail } from '../../ir/errors.js';
import { type Kernel, who, need, expectDtype } from './kernel.js';
import { binaryArith } from './binary.js';
import { broadcastShape } from './broadcast.js';
import { NUMERIC_DTYPES } from './dtypes.js';
import { ADD } from './Add.js';

/**
 * Variadic Sum with broadcasting: a left fold of Add, so float32 rounds after every addition as a
 * float32 accumulator (numpy, onnxruntime) does. One input is returned as is (tensors are immutable).
 */
export const Sum: Kernel<'Sum'> = (node, inputs) => {
  if (inputs.length === 0) fail(`${who(node)}: needs at least one input`);
  const xs = inputs.map((_, i) => need(node, inputs, i, `data_${i}`));
  for (const [i, x] of xs.entries()) {
    expectDtype(node, x, `input ${i}`, NUMERIC_DTYPES);
    if (x.dtype !== xs[0]!.dtype) fail(`${who(node)}: input ${i} has dtype ${x.dtype} but input 0 has ${xs[0]!.dtype}`);
  }
  // Checked across all inputs first so the error lists every shape, not just the first clashing pair.
  broadcastShape(who(node), xs.map((x) => x.shape));
  let acc = xs[0]!;
  for (let i = 1; i < xs.length; i++) acc = binaryArith(node, acc, xs[i]!, ADD);
  return [acc];
};
