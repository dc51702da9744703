import type { DType } from '../../ir/dtype.js';
import { fail, unsupported } from '../../ir/errors.js';
import { type Tensor, numel, shapeStr } from '../../ir/tensor.js';
import { who } from './kernel.js';

// Operand checks shared by ONNX's quantization kernels (QuantizeLinear, DequantizeLinear, ConvInteger,
// MatMulInteger, QLinearConv, QLinearMatMul): which scale/zero-point layouts each accepts, validated once
// with errors that name the node, the input and the shapes.

type NodeLike = { readonly op: string; readonly name: string };

/** Codes QuantizeLinear may produce and DequantizeLinear may read (besides int32 for DequantizeLinear). */
export const QUANT_CODE_DTYPES: readonly DType[] = ['uint8', 'int8', 'uint16', 'int16'];
/** Operands of the 8-bit integer ops. */
export const INT8_DTYPES: readonly DType[] = ['uint8', 'int8'];

/** The single value of a per-tensor operand (one element, e.g. shape [] or [1]). */
export function scalarOf(node: NodeLike, t: Tensor, role: string): number {
  if (t.data.length !== 1) fail(`${who(node)}: ${role} must hold one value (per tensor), got shape ${shapeStr(t.shape)}`);
  return t.data[0]!;
}

/** A per-tensor or per-output-channel operand: 1 or m values (shape [] / [1] / [m]). */
export function perChannelOf(node: NodeLike, t: Tensor, role: string, m: number): ArrayLike<number> {
  if (t.data.length === 1) return t.data;
  if (t.shape.length !== 1 || t.shape[0] !== m) fail(`${who(node)}: ${role} has shape ${shapeStr(t.shape)}, expected one value or [${m}] (one per output channel)`);
  return t.data;
}

/** A scale or zero point must pair with its partner: the same number of values. */
export function samePairing(node: NodeLike, scale: Tensor, zp: Tensor | undefined, scaleRole: string, zpRole: string): void {
  if (zp && zp.data.length !== scale.data.length) {
    fail(`${who(node)}: ${zpRole} has shape ${shapeStr(zp.shape)} but ${scaleRole} has shape ${shapeStr(scale.shape)}; they must have the same shape`);
  }
}

/** Every scale of a quantizing division must be a finite non-zero number (ONNX leaves the rest undefined). */
export function checkDivisorScales(node: NodeLike, s: Tensor, role: string): void {
  for (let i = 0; i < s.data.length; i++) {
    const v = s.data[i]!;
    if (!Number.isFinite(v) || v === 0) fail(`${who(node)}: ${role}[${i}] is ${v}; a scale must be finite and non-zero`);
  }
}

/**
 * Element i of a row-major tensor of `shape` belongs to channel floor(i / inner) % channels of `axis`.
 * Per tensor: channels = inner = 1. Per axis: the scale is 1-D with shape[axis] values.
 */
export interface AxisLayout {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

/** QuantizeLinear/DequantizeLinear granularity: per tensor (one scale) or per axis (1-D scale along `axis`). */
export function axisLayout(node: NodeLike, shape: readonly number[], scale: Tensor, axisAttr: number, scaleRole: string): AxisLayout {
  const n = numel(shape);
  if (scale.data.length === 1 && scale.shape.length <= 1) return { outer: n, channels: 1, inner: 1 };
  if (scale.shape.length !== 1) unsupported(`${who(node)}: ${scaleRole} has shape ${shapeStr(scale.shape)}; blocked quantization (a scale of rank > 1) is not supported, only per tensor or per axis`);
  const r = shape.length;
  if (!(axisAttr >= -r && axisAttr < r)) fail(`${who(node)}: axis ${axisAttr} is out of range for an input of rank ${r} (shape ${shapeStr(shape)})`);
  const axis = axisAttr < 0 ? axisAttr + r : axisAttr;
  const channels = shape[axis]!;
  if (scale.shape[0] !== channels) fail(`${who(node)}: ${scaleRole} has ${scale.shape[0]} values but the input has ${channels} along axis ${axis} (shape ${shapeStr(shape)})`);
  const inner = numel(shape.slice(axis + 1));
  return { outer: n / Math.max(1, channels * inner), channels, inner };
}

/**
 * A matmul operand's per-row (A) or per-column (B) parameter: one value; a 1-D vector of M (rows of A) or
 * N (columns of B); or the operand's shape with the reduced dimension set to 1 ([..., M, 1] for A,
 * [..., 1, N] for B), i.e. one value per row/column of each matrix. Returns the values in the layout
 * matmul-core's offsets use: 1, M/N, or (matrices of the operand) * M/N values.
 */
export function matParamOf(node: NodeLike, t: Tensor, role: string, operand: readonly number[], side: 'row' | 'column'): ArrayLike<number> {
  if (t.data.length === 1) return t.data;
  const r = operand.length;
  const count = side === 'row' ? (r === 1 ? 1 : operand[r - 2]!) : (r === 1 ? 1 : operand[r - 1]!);
  if (t.shape.length === 1 && t.shape[0] === count) return t.data;
  if (r >= 2 && t.shape.length === r) {
    const expected = side === 'row' ? [...operand.slice(0, -1), 1] : [...operand.slice(0, -2), 1, operand[r - 1]!];
    if (t.shape.every((d, i) => d === expected[i])) return t.data;
  }
  const forms = side === 'row' ? `[${count}] or ${shapeStr([...operand.slice(0, -1), 1])} (per row)` : `[${count}] or ${shapeStr([...operand.slice(0, -2), 1, operand[r - 1]!])} (per column)`;
  return fail(`${who(node)}: ${role} has shape ${shapeStr(t.shape)}; expected one value (per tensor), ${forms} for an operand of shape ${shapeStr(operand)}`);
}
