import type { ConvAttrs } from '../../ir/ops.js';
import { type WindowGeometry, windowGeometry } from '../../ir/geometry.js';
import { fail, invariant, unsupported } from '../../ir/errors.js';
import { type Tensor, numel, sameShape, shapeStr } from '../../ir/tensor.js';
import { MR, NR, gemmPacked, packRows, packedABuffer, paddedRows } from './packed-gemm.js';

// The one grouped N-D convolution loop, shared by Conv (float) and the integer variants (ConvInteger,
// QLinearConv), which differ only in the offsets they subtract and in what they do with the sums.
//
// Arithmetic: every term is (x - xOffset) * (w - wOffset[m]) in float64. For integer operands every
// product and partial sum is an integer below 2^53, so the sums are exact whatever the order; for float
// operands the sums are float64, i.e. more precise than a float32 reference.
//
// Method: the input is copied once into a zero-based, explicitly padded float64 buffer (offset already
// subtracted, padded cells = padValue - xOffset), so no loop has bounds tests or offsets. 1-D and 2-D
// convolutions run as 3-D ones with leading extents of 1. Then, per image and group:
// - 4 or more output channels per group (nearly every CNN layer): one matrix product, weights
//   [M/group, C/group·taps] times the patch matrix [C/group·taps, out pixels], by packed-gemm.ts
//   (WebAssembly SIMD, cache-blocked; the patch matrix is gathered block by block while packing, never
//   built whole). About 4-7 GMAC/s, 3-5x the direct loop below; light ResNet-50 ~1 s instead of ~5.5 s.
// - fewer (depthwise and tiny convolutions): the direct loop, output row (od, oh) -> 2 output channels ->
//   input channels -> kernel taps -> output column, register-blocked 2 output x 4 input channels (and
//   2 x 2 x 3 taps for kernels 3 wide); a GEMM would waste most of its 4-row tiles there.
// Both sum every output in a fixed order, so results are the same on every run and machine.

export interface ConvCoreInput {
  /** N x C x spatial... */
  readonly x: ArrayLike<number>;
  readonly xShape: readonly number[];
  /** M x C/group x kernel... */
  readonly w: ArrayLike<number>;
  readonly wShape: readonly number[];
  /** Subtracted from every input element (ConvInteger's x_zero_point). Default 0. */
  readonly xOffset?: number;
  /** Raw value of the padded cells, before xOffset is subtracted. Default xOffset, so padding adds 0. */
  readonly padValue?: number;
  /** Subtracted from every weight: one value, or one per output channel (length M). Default 0. */
  readonly wOffset?: number | ArrayLike<number>;
}

export interface ConvCoreResult {
  /** Sums in row-major N x M x out... order. */
  readonly acc: Float64Array;
  /** [N, M, ...out] */
  readonly shape: readonly number[];
  readonly geometry: WindowGeometry;
}

export interface ConvShapes {
  readonly n: number;
  readonly c: number;
  readonly m: number;
  readonly group: number;
  readonly geometry: WindowGeometry;
  /** [N, M, ...out] */
  readonly outShape: readonly number[];
}

const MAX_SPATIAL = 3;

/** Validates X and W against the attributes and computes the output geometry (no data touched). */
export function convShapes(who: string, a: ConvAttrs, xShape: readonly number[], wShape: readonly number[]): ConvShapes {
  const rank = xShape.length;
  if (rank < 3) fail(`${who}: input has rank ${rank} (shape ${shapeStr(xShape)}), expected rank >= 3 (N x C x spatial...)`);
  if (rank - 2 > MAX_SPATIAL) unsupported(`${who}: ${rank - 2}-D convolution (input shape ${shapeStr(xShape)}) is not supported; tilec handles 1-D to 3-D`);
  if (wShape.length !== rank) fail(`${who}: weight has rank ${wShape.length} (shape ${shapeStr(wShape)}) but the input has rank ${rank} (shape ${shapeStr(xShape)})`);
  const group = a.group;
  if (!(Number.isInteger(group) && group >= 1)) fail(`${who}: group ${group} must be a positive integer`);
  const [n, c] = [xShape[0]!, xShape[1]!];
  const [m, cPerGroup] = [wShape[0]!, wShape[1]!];
  if (cPerGroup * group !== c) fail(`${who}: input has ${c} channels but weight expects ${cPerGroup * group} (W.shape[1]=${cPerGroup}, group=${group})`);
  if (m % group !== 0) fail(`${who}: weight has ${m} output channels, which group ${group} does not divide`);
  const kernel = wShape.slice(2);
  if (a.kernel_shape && !sameShape(a.kernel_shape, kernel)) fail(`${who}: kernel_shape ${shapeStr(a.kernel_shape)} does not match the weight's spatial shape ${shapeStr(kernel)} (W shape ${shapeStr(wShape)})`);
  const geometry = windowGeometry(xShape.slice(2), kernel, a, who);
  return { n, c, m, group, geometry, outShape: [n, m, ...geometry.out] };
}

/** An optional bias must be the 1-D vector [M]. */
export function checkConvBias(who: string, b: Tensor | undefined, m: number, role = 'B'): void {
  if (b && (b.shape.length !== 1 || b.shape[0] !== m)) fail(`${who}: bias ${role} has shape ${shapeStr(b.shape)}, expected [${m}] (one per output channel)`);
}

/** Left-pads a spatial vector to 3 entries with `fill` (1-D/2-D run as 3-D). */
function to3(v: readonly number[], fill: number): [number, number, number] {
  const r = [...new Array<number>(MAX_SPATIAL - v.length).fill(fill), ...v];
  return [r[0]!, r[1]!, r[2]!];
}

export function convCore(who: string, a: ConvAttrs, input: ConvCoreInput): ConvCoreResult {
  const { x, xShape, w, wShape } = input;
  const { n: N, c: C, m: M, group, geometry, outShape } = convShapes(who, a, xShape, wShape);
  invariant(x.length === numel(xShape), `${who}: input data has ${x.length} elements, shape ${shapeStr(xShape)}`);
  invariant(w.length === numel(wShape), `${who}: weight data has ${w.length} elements, shape ${shapeStr(wShape)}`);
  const xOffset = input.xOffset ?? 0;
  const padDelta = (input.padValue ?? xOffset) - xOffset;
  const wOff = input.wOffset ?? 0;
  if (typeof wOff !== 'number' && wOff.length !== 1 && wOff.length !== M) fail(`${who}: weight offset has ${wOff.length} values, expected 1 or ${M} (one per output channel)`);

  const [ID, IH, IW] = to3(xShape.slice(2), 1);
  const [KD, KH, KW] = to3(geometry.kernel, 1);
  const [OD, OH, OW] = to3(geometry.out, 1);
  const [SD, SH, SW] = to3(geometry.strides, 1);
  const [DD, DH, DW] = to3(geometry.dilations, 1);
  const [PD, PH, PW] = to3(geometry.padsBegin, 0);
  const [QD, QH, QW] = to3(geometry.padsEnd, 0);
  // Padded extents: the input plus its padding, and at least what the last window reaches.
  const span = (o: number, s: number, k: number, d: number): number => (o - 1) * s + (k - 1) * d + 1;
  const XD = Math.max(PD + ID + QD, span(OD, SD, KD, DD));
  const XH = Math.max(PH + IH + QH, span(OH, SH, KH, DH));
  const XW = Math.max(PW + IW + QW, span(OW, SW, KW, DW));
  const planeX = XD * XH * XW;
  const acc = new Float64Array(numel(outShape));
  if (acc.length === 0) return { acc, shape: outShape, geometry };

  const xp = padInput(x, N * C, ID, IH, IW, XD, XH, XW, PD, PH, PW, xOffset, padDelta);
  const wOffsetOf = (m: number): number => (typeof wOff === 'number' ? wOff : wOff.length === 1 ? wOff[0]! : wOff[m]!);
  if (M / group >= MR) {
    convByGemm(acc, xp, w, wOffsetOf, {
      n: N, c: C, m: M, group, planeX, xh: XH, xw: XW, kd: KD, kh: KH, kw: KW, dd: DD, dh: DH, dw: DW,
      od: OD, oh: OH, ow: OW, sd: SD, sh: SH, sw: SW,
    });
    return { acc, shape: outShape, geometry };
  }
  const wf = offsetWeights(w, M, numel(wShape) / Math.max(M, 1), wOffsetOf);

  const plan: RowPlan = {
    acc, xp, wf, cs: planeX, cg: C / group, taps: KD * KH * KW, ow: OW,
    kd: KD, kh: KH, kw: KW, xh: XH, xw: XW, dd: DD, dh: DH, dw: DW, sw: SW,
  };
  const Mg = M / group, wPerM = plan.cg * plan.taps, planeO = OD * OH * OW;
  for (let b = 0; b < N; b++) {
    for (let g = 0; g < group; g++) {
      const xGroup = (b * C + g * plan.cg) * planeX;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          // Where the window of output (od, oh, 0) starts in this group's first padded input plane.
          const xOrigin = xGroup + (od * SD * XH + oh * SH) * XW;
          // Output channel m's row starts at row0 + m * planeO.
          const row0 = b * M * planeO + (od * OH + oh) * OW;
          let m = g * Mg;
          const mEnd = m + Mg;
          for (; m + 2 <= mEnd; m += 2) rowPair(plan, row0 + m * planeO, planeO, xOrigin, m * wPerM, wPerM);
          if (m < mEnd) rowSingle(plan, row0 + m * planeO, xOrigin, m * wPerM);
        }
      }
    }
  }
  return { acc, shape: outShape, geometry };
}

/** Everything the row loops need, computed once per convolution. */
interface RowPlan {
  readonly acc: Float64Array;
  /** Padded input, offset subtracted. */
  readonly xp: Float64Array;
  /** Weights [M, C/group, taps], offset subtracted. */
  readonly wf: Float64Array;
  /** Distance between two input channels in xp. */
  readonly cs: number;
  /** Input channels per group. */
  readonly cg: number;
  readonly taps: number;
  readonly ow: number;
  readonly kd: number; readonly kh: number; readonly kw: number;
  /** Padded plane extents. */
  readonly xh: number; readonly xw: number;
  readonly dd: number; readonly dh: number; readonly dw: number;
  readonly sw: number;
}

/**
 * Adds to two adjacent output channels' rows (acc[a..a+ow) and acc[a+da..]) every tap of every input
 * channel of the group: each input value loaded feeds 2 channels, each accumulator update 4 inputs.
 */
function rowPair(p: RowPlan, a: number, da: number, xOrigin: number, wA: number, dwB: number): void {
  if (p.kw === 3) return rowPair3(p, a, da, xOrigin, wA, dwB);
  const { acc, xp, wf, cs, cg, taps, ow, kd: KD, kh: KH, kw: KW, xh, xw, dd, dh, dw, sw } = p;
  let ci = 0;
  for (; ci + 4 <= cg; ci += 4) {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        const xRow = xOrigin + ci * cs + (kd * dd * xh + kh * dh) * xw;
        const wRow = wA + ci * taps + (kd * KH + kh) * KW;
        for (let kw = 0; kw < KW; kw++) {
          const r = wRow + kw, q = r + dwB;
          const a0 = wf[r]!, a1 = wf[r + taps]!, a2 = wf[r + 2 * taps]!, a3 = wf[r + 3 * taps]!;
          const b0 = wf[q]!, b1 = wf[q + taps]!, b2 = wf[q + 2 * taps]!, b3 = wf[q + 3 * taps]!;
          let i = xRow + kw * dw;
          for (let o = a, end = a + ow; o < end; o++, i += sw) {
            const x0 = xp[i]!, x1 = xp[i + cs]!, x2 = xp[i + 2 * cs]!, x3 = xp[i + 3 * cs]!;
            acc[o] = acc[o]! + a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
            acc[o + da] = acc[o + da]! + b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
          }
        }
      }
    }
  }
  for (; ci < cg; ci++) {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        const xRow = xOrigin + ci * cs + (kd * dd * xh + kh * dh) * xw;
        const wRow = wA + ci * taps + (kd * KH + kh) * KW;
        for (let kw = 0; kw < KW; kw++) {
          const a0 = wf[wRow + kw]!, b0 = wf[wRow + kw + dwB]!;
          let i = xRow + kw * dw;
          for (let o = a, end = a + ow; o < end; o++, i += sw) {
            const x0 = xp[i]!;
            acc[o] = acc[o]! + a0 * x0;
            acc[o + da] = acc[o + da]! + b0 * x0;
          }
        }
      }
    }
  }
}

/**
 * rowPair for kernels 3 wide (most CNN layers): the 3 taps of a kernel row and 2 input channels share
 * one loop, 12 multiply-adds per pair of accumulator updates (about 1.5x faster than rowPair's blocking).
 */
function rowPair3(p: RowPlan, a: number, da: number, xOrigin: number, wA: number, dwB: number): void {
  const { acc, xp, wf, cs, cg, taps, ow, kd: KD, kh: KH, xh, xw, dd, dh, dw, sw } = p;
  const d1 = dw, d2 = 2 * dw;
  let ci = 0;
  for (; ci + 2 <= cg; ci += 2) {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        const xRow = xOrigin + ci * cs + (kd * dd * xh + kh * dh) * xw;
        const r = wA + ci * taps + (kd * KH + kh) * 3, q = r + dwB;
        const a0 = wf[r]!, a1 = wf[r + 1]!, a2 = wf[r + 2]!, a3 = wf[r + taps]!, a4 = wf[r + taps + 1]!, a5 = wf[r + taps + 2]!;
        const b0 = wf[q]!, b1 = wf[q + 1]!, b2 = wf[q + 2]!, b3 = wf[q + taps]!, b4 = wf[q + taps + 1]!, b5 = wf[q + taps + 2]!;
        let i = xRow;
        for (let o = a, end = a + ow; o < end; o++, i += sw) {
          const x0 = xp[i]!, x1 = xp[i + d1]!, x2 = xp[i + d2]!, x3 = xp[i + cs]!, x4 = xp[i + cs + d1]!, x5 = xp[i + cs + d2]!;
          acc[o] = acc[o]! + a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3 + a4 * x4 + a5 * x5;
          acc[o + da] = acc[o + da]! + b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3 + b4 * x4 + b5 * x5;
        }
      }
    }
  }
  for (; ci < cg; ci++) {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        const xRow = xOrigin + ci * cs + (kd * dd * xh + kh * dh) * xw;
        const r = wA + ci * taps + (kd * KH + kh) * 3, q = r + dwB;
        const a0 = wf[r]!, a1 = wf[r + 1]!, a2 = wf[r + 2]!, b0 = wf[q]!, b1 = wf[q + 1]!, b2 = wf[q + 2]!;
        let i = xRow;
        for (let o = a, end = a + ow; o < end; o++, i += sw) {
          const x0 = xp[i]!, x1 = xp[i + d1]!, x2 = xp[i + d2]!;
          acc[o] = acc[o]! + a0 * x0 + a1 * x1 + a2 * x2;
          acc[o + da] = acc[o + da]! + b0 * x0 + b1 * x1 + b2 * x2;
        }
      }
    }
  }
}

/** rowPair for a single output channel (an odd channel out, or depthwise convolution). */
function rowSingle(p: RowPlan, a: number, xOrigin: number, wA: number): void {
  const { acc, xp, wf, cs, cg, taps, ow, kd: KD, kh: KH, kw: KW, xh, xw, dd, dh, dw, sw } = p;
  let ci = 0;
  for (; ci + 4 <= cg; ci += 4) {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        const xRow = xOrigin + ci * cs + (kd * dd * xh + kh * dh) * xw;
        const wRow = wA + ci * taps + (kd * KH + kh) * KW;
        for (let kw = 0; kw < KW; kw++) {
          const r = wRow + kw;
          const a0 = wf[r]!, a1 = wf[r + taps]!, a2 = wf[r + 2 * taps]!, a3 = wf[r + 3 * taps]!;
          let i = xRow + kw * dw;
          for (let o = a, end = a + ow; o < end; o++, i += sw) {
            acc[o] = acc[o]! + a0 * xp[i]! + a1 * xp[i + cs]! + a2 * xp[i + 2 * cs]! + a3 * xp[i + 3 * cs]!;
          }
        }
      }
    }
  }
  for (; ci < cg; ci++) {
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        const xRow = xOrigin + ci * cs + (kd * dd * xh + kh * dh) * xw;
        const wRow = wA + ci * taps + (kd * KH + kh) * KW;
        for (let kw = 0; kw < KW; kw++) {
          const a0 = wf[wRow + kw]!;
          let i = xRow + kw * dw;
          for (let o = a, end = a + ow; o < end; o++, i += sw) acc[o] = acc[o]! + a0 * xp[i]!;
        }
      }
    }
  }
}

let xpScratch = new Float64Array(0);

/**
 * Copies `planes` input planes of ID x IH x IW into zeroed-origin padded planes of XD x XH x XW, minus
 * `offset`. The buffer is reused by the next convolution: the reference runs one kernel at a time and
 * convCore drops it before returning.
 */
function padInput(x: ArrayLike<number>, planes: number, ID: number, IH: number, IW: number, XD: number, XH: number, XW: number,
  PD: number, PH: number, PW: number, offset: number, padDelta: number): Float64Array {
  const planeX = XD * XH * XW, planeI = ID * IH * IW;
  if (xpScratch.length < planes * planeX) xpScratch = new Float64Array(planes * planeX);
  const xp = xpScratch.subarray(0, planes * planeX);
  xp.fill(padDelta);
  // A typed array without offset: whole rows converted by set(), not element by element (the element
  // type differs between float and integer models, which would make a per-element loop megamorphic).
  const rows = offset === 0 && ArrayBuffer.isView(x) ? (x as unknown as Float32Array) : undefined;
  for (let p = 0; p < planes; p++) {
    for (let d = 0; d < ID; d++) {
      for (let h = 0; h < IH; h++) {
        const src = p * planeI + (d * IH + h) * IW;
        const dst = p * planeX + ((d + PD) * XH + h + PH) * XW + PW;
        if (rows) xp.set(rows.subarray(src, src + IW), dst);
        else for (let i = 0; i < IW; i++) xp[dst + i] = x[src + i]! - offset;
      }
    }
  }
  return xp;
}

/** The weights as float64 with the per-output-channel offset subtracted. */
function offsetWeights(w: ArrayLike<number>, M: number, perM: number, offsetOf: (m: number) => number): Float64Array {
  const wf = new Float64Array(w.length);
  for (let m = 0; m < M; m++) {
    const o = offsetOf(m);
    for (let i = m * perM, end = i + perM; i < end; i++) wf[i] = w[i]! - o;
  }
  return wf;
}

/** The extents convByGemm needs (1-D/2-D already padded to 3-D). */
interface GemmConvPlan {
  readonly n: number; readonly c: number; readonly m: number; readonly group: number;
  /** Elements per padded input plane; padded plane extents. */
  readonly planeX: number; readonly xh: number; readonly xw: number;
  readonly kd: number; readonly kh: number; readonly kw: number;
  readonly dd: number; readonly dh: number; readonly dw: number;
  readonly od: number; readonly oh: number; readonly ow: number;
  readonly sd: number; readonly sh: number; readonly sw: number;
}

/**
 * The convolution as one matrix product per image and group (packed-gemm): the group's weights
 * [M/group, C/group·taps] times its patch matrix [C/group·taps, out pixels], the patch matrix gathered
 * from the padded input block by block while packing (no whole im2col matrix is built). Element (k, p)
 * of the patch matrix is xp[group start + kOff[k] + pixOff[p]].
 */
function convByGemm(acc: Float64Array, xp: Float64Array, w: ArrayLike<number>, wOffsetOf: (m: number) => number, p: GemmConvPlan): void {
  const cg = p.c / p.group, mg = p.m / p.group, taps = p.kd * p.kh * p.kw, K = cg * taps;
  const pixels = p.od * p.oh * p.ow;
  const kOff = new Int32Array(K);
  for (let ci = 0, k = 0; ci < cg; ci++) {
    for (let kd = 0; kd < p.kd; kd++) {
      for (let kh = 0; kh < p.kh; kh++) {
        for (let kw = 0; kw < p.kw; kw++) kOff[k++] = ci * p.planeX + (kd * p.dd * p.xh + kh * p.dh) * p.xw + kw * p.dw;
      }
    }
  }
  // Padded to whole NR-column panels with offset 0: the extra columns read real cells and are discarded.
  const pixOff = new Int32Array(Math.ceil(pixels / NR) * NR);
  for (let od = 0, q = 0; od < p.od; od++) {
    for (let oh = 0; oh < p.oh; oh++) {
      for (let ow = 0; ow < p.ow; ow++) pixOff[q++] = (od * p.sd * p.xh + oh * p.sh) * p.xw + ow * p.sw;
    }
  }
  const panelRows = paddedRows(mg);
  const ap = packedABuffer(p.group * panelRows * K);
  for (let g = 0; g < p.group; g++) packRows(w, g * mg * K, mg, K, K, (i) => wOffsetOf(g * mg + i), ap, g * panelRows * K);
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.group; g++) {
      const base = (b * p.c + g * cg) * p.planeX;
      const packPatches = (dst: Float64Array, k0: number, kc: number, c0: number, nc: number): void => {
        for (let q = 0, d = 0; q * NR < nc; q++) {
          const pix = c0 + q * NR;
          const s0 = base + pixOff[pix]!, s1 = base + pixOff[pix + 1]!, s2 = base + pixOff[pix + 2]!, s3 = base + pixOff[pix + 3]!;
          for (let k = k0, end = k0 + kc; k < end; k++, d += NR) {
            const ko = kOff[k]!;
            dst[d] = xp[s0 + ko]!; dst[d + 1] = xp[s1 + ko]!; dst[d + 2] = xp[s2 + ko]!; dst[d + 3] = xp[s3 + ko]!;
          }
        }
      };
      gemmPacked(ap, g * panelRows * K, mg, K, packPatches, pixels, acc, (b * p.m + g * mg) * pixels, pixels);
    }
  }
}
