import { fail } from './errors.js';
import { windowGeometry } from './geometry.js';
import type { Im2ColAttrs } from './ops.js';
import { numel, shapeStr, strides } from './tensor.js';

// The one definition of the im2col matrix layout (the seed's inputs_lowering, generalised to any spatial rank,
// strides, dilations, asymmetric padding and channel ranges). Shape inference, the Im2Col and TileGemm reference
// kernels and the backend's gathering loads all use it, so they cannot disagree about which input cell a matrix
// element holds. docs/lowering.md draws the layout.

export interface Im2ColGeometry {
  /** Shape of x: [N, C, spatial...]. */
  readonly xShape: readonly number[];
  readonly batch: number;
  readonly channelStart: number;
  readonly channels: number;
  readonly spatial: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padsBegin: readonly number[];
  /** Output spatial extents. */
  readonly out: readonly number[];
  /** Πkernel: rows per channel. */
  readonly taps: number;
  /** Πout: columns per batch element. */
  readonly positions: number;
  /** channels·taps. */
  readonly rows: number;
  /** batch·positions. */
  readonly cols: number;
}

const isCount = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;

/** Validates the attributes against x's shape and resolves the matrix geometry. `who` names the node. */
export function im2colGeometry(xShape: readonly number[], a: Im2ColAttrs, who: string): Im2ColGeometry {
  if (xShape.length < 3) fail(`${who}: input has rank ${xShape.length} (shape ${shapeStr(xShape)}), expected rank >= 3 (N x C x spatial...)`);
  const r = xShape.length - 2;
  const list = (name: string, v: readonly number[], len: number, min: number): void => {
    if (v.length !== len) fail(`${who}: ${name} has ${v.length} values, expected ${len} (the input ${shapeStr(xShape)} has ${r} spatial dims)`);
    if (!v.every((d) => isCount(d, min))) fail(`${who}: ${name} [${v.join(',')}] must hold integers >= ${min}`);
  };
  list('kernel_shape', a.kernel_shape, r, 1);
  list('strides', a.strides, r, 1);
  list('dilations', a.dilations, r, 1);
  list('pads', a.pads, 2 * r, 0);
  const c = xShape[1]!;
  if (!isCount(a.channelStart, 0) || !isCount(a.channels, 1) || a.channelStart + a.channels > c) {
    fail(`${who}: channel range channelStart=${a.channelStart}, channels=${a.channels} does not lie within the input's ${c} channels`);
  }
  if (!isCount(a.padValue, -128) || a.padValue > 127) fail(`${who}: attribute padValue = ${a.padValue} must be an integer in [-128, 127]`);
  const spatial = xShape.slice(2);
  const w = windowGeometry(spatial, a.kernel_shape, { ...a, auto_pad: 'NOTSET' }, who);
  const taps = numel(a.kernel_shape), positions = numel(w.out), batch = xShape[0]!;
  return {
    xShape, batch, channelStart: a.channelStart, channels: a.channels, spatial, kernel: a.kernel_shape, strides: w.strides,
    dilations: w.dilations, padsBegin: w.padsBegin, out: w.out, taps, positions, rows: a.channels * taps, cols: batch * positions,
  };
}

/**
 * Per spatial axis d, the input coordinate read by kernel index i at output index o, at [i·out[d] + o],
 * or -1 where that falls into the padding.
 */
function axisTables(g: Im2ColGeometry): Int32Array[] {
  return g.spatial.map((n, d) => {
    const k = g.kernel[d]!, o = g.out[d]!, t = new Int32Array(k * o);
    for (let i = 0; i < k; i++) {
      for (let p = 0; p < o; p++) {
        const v = p * g.strides[d]! - g.padsBegin[d]! + i * g.dilations[d]!;
        t[i * o + p] = v >= 0 && v < n ? v : -1;
      }
    }
    return t;
  });
}

/** Splits a row-major flat index over `extents` into `into` (last axis fastest). */
function unflatten(flat: number, extents: readonly number[], into: number[]): void {
  for (let d = extents.length - 1; d >= 0; d--) {
    const e = extents[d]!;
    into[d] = flat % e;
    flat = Math.floor(flat / e);
  }
}

/**
 * Flat index into x (row-major [N, C, spatial...]) of matrix element (row, col), or -1 when it is padding
 * (the element then holds padValue). One element at a time: for gathering loads and tests; im2colFill is
 * the bulk form.
 */
export function im2colSource(g: Im2ColGeometry, row: number, col: number): number {
  const r = g.spatial.length, xs = strides(g.xShape);
  const c = Math.floor(row / g.taps), n = Math.floor(col / g.positions);
  const ki = new Array<number>(r), oi = new Array<number>(r);
  unflatten(row % g.taps, g.kernel, ki);
  unflatten(col % g.positions, g.out, oi);
  let at = n * xs[0]! + (g.channelStart + c) * xs[1]!;
  for (let d = 0; d < r; d++) {
    const v = oi[d]! * g.strides[d]! - g.padsBegin[d]! + ki[d]! * g.dilations[d]!;
    if (v < 0 || v >= g.spatial[d]!) return -1;
    at += v * xs[d + 2]!;
  }
  return at;
}

/** Reused by im2colTileSources (called per gathered tile, so it allocates only when a tile is larger). */
let tileScratch = { colBase: new Int32Array(0), colStart: new Int32Array(0), tap: new Int32Array(0), ki: [] as number[], oi: [] as number[] };

/**
 * im2colSource of every element of the tile rows row0..row0+rows-1 × columns col0..col0+cols-1, row-major
 * into `out`: the same values, with each row's kernel tap and each column's output position decoded once
 * rather than per element (a gathering load reads rows·cols of them on every run).
 */
export function im2colTileSources(g: Im2ColGeometry, row0: number, col0: number, rows: number, cols: number, out: Int32Array): void {
  const r = g.spatial.length, xs = strides(g.xShape);
  if (tileScratch.colBase.length < cols || tileScratch.colStart.length < cols * r || tileScratch.tap.length < r) {
    tileScratch = { colBase: new Int32Array(cols), colStart: new Int32Array(cols * r), tap: new Int32Array(r), ki: new Array<number>(r).fill(0), oi: new Array<number>(r).fill(0) };
  }
  const { colBase, colStart, tap, ki, oi } = tileScratch;
  for (let c = 0; c < cols; c++) {
    const col = col0 + c;
    colBase[c] = Math.floor(col / g.positions) * xs[0]!;
    unflatten(col % g.positions, g.out, oi);
    for (let d = 0; d < r; d++) colStart[c * r + d] = oi[d]! * g.strides[d]! - g.padsBegin[d]!;
  }
  if (r === 2) {
    tileSources2d(g, xs, row0, rows, cols, out);
    return;
  }
  for (let i = 0, e = 0; i < rows; i++) {
    const row = row0 + i;
    const rowBase = (g.channelStart + Math.floor(row / g.taps)) * xs[1]!;
    unflatten(row % g.taps, g.kernel, ki);
    for (let d = 0; d < r; d++) tap[d] = ki[d]! * g.dilations[d]!;
    for (let c = 0; c < cols; c++, e++) {
      let at = colBase[c]! + rowBase;
      for (let d = 0; d < r; d++) {
        const v = colStart[c * r + d]! + tap[d]!;
        if (v < 0 || v >= g.spatial[d]!) { at = -1; break; }
        at += v * xs[d + 2]!;
      }
      out[e] = at;
    }
  }
}

/**
 * im2colTileSources' element loop for two spatial axes (every 2-D conv), with tileScratch's column tables
 * already filled: the axes written out, and one unsigned compare per axis for "inside the input".
 */
function tileSources2d(g: Im2ColGeometry, xs: readonly number[], row0: number, rows: number, cols: number, out: Int32Array): void {
  const { colBase, colStart } = tileScratch;
  const h = g.spatial[0]!, w = g.spatial[1]!, kw = g.kernel[1]!, rowStride = xs[2]!;
  const dh = g.dilations[0]!, dw = g.dilations[1]!;
  for (let i = 0, e = 0; i < rows; i++) {
    const row = row0 + i;
    const t = row % g.taps;
    const rowBase = (g.channelStart + Math.floor(row / g.taps)) * xs[1]!;
    const tapH = Math.floor(t / kw) * dh, tapW = (t % kw) * dw;
    for (let c = 0; c < cols; c++, e++) {
      const y = colStart[2 * c]! + tapH, x = colStart[2 * c + 1]! + tapW;
      out[e] = (y >>> 0) < h && (x >>> 0) < w ? colBase[c]! + rowBase + y * rowStride + x : -1;
    }
  }
}

/** Writes the whole rows × cols matrix of x (row-major) into `out` (length rows·cols). */
export function im2colFill(g: Im2ColGeometry, x: ArrayLike<number>, padValue: number, out: { [i: number]: number; readonly length: number }): void {
  const r = g.spatial.length, xs = strides(g.xShape), tables = axisTables(g);
  const ki = new Array<number>(r).fill(0);
  // Per row, the x offset of every output position within one (n, c) plane, or -1 for padding: the same
  // for every batch element and channel, so it is computed once per kernel tap.
  const plane = new Int32Array(g.positions);
  const oi = new Array<number>(r).fill(0);
  for (let t = 0; t < g.taps; t++) {
    unflatten(t, g.kernel, ki);
    for (let p = 0; p < g.positions; p++) {
      unflatten(p, g.out, oi);
      let at = 0;
      for (let d = 0; d < r && at >= 0; d++) {
        const v = tables[d]![ki[d]! * g.out[d]! + oi[d]!]!;
        at = v < 0 ? -1 : at + v * xs[d + 2]!;
      }
      plane[p] = at;
    }
    for (let c = 0; c < g.channels; c++) {
      const rowAt = (c * g.taps + t) * g.cols;
      for (let n = 0; n < g.batch; n++) {
        const base = n * xs[0]! + (g.channelStart + c) * xs[1]!, colAt = rowAt + n * g.positions;
        for (let p = 0; p < g.positions; p++) {
          const at = plane[p]!;
          out[colAt + p] = at < 0 ? padValue : x[base + at]!;
        }
      }
    }
  }
}
