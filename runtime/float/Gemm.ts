import { fail } from '../../ir/errors.js';
import { shapeStr } from '../../ir/tensor.js';
import { type Kernel, expectDtype, expectRank, need, who } from './kernel.js';
import { gemm2d } from './matmul-core.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';

/** Gemm: Y = alpha * A' B' + beta * C, A' = transA ? A^T : A, B' likewise; C broadcast to [M, N]. */
export const Gemm: Kernel<'Gemm'> = (node, inputs) => {
  const w_ = who(node);
  const { alpha, beta, transA, transB } = node.attrs;
  const a = need(node, inputs, 0, 'A'), b = need(node, inputs, 1, 'B'), c = inputs[2];
  expectDtype(node, a, 'input 0 (A)', FLOAT_DTYPES);
  expectDtype(node, b, 'input 1 (B)', [a.dtype]);
  if (c) expectDtype(node, c, 'input 2 (C)', [a.dtype]);
  expectRank(node, a, 'input 0 (A)', [2]);
  expectRank(node, b, 'input 1 (B)', [2]);
  const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kb) fail(`${w_}: inner dimensions differ: A ${shapeStr(a.shape)} (transA=${transA}) has K=${k} but B ${shapeStr(b.shape)} (transB=${transB}) has K=${kb}`);
  // Unidirectional broadcast: C's dims, right-aligned, must each be 1 or the target's.
  let cRowStride = 0, cColStride = 0;
  if (c) {
    const cs = c.shape;
    const target = [m, n];
    const ok = cs.length <= 2 && cs.every((d, i) => d === 1 || d === target[i + 2 - cs.length]);
    if (!ok) fail(`${w_}: C has shape ${shapeStr(cs)}, which does not broadcast to [${m},${n}] (allowed: [], [${n}], [1,${n}], [${m},1], [${m},${n}] or 1s)`);
    const cRows = cs.length === 2 ? cs[0]! : 1, cCols = cs.length >= 1 ? cs[cs.length - 1]! : 1;
    cRowStride = cRows === 1 ? 0 : cCols;
    cColStride = cCols === 1 ? 0 : 1;
  }
  const acc = new Float64Array(m * n);
  gemm2d({ m, k, n, a: a.data, transA: transA !== 0, b: b.data, transB: transB !== 0 }, acc, 0, new Float64Array(k));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const p = i * n + j;
      acc[p] = alpha * acc[p]! + (c ? beta * c.data[i * cRowStride + j * cColStride]! : 0);
    }
  }
  return [storeFloat(a.dtype, [m, n], acc)];
};
