import type { DType } from '../dtype.js';
import type { ValueType } from '../graph.js';
import { im2colGeometry } from '../im2col.js';
import type { Im2ColAttrs, NodeOf, TileGemmAttrs } from '../ops.js';
import { numel, shapeStr } from '../tensor.js';
import { type InferCtx, vt } from './context.js';
import { type Bad, checkRequantAttrs } from './qattrs.js';

// The lowered stage's ops (passes/lower, docs/lowering.md): Im2Col, TileGemm and Lift. Outputs carry no
// `quant`: the lowering sets it (Im2Col and Lift move codes, TileGemm requantizes to its output's params).

const INT8: readonly DType[] = ['int8'];

const bad = (c: InferCtx): Bad => (m) => c.fail(m);

/** The Im2Col attributes of a TileGemm, all present (gather 'im2col') or all absent (gather 'none'). */
const GATHER_KEYS = ['kernel_shape', 'strides', 'pads', 'dilations', 'padValue', 'channelStart', 'channels'] as const;

export function inferIm2Col(n: NodeOf<'Im2Col'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x');
  c.dtype(x, 0, 'x', INT8);
  const g = im2colGeometry(x.shape, n.attrs, c.who);
  return [vt('int8', [g.rows, g.cols])];
}

/** The Im2Col attributes of a TileGemm with gather 'im2col', or undefined for gather 'none'. */
export function gatherAttrs(a: TileGemmAttrs, fail: Bad): Im2ColAttrs | undefined {
  const present = GATHER_KEYS.filter((k) => a[k] !== undefined);
  if (a.gather === 'none') {
    if (present.length > 0) fail(`gather 'none' takes no im2col attributes, got ${present.join(', ')}`);
    return undefined;
  }
  if (a.gather !== 'im2col') fail(`attribute gather = ${String(a.gather)} must be 'none' or 'im2col'`);
  const missing = GATHER_KEYS.filter((k) => a[k] === undefined);
  if (missing.length > 0) fail(`gather 'im2col' needs the im2col attributes; missing ${missing.join(', ')}`);
  return a as Im2ColAttrs;
}

/** TileGemm: a [M, K] times B [K, N] (b itself, or Im2Col(b) when gathering), plus an int32 bias [M]. */
export function inferTileGemm(n: NodeOf<'TileGemm'>, c: InferCtx): ValueType[] {
  const a = c.input(0, 'a'), b = c.input(1, 'b');
  c.dtype(a, 0, 'a', INT8);
  c.dtype(b, 1, 'b', INT8);
  c.rank(a, 0, 'a', (r) => r === 2, 'rank 2');
  const [m, k] = [a.shape[0]!, a.shape[1]!];
  const gather = gatherAttrs(n.attrs, bad(c));
  let kb: number, cols: number;
  if (gather) {
    const g = im2colGeometry(b.shape, gather, c.who);
    [kb, cols] = [g.rows, g.cols];
  } else {
    c.rank(b, 1, 'b', (r) => r === 2, 'rank 2');
    [kb, cols] = [b.shape[0]!, b.shape[1]!];
  }
  if (k !== kb) c.fail(`inner dimensions differ: a ${shapeStr(a.shape)} has K=${k} but B ${gather ? `(im2col of b ${shapeStr(b.shape)}) ` : ''}has ${kb} rows`);
  const bias = c.optional(2, 'bias');
  if (bias) {
    c.dtype(bias, 2, 'bias', ['int32']);
    if (bias.shape.length !== 1 || bias.shape[0] !== m) c.fail(`input 2 (bias) has shape ${shapeStr(bias.shape)}, expected [${m}] (one per output row)`);
  }
  checkRequantAttrs(bad(c), n.attrs, m, 'output row');
  return [vt('int8', [m, cols])];
}

/** Lift: GEMM outputs [M_g, N·Πspatial] stacked along channels into [N, ΣM_g, spatial...]. */
export function inferLift(n: NodeOf<'Lift'>, c: InferCtx): ValueType[] {
  const spatial = n.attrs.spatial;
  if (!spatial.every((d) => Number.isInteger(d) && d >= 1)) c.fail(`spatial [${spatial.join(',')}] must hold integers >= 1`);
  if (n.inputs.length < 1) c.fail('needs at least one input');
  const per = numel(spatial);
  let rows = 0, cols = -1;
  n.inputs.forEach((_, i) => {
    const t = c.input(i, 'x');
    c.dtype(t, i, 'x', INT8);
    c.rank(t, i, 'x', (r) => r === 2, 'rank 2');
    if (cols >= 0 && t.shape[1] !== cols) c.fail(`input ${i} has ${t.shape[1]} columns but input 0 has ${cols}; every group's GEMM output covers the same columns`);
    cols = t.shape[1]!;
    rows += t.shape[0]!;
  });
  if (cols % per !== 0) c.fail(`inputs have ${cols} columns, not a multiple of the ${per} output positions of spatial [${spatial.join(',')}]`);
  return [vt('int8', [cols / per, rows, ...spatial])];
}
