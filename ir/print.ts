import { invariant } from './errors.js';
import type { Graph, QuantParams, ValueType } from './graph.js';
import type { Node } from './ops.js';
import { type Tensor, sameShape } from './tensor.js';
import { formatNumber, printsAsList, quoteName, tensorBytes } from './text/syntax.js';

// The one textual form of the IR (grammar: docs/ir.md). Deterministic, exact (parseGraph reads it
// back to an equal graph, bit for bit) and total: it prints broken graphs too, since those are the
// ones that end up in bug reports.

export interface PrintOptions {
  /**
   * Tensors with more elements than this print as `...` instead of their data, to keep IR dumps of
   * big models readable. Such text cannot be parsed back. Default: every tensor is printed exactly.
   */
  readonly elideTensorsAbove?: number;
}

const value = (name: string): string => `%${quoteName(name)}`;

function quantString(q: QuantParams): string {
  const list = (xs: readonly number[]): string => `[${xs.map(formatNumber).join(',')}]`;
  const parts = [
    ...(q.axis !== undefined ? [`axis=${formatNumber(q.axis)}`] : []),
    `bits=${formatNumber(q.bits)}`, `scale=${list(q.scale)}`, `zeroPoint=${list(q.zeroPoint)}`,
  ];
  return `quant{${parts.join(', ')}}`;
}

/** `float32[1,8,28,28]`, with ` quant{...}` when the value carries quantization parameters. */
export function printType(t: ValueType): string {
  const base = `${t.dtype}[${t.shape.map(formatNumber).join(',')}]`;
  return t.quant ? `${base} ${quantString(t.quant)}` : base;
}

function payload(t: Tensor, o: PrintOptions): string {
  if (o.elideTensorsAbove !== undefined && t.data.length > o.elideTensorsAbove) return '...';
  if (printsAsList(t)) return `[${Array.from(t.data, formatNumber).join(',')}]`;
  return `base64"${Buffer.from(tensorBytes(t)).toString('base64')}"`;
}

/** A tensor with its type: `int64[2] [1,-1]`. */
export const printTensor = (t: Tensor, o: PrintOptions = {}): string => `${printType({ dtype: t.dtype, shape: t.shape })} ${payload(t, o)}`;

const isTensor = (v: unknown): v is Tensor => typeof v === 'object' && v !== null && 'dtype' in v && 'data' in v;

function attrValue(v: unknown, o: PrintOptions): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x: unknown) => { invariant(typeof x === 'number', `list attribute holds a ${typeof x}`); return formatNumber(x); }).join(',')}]`;
  invariant(isTensor(v), `attribute value of unknown kind: ${String(v)}`);
  return printTensor(v, o);
}

function attrsString(node: Node, o: PrintOptions): string {
  const entries = Object.entries(node.attrs as Readonly<Record<string, unknown>>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '';
  return ` {${entries.map(([k, v]) => `${k}=${attrValue(v, o)}`).join(', ')}}`;
}

/** `%y: float32[2]`, or `%y` alone when the value has no type (only in broken graphs). */
function decl(g: Graph, name: string): string {
  const t = g.values.get(name);
  return t ? `${value(name)}: ${printType(t)}` : value(name);
}

function nodeLine(g: Graph, node: Node, o: PrintOptions): string {
  const outs = node.outputs.map((n) => (n === '' ? '_' : decl(g, n))).join(', ');
  const ins = node.inputs.map((n) => (n === '' ? '_' : value(n))).join(', ');
  return `${outs} = ${node.op} @${quoteName(node.name)} (${ins})${attrsString(node, o)}`;
}

function initLine(g: Graph, name: string, t: Tensor, o: PrintOptions): string {
  const declared = g.values.get(name);
  // The data takes the declared type unless the graph is inconsistent, when it states its own.
  const implicit = declared !== undefined && declared.dtype === t.dtype && sameShape(declared.shape, t.shape);
  return `init ${decl(g, name)} = ${implicit ? payload(t, o) : printTensor(t, o)}`;
}

export function printGraph(g: Graph, options: PrintOptions = {}): string {
  const opsets = [...g.opsets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([d, v]) => `${JSON.stringify(d)}=${formatNumber(v)}`).join(', ');
  const lines = [`graph ${JSON.stringify(g.name)} opset(${opsets}) {`];
  const defined = new Set<string>([...g.inputs, ...g.initializers.keys()]);
  for (const n of g.nodes) for (const out of n.outputs) if (out !== '') defined.add(out);

  for (const name of g.inputs) lines.push(`  input ${decl(g, name)}`);
  for (const [name, t] of g.initializers) lines.push(`  ${initLine(g, name, t, options)}`);
  for (const name of g.values.keys()) if (!defined.has(name)) lines.push(`  value ${decl(g, name)}`);
  for (const node of g.nodes) lines.push(`  ${nodeLine(g, node, options)}`);
  for (const name of g.outputs) lines.push(`  output ${value(name)}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
