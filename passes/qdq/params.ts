import type { DType } from '../../ir/dtype.js';
import { unsupported } from '../../ir/errors.js';
import type { Graph, QuantParams, ValueType } from '../../ir/graph.js';
import type { NodeOf } from '../../ir/ops.js';
import { numel, type Tensor } from '../../ir/tensor.js';
import { constantValue } from './constants.js';

// ONNX's (scale, zero point, axis) operands as tilec QuantParams. tilec stores every code as int8: a uint8
// code q is held as q − 128 and its zero point z as z − 128, which leaves scale·(q − z) — the real value —
// unchanged, so the mapping is exact.

/** Code dtypes the importers accept (8-bit activations and weights). */
export const CODE_DTYPES: readonly DType[] = ['int8', 'uint8'];

/** What a uint8 code or zero point becomes in int8 storage. */
export const UINT8_TO_INT8 = -128;

export const toInt8Storage = (v: number, codeDtype: DType): number => (codeDtype === 'uint8' ? v + UINT8_TO_INT8 : v);

/** The operands of a QuantizeLinear / DequantizeLinear (or a QLinear op's pair) as constants. */
export interface LinearQuantOperands {
  readonly scale: Tensor;
  readonly zeroPoint?: Tensor;
  /** The node's axis attribute (meaningful only when the scale has more than one element). */
  readonly axis: number;
}

export function quantOperands(g: Graph, n: NodeOf<'QuantizeLinear' | 'DequantizeLinear'>): LinearQuantOperands | undefined {
  const scale = constantValue(g, n.inputs[1]!);
  const zpName = n.inputs[2] ?? '';
  const zeroPoint = zpName === '' ? undefined : constantValue(g, zpName);
  if (!scale || (zpName !== '' && !zeroPoint)) return undefined;
  return { scale, zeroPoint, axis: n.attrs.axis };
}

/**
 * tilec QuantParams of codes of `codeDtype` (int8 or uint8) quantizing a value of `shape`: per tensor for a
 * one-element scale, else per axis with the axis made non-negative. bits is 8; zero points in int8 storage.
 */
export function quantParamsOf(ops: LinearQuantOperands, codeDtype: DType, shape: readonly number[], bits = 8): QuantParams {
  const n = numel(ops.scale.shape);
  const scale = Array.from(ops.scale.data);
  const zeroPoint = scale.map((_, i) => toInt8Storage(ops.zeroPoint ? ops.zeroPoint.data[n === 1 ? 0 : i]! : 0, codeDtype));
  if (n === 1) return { scale, zeroPoint, bits };
  const axis = ops.axis < 0 ? ops.axis + shape.length : ops.axis;
  return { scale, zeroPoint, axis, bits };
}

export function sameQuant(a: QuantParams, b: QuantParams): boolean {
  const eq = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  return a.bits === b.bits && a.axis === b.axis && eq(a.scale, b.scale) && eq(a.zeroPoint, b.zeroPoint);
}

/** One line for messages: `scale 0.1 zero point -128` or `scale [..] zero point [..] along axis 0`. */
export function describeQuant(q: QuantParams): string {
  const list = (v: readonly number[]): string => (v.length === 1 ? String(v[0]) : `[${v.slice(0, 4).join(', ')}${v.length > 4 ? `, ... (${v.length})` : ''}]`);
  return `scale ${list(q.scale)} zero point ${list(q.zeroPoint)}${q.axis === undefined ? '' : ` along axis ${q.axis}`} (${q.bits} bits, int8 storage)`;
}

/** Element i of a row-major tensor of `shape` belongs to channel floor(i / inner) % channels along `axis`. */
export function channelIndexer(shape: readonly number[], q: QuantParams): (i: number) => number {
  if (q.axis === undefined || q.scale.length === 1) return () => 0;
  const channels = shape[q.axis]!;
  const inner = numel(shape.slice(q.axis + 1));
  return (i) => Math.floor(i / inner) % channels;
}


/** `t` with `quant` added; a value already quantized differently is a conflict in the model (`who` names the node). */
export function withQuant(name: string, t: ValueType, quant: QuantParams, who: string): ValueType {
  if (t.quant && !sameQuant(t.quant, quant)) {
    unsupported(`${who}: '${name}' is quantized twice with different parameters (${describeQuant(t.quant)} and ${describeQuant(quant)}); tilec holds one int8 version of each tensor`);
  }
  return { ...t, quant };
}
