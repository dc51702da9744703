import { fail } from '../../ir/errors.js';
import { numel, shapeStr } from '../../ir/tensor.js';
import { type Kernel, expectDtype, expectRank, need, who } from '../float/kernel.js';

/**
 * Lift: the GEMM outputs [M_g, N·P] (P = Πspatial) stacked along channels into [N, ΣM_g, spatial...]:
 * out[n, m, p] = in[m, n·P + p]. Codes are copied, never changed.
 */
export const Lift: Kernel<'Lift'> = (node, inputs) => {
  const w_ = who(node), spatial = node.attrs.spatial, per = numel(spatial);
  if (inputs.length < 1) fail(`${w_}: needs at least one input`);
  const parts = inputs.map((_, i) => {
    const t = need(node, inputs, i, 'x');
    expectDtype(node, t, `input ${i} (x)`, ['int8']);
    expectRank(node, t, `input ${i} (x)`, [2]);
    return t;
  });
  const cols = parts[0]!.shape[1]!;
  parts.forEach((t, i) => {
    if (t.shape[1] !== cols) fail(`${w_}: input ${i} has shape ${shapeStr(t.shape)} but input 0 has ${cols} columns`);
  });
  if (!(per >= 1 && cols % per === 0)) fail(`${w_}: inputs have ${cols} columns, not a multiple of the ${per} positions of spatial [${spatial.join(',')}]`);
  const batch = cols / per, rows = parts.reduce((s, t) => s + t.shape[0]!, 0);
  const out = new Int8Array(batch * rows * per);
  let m0 = 0;
  for (const t of parts) {
    const mg = t.shape[0]!, src = t.data;
    for (let m = 0; m < mg; m++) {
      for (let n = 0; n < batch; n++) out.set(src.subarray(m * cols + n * per, m * cols + (n + 1) * per), (n * rows + m0 + m) * per);
    }
    m0 += mg;
  }
  return [{ dtype: 'int8', shape: [batch, rows, ...spatial], data: out }];
};
