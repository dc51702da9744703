import { fail } from '../../ir/errors.js';
import { im2colFill, im2colGeometry } from '../../ir/im2col.js';
import { gatherAttrs } from '../../ir/infer/lowered.js';
import { checkRequantAttrs } from '../../ir/infer/qattrs.js';
import { shapeStr } from '../../ir/tensor.js';
import { type Kernel, expectRank, who } from '../float/kernel.js';
import { gemm2d } from '../float/matmul-core.js';
import { addBiasChecked, badFor, int8GemmOperands, requantizeBlock } from './common.js';

/**
 * TileGemm (docs/lowering.md): C[m, j] = requantize(bias[m] + Σ_k a[m, k]·B[k, j]) with row m's multiplier and
 * shift, B being b or, with gather 'im2col', the Im2Col matrix of b (built here the way ir/im2col.ts defines
 * it; the tile machine gathers it while loading instead). Exact in float64; a sum outside int32 is an error
 * naming the element, never a wrap.
 */
export const TileGemm: Kernel<'TileGemm'> = (node, inputs) => {
  const w_ = who(node), at = node.attrs, bad = badFor(w_);
  const { a, b, bias } = int8GemmOperands(node, inputs);
  const [m, k] = [a.shape[0]!, a.shape[1]!];
  const gather = gatherAttrs(at, bad);
  let bData: ArrayLike<number> = b.data, kb: number, n: number;
  if (gather) {
    const g = im2colGeometry(b.shape, gather, w_);
    const mat = new Int8Array(g.rows * g.cols);
    im2colFill(g, b.data, gather.padValue, mat);
    [bData, kb, n] = [mat, g.rows, g.cols];
  } else {
    expectRank(node, b, 'input 1 (b)', [2]);
    [kb, n] = [b.shape[0]!, b.shape[1]!];
  }
  if (k !== kb) fail(`${w_}: inner dimensions differ: a ${shapeStr(a.shape)} has K=${k} but B has ${kb} rows`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== m)) fail(`${w_}: input 2 (bias) has shape ${shapeStr(bias.shape)}, expected [${m}] (one per output row)`);
  checkRequantAttrs(bad, at, m, 'output row');

  const acc = new Float64Array(m * n);
  gemm2d({ m, k, n, a: a.data, b: bData }, acc, 0, new Float64Array(k));
  addBiasChecked(w_, acc, bias, m, n, [m, n]);
  return [{ dtype: 'int8', shape: [m, n], data: requantizeBlock(acc, at, m, n) }];
};
