import { type Kernel, expectDtype, need } from './kernel.js';
import { mapUnary } from './unary.js';
import { SIGNED_DTYPES } from './dtypes.js';

// `x < 0 ? 0 : x` rather than Math.max so NaN passes through as it does in onnxruntime.
// float32, the CNN case, has its own loop: mapUnary's call of `f` is shared by every unary op and so is
// not inlined (about 25 ns per element on VGG-19's activations instead of ~1).
export const Relu: Kernel<'Relu'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'X');
  if (x.dtype !== 'float32') return [mapUnary(node, x, SIGNED_DTYPES, (v) => (v < 0 ? 0 : v))];
  expectDtype(node, x, 'input', SIGNED_DTYPES);
  const src = x.data as Float32Array, out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    out[i] = v < 0 ? 0 : v;
  }
  return [{ dtype: x.dtype, shape: x.shape, data: out }];
};
