import { qRange } from './arith.js';
import { fail } from './errors.js';
import type { Graph, QuantParams, ValueType } from './graph.js';
import type { Node, NodeOf, RequantAttrs } from './ops.js';
import { shapeStr } from './tensor.js';

// Stage-independent checks of the realized int8 graph, whose conventions are written in the doc comments
// of the integer ops (ir/ops.ts) and docs/arithmetic.md sections 6-11: tilec's integer ops read and write int8
// codes that carry their quant params, weights are symmetric int8 initializers, biases int32 initializers at
// bits 32, and the attributes of each op agree with the quant params of the values it connects (zero points,
// clamp range, Quantize/Dequantize scales). Int8 movement ops (MaxPool, Reshape, Concat...) keep their input's
// quant params unchanged. Run after the per-value checks, so every quant seen here is already well formed.

type Who = string;

/** Ops that move int8 codes without arithmetic: their output has exactly their input's quant params. */
const MOVEMENT = new Set<string>(['MaxPool', 'GlobalMaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Pad', 'Concat']);

const quantStr = (q: QuantParams): string =>
  `{${q.axis !== undefined ? `axis=${q.axis}, ` : ''}bits=${q.bits}, scale=[${q.scale.join(',')}], zeroPoint=[${q.zeroPoint.join(',')}]}`;

export const sameQuant = (a: QuantParams | undefined, b: QuantParams | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.bits === b.bits && a.axis === b.axis
    && a.scale.length === b.scale.length && a.scale.every((s, i) => s === b.scale[i])
    && a.zeroPoint.length === b.zeroPoint.length && a.zeroPoint.every((z, i) => z === b.zeroPoint[i]));

/**
 * Weight arrays already checked to lie within a code range. The verifier runs after every pass and weights pass
 * through unchanged (IR tensors are never mutated in place), so each array is scanned once, not once per pass.
 */
const verifiedWithin = new WeakMap<object, readonly [number, number]>();

/** True when every element of `data` is known to be in [lo, hi] without reading it again. */
function knownWithin(data: ArrayLike<number>, lo: number, hi: number): boolean {
  if (data instanceof Int8Array && lo <= -128 && hi >= 127) return true; // the array cannot hold anything else
  const r = verifiedWithin.get(data);
  return r !== undefined && r[0] >= lo && r[1] <= hi;
}

class RealizedChecker {
  constructor(private readonly g: Graph, private readonly node: Node, private readonly label: string) {}

  fail(message: string): never { return fail(`graph '${this.g.name}': ${this.label} ${message}`); }

  private type(name: string): ValueType { return this.g.values.get(name)!; }

  /** Input i or output k as `input 1 (w) 'W'`. */
  private port(kind: 'input' | 'output', i: number, role: string): Who {
    const name = kind === 'input' ? this.node.inputs[i]! : this.node.outputs[i]!;
    return `${kind} ${i} (${role}) '${name}'`;
  }

  /**
   * An int8 activation: per-tensor quant, bits 2..8, zero point within the B-bit signed code range.
   * Returns its quant.
   */
  activation(kind: 'input' | 'output', i: number, role: string): QuantParams {
    const name = kind === 'input' ? this.node.inputs[i]! : this.node.outputs[i]!;
    const who = this.port(kind, i, role), t = this.type(name);
    if (t.dtype !== 'int8') this.fail(`${who} is ${t.dtype}, expected int8 codes`);
    const q = t.quant;
    if (!q) this.fail(`${who} (int8${shapeStr(t.shape)}) carries no quant params; every int8 code value of the realized graph needs scale, zero point and bits`);
    if (q.bits > 8) this.fail(`${who} has quant bits ${q.bits}; int8 codes hold 2..8 bits`);
    if (q.scale.length !== 1) this.fail(`${who} has ${q.scale.length} scales; activations are quantized per tensor`);
    const [lo, hi] = qRange(q.bits, true);
    if (q.zeroPoint[0]! < lo || q.zeroPoint[0]! > hi) this.fail(`${who} has zero point ${q.zeroPoint[0]}, outside the ${q.bits}-bit code range [${lo}, ${hi}]`);
    return q;
  }

  /** A symmetric int8 weight initializer, per tensor or per output channel along `axis` (extent `channels`). */
  weight(i: number, axis: number, channels: number): QuantParams {
    const name = this.node.inputs[i]!, who = this.port('input', i, 'w');
    const t = this.type(name), data = this.g.initializers.get(name);
    if (!data) this.fail(`${who} must be an initializer (a constant int8 weight)`);
    if (t.dtype !== 'int8') this.fail(`${who} is ${t.dtype}, expected int8`);
    const q = t.quant;
    if (!q) this.fail(`${who} (int8${shapeStr(t.shape)}) carries no quant params`);
    if (q.bits > 8) this.fail(`${who} has quant bits ${q.bits}; int8 weights hold 2..8 bits`);
    if (q.zeroPoint.some((z) => z !== 0)) this.fail(`${who} has zero points [${q.zeroPoint.join(',')}]; weights are symmetric (zero point 0)`);
    if (q.scale.length !== 1 && (q.axis !== axis || q.scale.length !== channels)) {
      this.fail(`${who} has ${q.scale.length} scales along axis ${q.axis}; per-channel weight scales must be ${channels} along axis ${axis} (the output channels)`);
    }
    const [lo, hi] = qRange(q.bits, true);
    if (!knownWithin(data.data, lo, hi)) {
      for (let k = 0; k < data.data.length; k++) {
        const v = data.data[k]!;
        if (v < lo || v > hi) this.fail(`${who} element ${k} = ${v} is outside the ${q.bits}-bit code range [${lo}, ${hi}] its quant params declare`);
      }
      verifiedWithin.set(data.data, [lo, hi]);
    }
    return q;
  }

  /** An optional int32 bias initializer: bits 32, zero point 0, scales per tensor or per channel (axis 0). */
  bias(i: number, channels: number): void {
    const name = this.node.inputs[i] ?? '';
    if (name === '') return;
    const who = this.port('input', i, 'bias'), t = this.type(name);
    if (!this.g.initializers.has(name)) this.fail(`${who} must be an initializer (a constant int32 bias)`);
    const q = t.quant;
    if (!q) this.fail(`${who} (${t.dtype}${shapeStr(t.shape)}) carries no quant params (scale s_x·s_w, zero point 0, bits 32)`);
    if (q.bits !== 32) this.fail(`${who} has quant bits ${q.bits}; int32 biases have bits 32`);
    if (q.zeroPoint.some((z) => z !== 0)) this.fail(`${who} has zero points [${q.zeroPoint.join(',')}]; biases have zero point 0`);
    if (q.scale.length !== 1 && q.scale.length !== channels) this.fail(`${who} has ${q.scale.length} scales, expected 1 or ${channels} (one per output channel)`);
  }

  /** The requant attributes agree with the output: same zero point, clamp inside its code range. */
  requantOutput(a: Pick<RequantAttrs, 'zeroPoint' | 'qmin' | 'qmax'>, out: QuantParams): void {
    const who = this.port('output', 0, 'y');
    if (a.zeroPoint !== out.zeroPoint[0]) this.fail(`attribute zeroPoint ${a.zeroPoint} differs from the zero point ${out.zeroPoint[0]} of ${who}`);
    const [lo, hi] = qRange(out.bits, true);
    if (a.qmin < lo || a.qmax > hi) this.fail(`clamp [${a.qmin}, ${a.qmax}] leaves the ${out.bits}-bit code range [${lo}, ${hi}] of ${who}`);
  }

  /** An attribute that must equal a value's zero point. */
  zeroPointIs(attr: string, v: number, q: QuantParams, who: Who): void {
    if (v !== q.zeroPoint[0]) this.fail(`attribute ${attr} ${v} differs from the zero point ${q.zeroPoint[0]} of ${who}`);
  }

  /** An int8 movement op: every quantized data input and the output share one set of quant params. */
  movement(): void {
    const out = this.node.outputs[0] ?? '';
    if (out === '' || this.type(out).dtype !== 'int8') return;
    const dataInputs = this.node.op === 'Concat' ? this.node.inputs.map((_, i) => i) : [0];
    const qOut = this.type(out).quant;
    for (const i of dataInputs) {
      const name = this.node.inputs[i] ?? '';
      if (name === '') continue;
      const qIn = this.type(name).quant;
      if (!qIn && !qOut) continue;
      if (!sameQuant(qIn, qOut)) {
        this.fail(`moves int8 codes, so output 0 '${out}' must carry the quant params of input ${i} '${name}': `
          + `input has ${qIn ? quantStr(qIn) : 'none'}, output has ${qOut ? quantStr(qOut) : 'none'}${this.node.op === 'Concat' ? ' (Requantize the inputs to one scale first)' : ''}`);
      }
    }
    if (this.node.op === 'Pad' && qOut) this.padValue(this.node as NodeOf<'Pad'>, qOut);
  }

  /** A constant Pad of int8 codes pads with the zero point (real 0). */
  private padValue(n: NodeOf<'Pad'>, q: QuantParams): void {
    if (n.attrs.mode !== 'constant') return;
    const valueName = n.inputs[2] ?? '';
    let v: number | undefined;
    if (valueName !== '') v = this.g.initializers.get(valueName)?.data[0];
    else v = n.attrs.value ?? 0;
    if (v !== undefined && v !== q.zeroPoint[0]) this.fail(`pads int8 codes with ${v}, but the zero point (the code of real 0) is ${q.zeroPoint[0]}`);
  }
}

/** Throws a TilecError naming the node and value when a tilec integer op or int8 movement op breaks the realized-graph conventions. */
export function checkRealizedQuant(g: Graph, node: Node, label: string): void {
  const c = new RealizedChecker(g, node, label);
  switch (node.op) {
    case 'QConv': {
      const x = c.activation('input', 0, 'x');
      const m = g.values.get(node.inputs[1]!)!.shape[0]!;
      c.weight(1, 0, m);
      c.bias(2, m);
      c.zeroPointIs('padValue', node.attrs.padValue, x, `input 0 (x) '${node.inputs[0]}'`);
      c.requantOutput(node.attrs, c.activation('output', 0, 'y'));
      return;
    }
    case 'QGemm': {
      c.activation('input', 0, 'a');
      const b = g.values.get(node.inputs[1]!)!.shape;
      const axis = node.attrs.transB ? 0 : 1;
      c.weight(1, axis, b[axis]!);
      c.bias(2, b[axis]!);
      c.requantOutput(node.attrs, c.activation('output', 0, 'y'));
      return;
    }
    case 'QAdd': {
      c.zeroPointIs('aZeroPoint', node.attrs.aZeroPoint, c.activation('input', 0, 'A'), `input 0 (A) '${node.inputs[0]}'`);
      c.zeroPointIs('bZeroPoint', node.attrs.bZeroPoint, c.activation('input', 1, 'B'), `input 1 (B) '${node.inputs[1]}'`);
      c.requantOutput(node.attrs, c.activation('output', 0, 'y'));
      return;
    }
    case 'QAveragePool':
    case 'QGlobalAveragePool': {
      const x = c.activation('input', 0, 'X'), y = c.activation('output', 0, 'Y');
      c.zeroPointIs('zeroPoint', node.attrs.zeroPoint, x, `input 0 (X) '${node.inputs[0]}'`);
      if (!sameQuant(x, y)) c.fail(`averages codes, so output 0 '${node.outputs[0]}' must carry the quant params of input 0 '${node.inputs[0]}': input has ${quantStr(x)}, output has ${quantStr(y)}`);
      return;
    }
    case 'Requantize': {
      c.zeroPointIs('inZeroPoint', node.attrs.inZeroPoint, c.activation('input', 0, 'x'), `input 0 (x) '${node.inputs[0]}'`);
      c.requantOutput(node.attrs, c.activation('output', 0, 'y'));
      return;
    }
    case 'Quantize': {
      const y = c.activation('output', 0, 'y');
      if (node.attrs.scale !== y.scale[0]) c.fail(`attribute scale ${node.attrs.scale} differs from the scale ${y.scale[0]} of output 0 (y) '${node.outputs[0]}'`);
      c.requantOutput(node.attrs, y);
      return;
    }
    case 'Dequantize': {
      const name = node.inputs[0]!, t = g.values.get(name)!;
      const who = `input 0 (x) '${name}'`;
      const q = t.dtype === 'int8' ? c.activation('input', 0, 'x') : t.quant;
      if (!q) return c.fail(`${who} (${t.dtype}${shapeStr(t.shape)}) carries no quant params`);
      if (q.scale.length !== 1) c.fail(`${who} has ${q.scale.length} scales; Dequantize reads per-tensor codes`);
      if (node.attrs.scale !== q.scale[0]) c.fail(`attribute scale ${node.attrs.scale} differs from the scale ${q.scale[0]} of ${who}`);
      c.zeroPointIs('zeroPoint', node.attrs.zeroPoint, q, who);
      return;
    }
    default:
      if (MOVEMENT.has(node.op)) c.movement();
  }
}
