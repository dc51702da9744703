import type { DType } from '../dtype.js';
import type { ValueType } from '../graph.js';
import type { NodeOf } from '../ops.js';
import { shapeStr } from '../tensor.js';
import { type InferCtx, broadcastShapes, vt } from './context.js';
import {
  type Bad, INT8_MAX, INT8_MIN, checkDequantizeAttrs, checkIntAttr, checkQAddAttrs, checkQuantizeAttrs, checkRequantAttrs,
} from './qattrs.js';
import { convShape, globalPoolShape, poolShape } from './window.js';

// tilec's own integer ops (the realized int8 graph, stage `quantized`) and ONNX Round. Codes are int8
// storage for every bit width 2..8; accumulators and biases are int32. Outputs carry no `quant`: the
// realize pass sets it, and the verifier checks it (ir/verify.ts).

const INT8: readonly DType[] = ['int8'];

const bad = (c: InferCtx): Bad => (m) => c.fail(m);

/** An optional int32 bias of shape [n]. */
function checkInt32Bias(c: InferCtx, i: number, n: number, what: string): void {
  const b = c.optional(i, 'bias');
  if (!b) return;
  c.dtype(b, i, 'bias', ['int32']);
  if (b.shape.length !== 1 || b.shape[0] !== n) c.fail(`input ${i} (bias) has shape ${shapeStr(b.shape)}, expected [${n}] (one per ${what})`);
}

/** QConv: Conv's window geometry over int8 codes, int32 bias [M], requantized per tensor or per output channel. */
export function inferQConv(n: NodeOf<'QConv'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x'), w = c.input(1, 'w');
  c.dtype(x, 0, 'x', INT8);
  c.dtype(w, 1, 'w', INT8);
  const shape = convShape(c, n.attrs, 0, 1);
  const m = shape[1]!;
  checkInt32Bias(c, 2, m, 'output channel');
  checkRequantAttrs(bad(c), n.attrs, m, 'output channel');
  checkIntAttr(bad(c), 'padValue', n.attrs.padValue, INT8_MIN, INT8_MAX);
  return [vt('int8', shape)];
}

/** QGemm: a [M, K] times b [K, N] (or [N, K] with transB), plus an int32 bias [N]. */
export function inferQGemm(n: NodeOf<'QGemm'>, c: InferCtx): ValueType[] {
  const a = c.input(0, 'a'), b = c.input(1, 'b');
  c.dtype(a, 0, 'a', INT8);
  c.dtype(b, 1, 'b', INT8);
  c.rank(a, 0, 'a', (r) => r === 2, 'rank 2');
  c.rank(b, 1, 'b', (r) => r === 2, 'rank 2');
  checkIntAttr(bad(c), 'transB', n.attrs.transB, 0, 1);
  const [m, k] = [a.shape[0]!, a.shape[1]!];
  const [kb, cols] = n.attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kb) c.fail(`inner dimensions differ: a ${shapeStr(a.shape)} has K=${k} but b ${shapeStr(b.shape)} (transB=${n.attrs.transB}) has K=${kb}`);
  checkInt32Bias(c, 2, cols, 'output column');
  checkRequantAttrs(bad(c), n.attrs, cols, 'output column');
  return [vt('int8', [m, cols])];
}

/** QAdd broadcasts like Add. */
export function inferQAdd(n: NodeOf<'QAdd'>, c: InferCtx): ValueType[] {
  const a = c.input(0, 'A'), b = c.input(1, 'B');
  c.dtype(a, 0, 'A', INT8);
  c.dtype(b, 1, 'B', INT8);
  checkQAddAttrs(bad(c), n.attrs);
  return [vt('int8', broadcastShapes(c, [a.shape, b.shape]))];
}

export function inferQAveragePool(n: NodeOf<'QAveragePool'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', INT8);
  checkIntAttr(bad(c), 'count_include_pad', n.attrs.count_include_pad, 0, 1);
  checkIntAttr(bad(c), 'zeroPoint', n.attrs.zeroPoint, INT8_MIN, INT8_MAX);
  return [vt('int8', poolShape(c, n.attrs))];
}

export function inferQGlobalAveragePool(n: NodeOf<'QGlobalAveragePool'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', INT8);
  checkIntAttr(bad(c), 'zeroPoint', n.attrs.zeroPoint, INT8_MIN, INT8_MAX);
  return [vt('int8', globalPoolShape(c))];
}

/** Requantize: int8 codes to int8 codes of the same shape, per tensor or per channel along axis 1. */
export function inferRequantize(n: NodeOf<'Requantize'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x');
  c.dtype(x, 0, 'x', INT8);
  if (n.attrs.multiplier.length !== 1 && x.shape.length < 2) c.fail(`per-channel multipliers (${n.attrs.multiplier.length}) need an input of rank >= 2 (channels on axis 1), got shape ${shapeStr(x.shape)}`);
  checkRequantAttrs(bad(c), n.attrs, x.shape.length >= 2 ? x.shape[1]! : 1, 'channel (axis 1)');
  checkIntAttr(bad(c), 'inZeroPoint', n.attrs.inZeroPoint, INT8_MIN, INT8_MAX);
  return [vt('int8', x.shape)];
}

/** Quantize: float32 -> int8 codes. */
export function inferQuantize(n: NodeOf<'Quantize'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x');
  c.dtype(x, 0, 'x', ['float32']);
  checkQuantizeAttrs(bad(c), n.attrs);
  return [vt('int8', x.shape)];
}

/** Dequantize: int8 codes, or int32 accumulators, -> float32. */
export function inferDequantize(n: NodeOf<'Dequantize'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'x');
  c.dtype(x, 0, 'x', ['int8', 'int32']);
  checkDequantizeAttrs(bad(c), n.attrs, x.dtype);
  return [vt('float32', x.shape)];
}

/** ONNX Round (QAT exports): float in, same float type out. */
export function inferRound(_: NodeOf<'Round'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'X');
  c.dtype(x, 0, 'X', ['float32', 'float64']);
  return [vt(x.dtype, x.shape)];
}
