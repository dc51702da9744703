import type { Graph, QuantParams, ValueType } from './graph.js';
import type { Node } from './ops.js';
import { type Tensor, sameShape, shapeStr } from './tensor.js';

// Structural equality of graphs, for round-trip and pass tests: the first difference as a sentence,
// or undefined when the graphs are equal. Tensors compare bit for bit (NaN payloads, -0); maps compare
// by key regardless of insertion order; attributes that are undefined count as absent.

const bytesOf = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

export function tensorDiff(a: Tensor, b: Tensor): string | undefined {
  if (a.dtype !== b.dtype) return `dtype ${a.dtype} vs ${b.dtype}`;
  if (!sameShape(a.shape, b.shape)) return `shape ${shapeStr(a.shape)} vs ${shapeStr(b.shape)}`;
  if (a.data.length !== b.data.length) return `${a.data.length} vs ${b.data.length} elements`;
  // int64 lives in float64 storage, where only the integer value means anything (not the sign of 0).
  if (a.dtype === 'int64') {
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return `element ${i}: ${a.data[i]} vs ${b.data[i]}`;
    return undefined;
  }
  const [x, y] = [bytesOf(a), bytesOf(b)];
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) {
      const e = Math.floor(i / (x.length / a.data.length));
      return `element ${e} differs bitwise: ${a.data[e]} vs ${b.data[e]}`;
    }
  }
  return undefined;
}

const listDiff = (a: readonly number[], b: readonly number[]): boolean => a.length !== b.length || a.some((x, i) => !Object.is(x, b[i]));

function quantDiff(a: QuantParams | undefined, b: QuantParams | undefined): string | undefined {
  if (!a || !b) return a === b ? undefined : `quant ${a ? 'present' : 'absent'} vs ${b ? 'present' : 'absent'}`;
  if (!Object.is(a.bits, b.bits)) return `quant bits ${a.bits} vs ${b.bits}`;
  if (!Object.is(a.axis, b.axis)) return `quant axis ${a.axis} vs ${b.axis}`;
  if (listDiff(a.scale, b.scale)) return `quant scale [${a.scale.join(',')}] vs [${b.scale.join(',')}]`;
  if (listDiff(a.zeroPoint, b.zeroPoint)) return `quant zeroPoint [${a.zeroPoint.join(',')}] vs [${b.zeroPoint.join(',')}]`;
  return undefined;
}

export function valueTypeDiff(a: ValueType, b: ValueType): string | undefined {
  if (a.dtype !== b.dtype) return `dtype ${a.dtype} vs ${b.dtype}`;
  if (!sameShape(a.shape, b.shape)) return `shape ${shapeStr(a.shape)} vs ${shapeStr(b.shape)}`;
  return quantDiff(a.quant, b.quant);
}

const isTensor = (v: unknown): v is Tensor => typeof v === 'object' && v !== null && 'dtype' in v && 'data' in v;

function attrDiff(a: unknown, b: unknown): string | undefined {
  if (isTensor(a) && isTensor(b)) return tensorDiff(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return listDiff(a as number[], b as number[]) ? `[${a.join(',')}] vs [${b.join(',')}]` : undefined;
  return Object.is(a, b) ? undefined : `${String(a)} vs ${String(b)}`;
}

const namesDiff = (what: string, a: readonly string[], b: readonly string[]): string | undefined =>
  a.length === b.length && a.every((x, i) => x === b[i]) ? undefined : `${what} [${a.join(', ')}] vs [${b.join(', ')}]`;

export function nodeDiff(a: Node, b: Node): string | undefined {
  if (a.op !== b.op) return `op ${a.op} vs ${b.op}`;
  if (a.name !== b.name) return `name '${a.name}' vs '${b.name}'`;
  const io = namesDiff('inputs', a.inputs, b.inputs) ?? namesDiff('outputs', a.outputs, b.outputs);
  if (io) return io;
  const [aa, ba] = [a.attrs as Readonly<Record<string, unknown>>, b.attrs as Readonly<Record<string, unknown>>];
  const keys = new Set([...Object.keys(aa), ...Object.keys(ba)]);
  for (const k of [...keys].sort()) {
    const d = attrDiff(aa[k], ba[k]);
    if (d) return `attribute ${k}: ${d}`;
  }
  return undefined;
}

function mapDiff<V>(what: string, a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, diff: (x: V, y: V) => string | undefined): string | undefined {
  for (const k of a.keys()) if (!b.has(k)) return `${what} '${k}' only in the first graph`;
  for (const k of b.keys()) if (!a.has(k)) return `${what} '${k}' only in the second graph`;
  for (const [k, v] of a) {
    const d = diff(v, b.get(k)!);
    if (d) return `${what} '${k}': ${d}`;
  }
  return undefined;
}

/** The first structural difference between two graphs, or undefined when they are equal. */
export function graphDiff(a: Graph, b: Graph): string | undefined {
  if (a.name !== b.name) return `graph name '${a.name}' vs '${b.name}'`;
  const d = mapDiff('opset', a.opsets, b.opsets, (x, y) => (x === y ? undefined : `${x} vs ${y}`))
    ?? namesDiff('inputs', a.inputs, b.inputs)
    ?? namesDiff('outputs', a.outputs, b.outputs)
    ?? mapDiff('value', a.values, b.values, valueTypeDiff)
    ?? mapDiff('initializer', a.initializers, b.initializers, tensorDiff);
  if (d) return d;
  if (a.nodes.length !== b.nodes.length) return `${a.nodes.length} vs ${b.nodes.length} nodes`;
  for (let i = 0; i < a.nodes.length; i++) {
    const nd = nodeDiff(a.nodes[i]!, b.nodes[i]!);
    if (nd) return `node ${i} (${a.nodes[i]!.op} '${a.nodes[i]!.name}'): ${nd}`;
  }
  return undefined;
}
