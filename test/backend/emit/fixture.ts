// Hand-built lowered graphs for the emitter tests, the integer reference they must match, and a runner that
// compares the tile program with it bit for bit.

import { expect } from 'vitest';
import { addRescale, quantizeMultiplier } from '../../../ir/arith.js';
import type { DType } from '../../../ir/dtype.js';
import type { Graph, QuantParams, ValueType } from '../../../ir/graph.js';
import { inferNode } from '../../../ir/infer.js';
import type { Node, NodeOf, OpAttrs, OpName, QAddAttrs, RequantAttrs } from '../../../ir/ops.js';
import { numel, tensor, type Tensor } from '../../../ir/tensor.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { emitProgram, type EmitOptions, type EmitResult } from '../../../backend/emit/index.js';
import type { Target } from '../../../backend/target.js';
import { runProgram } from '../../../runtime/tile/run-program.js';
import { rng } from '../gemm-fixture.js';

export { rng };

/** Builds a graph node by node, inferring every value's type (the lowering's own inference) and adding quant. */
export class GraphBuilder {
  private readonly values = new Map<string, ValueType>();
  private readonly initializers = new Map<string, Tensor>();
  private readonly nodes: Node[] = [];
  private readonly inputs: string[] = [];
  private count = 0;

  input(name: string, dtype: DType, shape: readonly number[]): string {
    this.values.set(name, { dtype, shape });
    this.inputs.push(name);
    return name;
  }

  init(name: string, t: Tensor, quant?: QuantParams): string {
    this.initializers.set(name, t);
    this.values.set(name, { dtype: t.dtype, shape: t.shape, ...(quant ? { quant } : {}) });
    return name;
  }

  /** Adds a node; returns its first output's name. `quant` annotates every output. */
  node<O extends OpName>(op: O, inputs: readonly string[], attrs: OpAttrs[O], opts: { outputs?: readonly string[]; quant?: QuantParams; name?: string } = {}): string {
    const name = opts.name ?? `${op.toLowerCase()}_${++this.count}`;
    const outputs = opts.outputs ?? [`${name}:out`];
    const node = { op, name, inputs, outputs, attrs } as unknown as Node;
    const types = inferNode(node, inputs.map((i) => (i === '' ? undefined : this.values.get(i))), (i) => this.initializers.get(inputs[i] ?? ''));
    outputs.forEach((o, k) => { if (o !== '') this.values.set(o, { ...types[k]!, ...(opts.quant ? { quant: opts.quant } : {}) }); });
    this.nodes.push(node);
    return outputs[0]!;
  }

  build(outputs: readonly string[], name = 'g'): Graph {
    return { name, inputs: [...this.inputs], outputs: [...outputs], nodes: [...this.nodes], values: new Map(this.values), initializers: new Map(this.initializers), opsets: new Map([['', 13]]) };
  }
}

export const q8 = (scale: number, zeroPoint = 0, bits = 8): QuantParams => ({ scale: [scale], zeroPoint: [zeroPoint], bits });

export const quantize = (scale: number, zeroPoint = 0, bits = 8): OpAttrs['Quantize'] =>
  ({ scale, zeroPoint, qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 });

/** Requant attributes for `rows` rows (or per tensor) with random multipliers, zero point and clamp. */
export function randomRequant(r: () => number, rows: number, perRow: boolean): RequantAttrs {
  const n = perRow ? rows : 1;
  const mults = Array.from({ length: n }, () => quantizeMultiplier(2 ** (-13 + r() * 10)));
  const lo = -128 + Math.floor(r() * 40), hi = 127 - Math.floor(r() * 40);
  return { multiplier: mults.map((m) => m.multiplier), shift: mults.map((m) => m.shift), zeroPoint: Math.floor(r() * 21) - 10, qmin: lo, qmax: hi };
}

export function qaddAttrs(sa: number, sb: number, so: number, za = 0, zb = 0, zo = 0): QAddAttrs {
  const p = addRescale(sa, sb, so);
  return {
    leftShift: p.leftShift, aMultiplier: p.a.multiplier, aShift: p.a.shift, aZeroPoint: za,
    bMultiplier: p.b.multiplier, bShift: p.b.shift, bZeroPoint: zb, outMultiplier: p.out.multiplier, outShift: p.out.shift,
    zeroPoint: zo, qmin: -128, qmax: 127,
  };
}

export const int8s = (r: () => number, n: number, lo = -128, hi = 127): Int8Array => Int8Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
export const int32s = (r: () => number, n: number, span: number): Int32Array => Int32Array.from({ length: n }, () => Math.floor((r() * 2 - 1) * span));

/** Seeded float32 feeds in [-1, 1) for every graph input. */
export function feedsFor(g: Graph, seed: number): Map<string, Tensor> {
  const r = rng(seed);
  return new Map(g.inputs.map((name) => {
    const t = g.values.get(name)!;
    return [name, tensor(t.dtype, t.shape, Float32Array.from({ length: numel(t.shape) }, () => r() * 2 - 1))];
  }));
}

export type GemmNode = NodeOf<'TileGemm'>;

/**
 * Emits `g`, runs it on the tile machine and on the integer reference, and expects every output equal bit for
 * bit (float32 outputs compared as bits). Also checks that the whole-program cycles the emitter reports are
 * the machine's. Returns the emission for further checks.
 */
export function expectBitExact(g: Graph, target: Target, opts: EmitOptions = {}, seed = 1): EmitResult {
  const emitted = emitProgram(g, target, opts);
  const feeds = feedsFor(g, seed);
  const want = runGraph(g, feeds, evaluateFloat);
  const got = runProgram(emitted.program, feeds, { overflow: 'fault' });
  for (const name of g.outputs) {
    const w = want.get(name)!, t = got.outputs.get(name);
    expect(t, `output ${name}`).toBeDefined();
    expect(t!.dtype).toBe(w.dtype);
    expect(t!.shape).toEqual(w.shape);
    expect(bits(t!), `output ${name}`).toEqual(bits(w));
  }
  expect(got.counters.cycles).toBe(emitted.totals.cycles);
  expect(got.counters.matmuls).toBe(emitted.totals.tile_ops);
  return emitted;
}

/** Elements as comparable integers (float32 by their bit pattern, so -0 and NaN payloads count). */
export function bits(t: Tensor): number[] {
  if (t.dtype === 'float32') return Array.from(new Int32Array(Float32Array.from(t.data).buffer));
  return Array.from(t.data);
}
