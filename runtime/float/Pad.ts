import { fail, unsupported } from '../../ir/errors.js';
import { newTensorData } from '../../ir/dtype.js';
import { numel, strides, shapeStr } from '../../ir/tensor.js';
import { type Kernel, who, need } from './kernel.js';
import { intsOf, normalizeAxes, scalarOf } from './axes.js';

type Mode = 'constant' | 'reflect' | 'edge';

/**
 * For each output position along one axis, the input index it reads, or -1 for the constant value.
 * Negative pads crop. Positions are mapped against the whole input, so mixing a crop on one side with
 * reflect/edge padding on the other behaves like "pad, then crop" (the ONNX reference's order).
 */
function axisMap(n: number, begin: number, end: number, mode: Mode): Int32Array {
  const m = new Int32Array(n + begin + end);
  const period = 2 * (n - 1);
  for (let o = 0; o < m.length; o++) {
    const i = o - begin;
    if (i >= 0 && i < n) m[o] = i;
    else if (mode === 'constant') m[o] = -1;
    else if (mode === 'edge') m[o] = i < 0 ? 0 : n - 1;
    else if (period === 0) m[o] = 0;
    else {
      // Mirror without repeating the edge (numpy 'reflect'), periodically for pads longer than the axis.
      const k = ((i % period) + period) % period;
      m[o] = k < n ? k : period - k;
    }
  }
  return m;
}

/**
 * Pads (or crops) each axis by pads = [x1_begin, x2_begin, ..., x1_end, x2_end] from input 1 (opset >= 11)
 * or the attribute, optionally only along input 3's axes (opset >= 18); the constant comes from input 2
 * or the attribute, default 0.
 */
export const Pad: Kernel<'Pad'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  const r = x.shape.length, mode = node.attrs.mode;
  if (!['constant', 'reflect', 'edge'].includes(mode)) unsupported(`${who(node)}: pad mode '${mode}' is not supported (constant, reflect, edge)`);
  const given = inputs[1] ? intsOf(node, inputs[1], 'pads') : node.attrs.pads;
  if (!given) fail(`${who(node)}: needs pads (input 1 or the pads attribute)`);
  const axes = inputs[3] ? normalizeAxes(node, 'axes', intsOf(node, inputs[3], 'axes'), r) : x.shape.map((_, i) => i);
  if (given.length !== 2 * axes.length) fail(`${who(node)}: pads [${given.join(',')}] has ${given.length} values, expected ${2 * axes.length} for ${axes.length} axes of input ${shapeStr(x.shape)}`);
  const begin = new Array<number>(r).fill(0), end = new Array<number>(r).fill(0);
  axes.forEach((a, k) => { begin[a] = given[k]!; end[a] = given[k + axes.length]!; });
  const cv = inputs[2];
  if (cv && cv.dtype !== x.dtype) fail(`${who(node)}: constant_value has dtype ${cv.dtype} but data has ${x.dtype}`);
  const value = cv ? scalarOf(node, cv, 'constant_value') : node.attrs.value ?? 0;
  const shape = x.shape.map((n, d) => n + begin[d]! + end[d]!);
  shape.forEach((s, d) => {
    if (s < 0) fail(`${who(node)}: pads [${given.join(',')}] crop axis ${d} of input ${shapeStr(x.shape)} below zero`);
    if (mode !== 'constant' && x.shape[d] === 0 && s > 0) fail(`${who(node)}: ${mode} padding of axis ${d}, which is empty in input ${shapeStr(x.shape)}`);
  });

  const src = x.data, out = newTensorData(x.dtype, numel(shape));
  if (out.length === 0) return [{ dtype: x.dtype, shape, data: out }];
  if (r === 0) return [x];
  const maps = shape.map((_, d) => axisMap(x.shape[d]!, begin[d]!, end[d]!, mode));
  const inStrides = strides(x.shape);
  const last = maps[r - 1]!, inner = shape[r - 1]!;
  const idx = new Array<number>(r - 1).fill(0);
  for (let o = 0; o < out.length; o += inner) {
    let base = 0, outside = false;
    for (let d = 0; d < r - 1; d++) {
      const m = maps[d]![idx[d]!]!;
      if (m < 0) outside = true;
      base += m * inStrides[d]!;
    }
    if (outside) out.fill(value, o, o + inner);
    else for (let k = 0; k < inner; k++) { const m = last[k]!; out[o + k] = m < 0 ? value : src[base + m]!; }
    for (let d = r - 2; d >= 0; d--) {
      const i = idx[d]! + 1;
      if (i < shape[d]!) { idx[d] = i; break; }
      idx[d] = 0;
    }
  }
  return [{ dtype: x.dtype, shape, data: out }];
};
