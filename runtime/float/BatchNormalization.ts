import { fail, unsupported } from '../../ir/errors.js';
import { shapeStr } from '../../ir/tensor.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';

/**
 * BatchNormalization in inference mode: y = scale * (x - mean) / sqrt(var + epsilon) + B per channel
 * (axis 1; a 1-D input is one channel), in float64 with one rounding at the store.
 */
export const BatchNormalization: Kernel<'BatchNormalization'> = (node, inputs) => {
  const w_ = who(node);
  if (node.outputs.slice(1).some((o) => o !== '')) unsupported(`${w_}: training-mode outputs (running mean/var) are not supported; only inference (training_mode=0, one output)`);
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', FLOAT_DTYPES);
  const params = (['scale', 'B', 'input_mean', 'input_var'] as const).map((role, j) => {
    const t = need(node, inputs, j + 1, role);
    expectDtype(node, t, `input ${j + 1} (${role})`, FLOAT_DTYPES);
    return t;
  });
  if (x.shape.length < 1) fail(`${w_}: input X is a scalar; expected rank >= 1 (N x C x ...)`);
  const c = x.shape.length === 1 ? 1 : x.shape[1]!;
  params.forEach((t, j) => {
    if (t.shape.length !== 1 || t.shape[0] !== c) fail(`${w_}: input ${j + 1} has shape ${shapeStr(t.shape)} but X ${shapeStr(x.shape)} has ${c} channels; expected [${c}]`);
  });
  const [scale, bias, mean, variance] = [params[0]!.data, params[1]!.data, params[2]!.data, params[3]!.data];
  const eps = node.attrs.epsilon;
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const n = x.shape[0]!;
  const acc = new Float64Array(x.data.length), xd = x.data;
  for (let b = 0, i = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const k = scale[ch]! / Math.sqrt(variance[ch]! + eps), m = mean[ch]!, beta = bias[ch]!;
      for (const end = i + inner; i < end; i++) acc[i] = (xd[i]! - m) * k + beta;
    }
  }
  return [storeFloat(x.dtype, x.shape, acc)];
};
