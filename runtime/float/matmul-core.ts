import { fail, invariant } from '../../ir/errors.js';
import { numel, shapeStr } from '../../ir/tensor.js';

// The one matrix-product loop, shared by MatMul and Gemm (float) and the integer variants
// (MatMulInteger, QLinearMatMul), which differ only in the offsets they subtract and in what they do
// with the sums.
//
// Arithmetic: every term is (a - aOffset[row]) * (b - bOffset[col]) in float64. For integer operands
// every product and partial sum is an integer below 2^53, so the sums are exact whatever the order; for
// float operands the sums are float64, i.e. more precise than a float32 reference.
//
// Operands are read in place, never copied whole: Gemm's B can be a 100M-element fully connected
// weight. One row of A (offset subtracted, transposition resolved) is copied into a float64 buffer, then
//   B as [K, N]: i-k-j order, out row += a[k] * B row k   (both streams contiguous);
//   B as [N, K] (transB): out[j] = dot(a, B row j)        (both streams contiguous).
// B's per-column offset is applied once per output element through sum_k a'[k] * bOff[j].

/** An offset subtracted from every element: one value, or one per row of A / per column of B. */
export type Offset = number | ArrayLike<number>;

/** One 2-D product out[M, N] (+)= (A - aOff) (B - bOff), A and B read at element offsets. */
export interface Gemm2D {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** A is stored [M, K], or [K, M] when transA. */
  readonly a: ArrayLike<number>;
  readonly aAt?: number;
  readonly transA?: boolean;
  /** Per tensor, or per row of A (M values; read from aOffAt). */
  readonly aOffset?: Offset;
  readonly aOffAt?: number;
  /** B is stored [K, N], or [N, K] when transB. */
  readonly b: ArrayLike<number>;
  readonly bAt?: number;
  readonly transB?: boolean;
  /** Per tensor, or per column of B (N values; read from bOffAt). */
  readonly bOffset?: Offset;
  readonly bOffAt?: number;
}

/** Writes (A - aOff)(B - bOff) into out[outAt .. outAt + M*N). `row` is a scratch buffer of >= K elements. */
export function gemm2d(g: Gemm2D, out: Float64Array, outAt: number, row: Float64Array): void {
  const { m: M, k: K, n: N, a, b } = g;
  const aAt = g.aAt ?? 0, bAt = g.bAt ?? 0, aOffAt = g.aOffAt ?? 0, bOffAt = g.bOffAt ?? 0;
  const aOff = scalarIfSingle(g.aOffset), bOff = scalarIfSingle(g.bOffset);
  const aRowStride = g.transA ? 1 : K, aColStride = g.transA ? M : 1;
  const bPerCol = typeof bOff !== 'number';
  for (let i = 0; i < M; i++) {
    const ao = typeof aOff === 'number' ? aOff : aOff[aOffAt + i]!;
    let rowSum = 0;
    for (let k = 0, p = aAt + i * aRowStride; k < K; k++, p += aColStride) {
      const v = a[p]! - ao;
      row[k] = v;
      rowSum += v;
    }
    const o = outAt + i * N;
    if (g.transB) {
      if (b instanceof Float32Array) dotRowsF32(row, K, N, b, bAt, out, o);
      else if (b instanceof Int8Array) dotRowsI8(row, K, N, b, bAt, out, o);
      else dotRows(row, K, N, b, bAt, out, o);
    } else {
      out.fill(0, o, o + N);
      if (b instanceof Float32Array) axpyRowsF32(row, K, N, b, bAt, out, o);
      else if (b instanceof Int8Array) axpyRowsI8(row, K, N, b, bAt, out, o);
      else axpyRows(row, K, N, b, bAt, out, o);
    }
    // (B - bOff) summed against a' is B summed against a' minus bOff * sum(a').
    if (bPerCol) for (let j = 0; j < N; j++) out[o + j] = out[o + j]! - bOff[bOffAt + j]! * rowSum;
    else if (bOff !== 0) for (let j = 0; j < N; j++) out[o + j] = out[o + j]! - bOff * rowSum;
  }
}

// The two inner loops, each in one copy per common element type of B (float32 for float models, int8 for
// the integer reference) and a generic one. The copies are the same code: a loop whose loads see one array
// type stays monomorphic in V8, while one shared by float32 and int8 data (both run in one verify process)
// reads every element through a generic path, several times slower (VGG-19's 25088 x 4096 classifier).

/** out[o + j] = Σ_k row[k]·B[j, k], B stored [N, K] from bAt. */
function dotRows(row: Float64Array, K: number, N: number, b: ArrayLike<number>, bAt: number, out: Float64Array, o: number): void {
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0, p = bAt + j * K; k < K; k++, p++) s += row[k]! * b[p]!;
    out[o + j] = s;
  }
}

function dotRowsF32(row: Float64Array, K: number, N: number, b: Float32Array, bAt: number, out: Float64Array, o: number): void {
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0, p = bAt + j * K; k < K; k++, p++) s += row[k]! * b[p]!;
    out[o + j] = s;
  }
}

function dotRowsI8(row: Float64Array, K: number, N: number, b: Int8Array, bAt: number, out: Float64Array, o: number): void {
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0, p = bAt + j * K; k < K; k++, p++) s += row[k]! * b[p]!;
    out[o + j] = s;
  }
}

/** out[o + j] += Σ_k row[k]·B[k, j] in k order, B stored [K, N] from bAt. */
function axpyRows(row: Float64Array, K: number, N: number, b: ArrayLike<number>, bAt: number, out: Float64Array, o: number): void {
  for (let k = 0; k < K; k++) {
    const v = row[k]!;
    for (let j = 0, p = bAt + k * N; j < N; j++, p++) out[o + j] = out[o + j]! + v * b[p]!;
  }
}

function axpyRowsF32(row: Float64Array, K: number, N: number, b: Float32Array, bAt: number, out: Float64Array, o: number): void {
  for (let k = 0; k < K; k++) {
    const v = row[k]!;
    for (let j = 0, p = bAt + k * N; j < N; j++, p++) out[o + j] = out[o + j]! + v * b[p]!;
  }
}

function axpyRowsI8(row: Float64Array, K: number, N: number, b: Int8Array, bAt: number, out: Float64Array, o: number): void {
  for (let k = 0; k < K; k++) {
    const v = row[k]!;
    for (let j = 0, p = bAt + k * N; j < N; j++, p++) out[o + j] = out[o + j]! + v * b[p]!;
  }
}

/** A one-element offset array is a per-tensor offset. */
const scalarIfSingle = (o: Offset | undefined): Offset => (o === undefined ? 0 : typeof o !== 'number' && o.length === 1 ? o[0]! : o);

export interface MatMulShapes {
  /** Broadcast batch dims of the result. */
  readonly batch: readonly number[];
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** numpy result shape: batch, then M unless A is 1-D, then N unless B is 1-D. */
  readonly outShape: readonly number[];
}

/** numpy matmul shapes: 1-D A is [1, K] and 1-D B is [K, 1], their unit dims dropped from the result. */
export function matmulShapes(who: string, aShape: readonly number[], bShape: readonly number[]): MatMulShapes {
  if (aShape.length === 0 || bShape.length === 0) fail(`${who}: operands must have rank >= 1, got shapes ${shapeStr(aShape)} and ${shapeStr(bShape)}`);
  const a2 = aShape.length === 1 ? [1, aShape[0]!] : aShape;
  const b2 = bShape.length === 1 ? [bShape[0]!, 1] : bShape;
  const [m, k] = a2.slice(-2) as [number, number];
  const [kb, n] = b2.slice(-2) as [number, number];
  if (k !== kb) fail(`${who}: inner dimensions differ: A ${shapeStr(aShape)} has K=${k} but B ${shapeStr(bShape)} has K=${kb}`);
  const ab = a2.slice(0, -2), bb = b2.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = ab[i - (rank - ab.length)] ?? 1, db = bb[i - (rank - bb.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) fail(`${who}: batch dimensions of A ${shapeStr(aShape)} and B ${shapeStr(bShape)} cannot be broadcast (${da} vs ${db})`);
    batch.push(da === 1 ? db : da);
  }
  const outShape = [...batch, ...(aShape.length === 1 ? [] : [m]), ...(bShape.length === 1 ? [] : [n])];
  return { batch, m, k, n, outShape };
}

export interface MatMulCoreInput {
  readonly a: ArrayLike<number>;
  readonly aShape: readonly number[];
  /**
   * Subtracted from A: one value; M values (one per row, shared by every batch); or batchA * M values
   * (one per row of each of A's own, unbroadcast, matrices — MatMulInteger's [D1, D2, M, 1] zero point).
   */
  readonly aOffset?: Offset;
  readonly b: ArrayLike<number>;
  readonly bShape: readonly number[];
  /** Subtracted from B: one value; N values (one per column); or batchB * N values. */
  readonly bOffset?: Offset;
}

export interface MatMulCoreResult {
  readonly acc: Float64Array;
  readonly shape: readonly number[];
}

/** numpy-semantics batched matmul of (A - aOffset) and (B - bOffset), summed in float64. */
export function matmulCore(who: string, input: MatMulCoreInput): MatMulCoreResult {
  const { a, aShape, b, bShape } = input;
  const { batch, m, k, n, outShape } = matmulShapes(who, aShape, bShape);
  invariant(a.length === numel(aShape), `${who}: A data has ${a.length} elements, shape ${shapeStr(aShape)}`);
  invariant(b.length === numel(bShape), `${who}: B data has ${b.length} elements, shape ${shapeStr(bShape)}`);
  const aBatch = aShape.length > 2 ? aShape.slice(0, -2) : [];
  const bBatch = bShape.length > 2 ? bShape.slice(0, -2) : [];
  const aOff = offsetLayout(who, 'A', input.aOffset, m, numel(aBatch), 'row');
  const bOff = offsetLayout(who, 'B', input.bOffset, n, numel(bBatch), 'column');

  const acc = new Float64Array(numel(outShape));
  const row = new Float64Array(k);
  const aIndex = batchIndex(aBatch, batch), bIndex = batchIndex(bBatch, batch);
  for (let t = 0; t < aIndex.length; t++) {
    const ai = aIndex[t]!, bi = bIndex[t]!;
    gemm2d({
      m, k, n,
      a, aAt: ai * m * k, aOffset: input.aOffset, aOffAt: aOff === 'perBatch' ? ai * m : 0,
      b, bAt: bi * k * n, bOffset: input.bOffset, bOffAt: bOff === 'perBatch' ? bi * n : 0,
    }, acc, t * m * n, row);
  }
  return { acc, shape: outShape };
}

/** Checks an offset's length and says how gemm2d should index it. */
function offsetLayout(who: string, name: string, off: Offset | undefined, perMatrix: number, matrices: number, unit: string): 'shared' | 'perBatch' {
  if (off === undefined || typeof off === 'number') return 'shared';
  if (off.length === 1 || off.length === perMatrix) return 'shared';
  if (off.length === perMatrix * matrices && matrices > 1) return 'perBatch';
  return fail(`${who}: offset of ${name} has ${off.length} values, expected 1, ${perMatrix} (one per ${unit})${matrices > 1 ? ` or ${perMatrix * matrices} (one per ${unit} of each matrix)` : ''}`);
}

/**
 * For each matrix of the broadcast batch `to` (row-major), the index of the matrix of an operand whose
 * own batch dims are `from` (right-aligned, size-1 dims broadcast).
 */
export function batchIndex(from: readonly number[], to: readonly number[]): Int32Array {
  const total = numel(to);
  const idx = new Int32Array(total);
  const lead = to.length - from.length;
  const pos = new Array<number>(to.length).fill(0);
  for (let t = 0; t < total; t++) {
    let f = 0;
    for (let d = 0; d < from.length; d++) f = f * from[d]! + (from[d] === 1 ? 0 : pos[lead + d]!);
    idx[t] = f;
    for (let d = to.length - 1; d >= 0; d--) {
      if (++pos[d]! < to[d]!) break;
      pos[d] = 0;
    }
  }
  return idx;
}
