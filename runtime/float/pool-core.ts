import type { PoolAttrs } from '../../ir/ops.js';
import { type WindowGeometry, windowGeometry } from '../../ir/geometry.js';
import { fail, unsupported } from '../../ir/errors.js';
import { shapeStr } from '../../ir/tensor.js';

// Window bookkeeping shared by MaxPool and AveragePool. A pooling window is a product of per-axis tap
// ranges, so everything is precomputed per axis and output index: where the window starts in the input,
// which taps land inside the input, and how many land inside input-plus-explicit-padding (the
// count_include_pad divisor: cells that ceil_mode adds beyond the end padding never count, as in
// PyTorch and onnxruntime). 1-D and 2-D pools run as 3-D ones with leading extents of 1.

/** One spatial axis: for output index o, taps k in [lo[o], hi[o]) read input index start[o] + k * dilation. */
export interface PoolAxis {
  readonly size: number;
  readonly out: number;
  readonly dilation: number;
  readonly start: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Taps inside the input or its explicit/auto padding. */
  readonly padded: Int32Array;
}

export interface PoolPlan {
  /** N * C planes of D x H x W each. */
  readonly planes: number;
  /** Leading 1-extent axes first: [D, H, W]. */
  readonly axes: readonly [PoolAxis, PoolAxis, PoolAxis];
  readonly geometry: WindowGeometry;
  /** [N, C, ...out] */
  readonly outShape: readonly number[];
}

const MAX_SPATIAL = 3;

export function poolPlan(who: string, a: PoolAttrs, xShape: readonly number[]): PoolPlan {
  const rank = xShape.length;
  if (rank < 3) fail(`${who}: input has rank ${rank} (shape ${shapeStr(xShape)}), expected rank >= 3 (N x C x spatial...)`);
  if (rank - 2 > MAX_SPATIAL) unsupported(`${who}: ${rank - 2}-D pooling (input shape ${shapeStr(xShape)}) is not supported; tilec handles 1-D to 3-D`);
  const spatial = xShape.slice(2);
  if (a.kernel_shape.length !== spatial.length) fail(`${who}: kernel_shape ${shapeStr(a.kernel_shape)} has ${a.kernel_shape.length} dims but the input has ${spatial.length} spatial dims (shape ${shapeStr(xShape)})`);
  const geometry = windowGeometry(spatial, a.kernel_shape, a, who);
  const lead = MAX_SPATIAL - spatial.length;
  const axis = (i: number): PoolAxis => {
    const j = i - lead;
    if (j < 0) return poolAxis(1, 1, 1, 1, 1, 0, 0);
    return poolAxis(spatial[j]!, geometry.out[j]!, geometry.kernel[j]!, geometry.strides[j]!, geometry.dilations[j]!, geometry.padsBegin[j]!, geometry.padsEnd[j]!);
  };
  const axes = [axis(0), axis(1), axis(2)] as const;
  return { planes: xShape[0]! * xShape[1]!, axes, geometry, outShape: [xShape[0]!, xShape[1]!, ...geometry.out] };
}

function poolAxis(size: number, out: number, k: number, s: number, d: number, pb: number, pe: number): PoolAxis {
  const start = new Int32Array(out), lo = new Int32Array(out), hi = new Int32Array(out), padded = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const st = o * s - pb;
    start[o] = st;
    // Taps with 0 <= st + t*d < size, and with -pb <= st + t*d < size + pe (st >= -pb always).
    lo[o] = Math.min(k, Math.max(0, Math.ceil(-st / d)));
    hi[o] = Math.max(lo[o]!, Math.min(k, Math.floor((size - 1 - st) / d) + 1));
    padded[o] = Math.max(0, Math.min(k, Math.floor((size + pe - 1 - st) / d) + 1));
  }
  return { size, out, dilation: d, start, lo, hi, padded };
}

/** Fails when some window holds no input cell: nothing to take the maximum or the average of. */
export function requireNonEmptyWindows(who: string, plan: PoolPlan, attrs: PoolAttrs): void {
  plan.axes.forEach((ax, i) => {
    for (let o = 0; o < ax.out; o++) {
      if (ax.hi[o]! <= ax.lo[o]!) {
        const axisNo = i - (MAX_SPATIAL - (plan.outShape.length - 2));
        fail(`${who}: the window of output ${o} along spatial axis ${axisNo} lies entirely in padding (kernel_shape ${shapeStr(attrs.kernel_shape)}, pads [${[...plan.geometry.padsBegin, ...plan.geometry.padsEnd].join(',')}]), so it covers no input value`);
      }
    }
  });
}

/**
 * The one average-pool window walk, shared by the float AveragePool and the integer QAveragePool:
 * `visit(o, sum, count, inside)` once per output element o, with the exact sum of its window's input cells,
 * the ONNX divisor `count` (cells inside X, or with count_include_pad also those of the explicit/auto padding;
 * never the cells ceil_mode reaches beyond the end padding) and `inside` (cells inside X). A window with a
 * zero divisor is an error naming the node: its average is undefined.
 */
export function forEachAverageWindow(
  who: string, plan: PoolPlan, includePad: boolean, xd: ArrayLike<number>,
  visit: (o: number, sum: number, count: number, inside: number) => void,
): void {
  const [D, H, W] = plan.axes;
  const planeI = D.size * H.size * W.size, HW = H.size * W.size;
  let o = 0;
  for (let p = 0; p < plan.planes; p++) {
    const base = p * planeI;
    for (let od = 0; od < D.out; od++) {
      for (let oh = 0; oh < H.out; oh++) {
        for (let ow = 0; ow < W.out; ow++, o++) {
          let sum = 0;
          for (let kd = D.lo[od]!; kd < D.hi[od]!; kd++) {
            const rowD = base + (D.start[od]! + kd * D.dilation) * HW;
            for (let kh = H.lo[oh]!; kh < H.hi[oh]!; kh++) {
              const row = rowD + (H.start[oh]! + kh * H.dilation) * W.size + W.start[ow]!;
              for (let kw = W.lo[ow]!; kw < W.hi[ow]!; kw++) sum += xd[row + kw * W.dilation]!;
            }
          }
          const inside = (D.hi[od]! - D.lo[od]!) * (H.hi[oh]! - H.lo[oh]!) * (W.hi[ow]! - W.lo[ow]!);
          const count = includePad ? D.padded[od]! * H.padded[oh]! * W.padded[ow]! : inside;
          if (count === 0) fail(`${who}: the window of output element ${o} covers no input cell (it lies entirely in padding); its average is undefined`);
          visit(o, sum, count, inside);
        }
      }
    }
  }
}
