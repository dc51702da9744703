import { type DType, intRange, isInteger } from './dtype.js';
import { fail } from './errors.js';
import type { Graph, QuantParams, ValueType } from './graph.js';
import { NeedsConstantError, inferNode, nodeLabel } from './infer.js';
import { isOpName } from './ops.js';
import { numel, sameShape, shapeStr } from './tensor.js';
import { checkRealizedQuant } from './verify-quant.js';

// The IR's structural invariants, checked after import and after every pass. Each failure names the
// graph, the node and the value at fault.

/** `float32[1,8,28,28]`: how errors and the printer show a type. */
export const typeString = (t: { dtype: DType; shape: readonly number[] }): string => `${t.dtype}${shapeStr(t.shape)}`;

const BITS_OF: Partial<Record<DType, number>> = { int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, int64: 64 };

/**
 * Throws a TilecError on the first defect: SSA violations (a value defined twice or used before it
 * is defined), duplicate node names, untyped values, initializers that disagree with their types,
 * undefined graph outputs, recorded types that inference contradicts, malformed quant params, and
 * int8 values of tilec's integer ops without quant params or with params their attributes contradict
 * (ir/verify-quant.ts).
 */
export function verifyGraph(g: Graph): void {
  const where = `graph '${g.name}'`;
  for (const [domain, version] of g.opsets) {
    if (!(Number.isInteger(version) && version >= 1)) fail(`${where}: opset version ${version} for domain '${domain}' must be a positive integer`);
  }

  // Where each value is defined, for "defined twice" messages.
  const definedBy = new Map<string, string>();
  const define = (name: string, by: string): void => {
    if (name === '') fail(`${where}: ${by} defines a value with an empty name`);
    const prev = definedBy.get(name);
    if (prev !== undefined) fail(`${where}: value '${name}' is defined twice (by ${prev} and by ${by})`);
    if (!g.values.has(name)) fail(`${where}: value '${name}' (defined by ${by}) has no type`);
    definedBy.set(name, by);
  };

  for (const name of g.inputs) define(name, 'a graph input');
  for (const [name, t] of g.initializers) {
    define(name, 'an initializer');
    const vt = g.values.get(name)!;
    if (vt.dtype !== t.dtype || !sameShape(vt.shape, t.shape)) fail(`${where}: initializer '${name}' holds ${typeString(t)} but its value type says ${typeString(vt)}`);
    if (t.data.length !== numel(t.shape)) fail(`${where}: initializer '${name}' has ${t.data.length} elements but shape ${shapeStr(t.shape)} needs ${numel(t.shape)}`);
  }

  const nodeNames = new Set<string>();
  for (const node of g.nodes) {
    const label = nodeLabel(node);
    if (!isOpName(node.op)) fail(`${where}: node '${node.name}' has unknown op '${String(node.op)}'`);
    if (node.name === '') fail(`${where}: a ${node.op} node has an empty name`);
    if (nodeNames.has(node.name)) fail(`${where}: node name '${node.name}' is used twice (second: ${label})`);
    nodeNames.add(node.name);
    node.inputs.forEach((name, i) => {
      if (name !== '' && !definedBy.has(name)) {
        const later = g.nodes.some((n) => n.outputs.includes(name));
        fail(`${where}: ${label} input ${i} '${name}' ${later ? 'is used before the node that defines it (nodes are not in topological order)' : 'is never defined'}`);
      }
    });
    node.outputs.forEach((name, k) => { if (name !== '') define(name, `${label} output ${k}`); });
    checkInference(g, node, label);
  }

  g.outputs.forEach((name, k) => {
    if (!definedBy.has(name)) fail(`${where}: graph output ${k} '${name}' is never defined`);
  });
  for (const [name, t] of g.values) {
    if (!definedBy.has(name)) fail(`${where}: value '${name}' has a type but nothing defines it`);
    if (t.shape.some((d) => !(Number.isInteger(d) && d >= 0))) fail(`${where}: value '${name}' has an invalid shape ${shapeStr(t.shape)}`);
    if (t.quant) checkQuant(`${where}: value '${name}' (${typeString(t)})`, t, t.quant);
  }
  // Needs every node's values defined and every quant well formed, hence a second walk.
  for (const node of g.nodes) checkRealizedQuant(g, node, nodeLabel(node));
}

/** Recomputes a node's output types (constants: initializers only) and compares dtype and shape. */
function checkInference(g: Graph, node: Graph['nodes'][number], label: string): void {
  const inputs = node.inputs.map((n) => (n === '' ? undefined : g.values.get(n)));
  let inferred: ValueType[];
  try {
    inferred = inferNode(node, inputs, (i) => g.initializers.get(node.inputs[i] ?? ''));
  } catch (e) {
    // The recorded type came from constants that were folded away since; nothing to compare.
    if (e instanceof NeedsConstantError) return;
    throw e;
  }
  node.outputs.forEach((name, k) => {
    if (name === '') return;
    const rec = g.values.get(name)!, inf = inferred[k]!;
    if (rec.dtype !== inf.dtype || !sameShape(rec.shape, inf.shape)) {
      fail(`graph '${g.name}': ${label} output ${k} '${name}' is recorded as ${typeString(rec)} but inference gives ${typeString(inf)}`);
    }
  });
}

/** Range a zero point may take: the dtype's for integer values, the union of the signed and unsigned
 * `bits`-bit ranges for float values that carry (fake-)quantization parameters. */
function zeroPointRange(t: ValueType, q: QuantParams): readonly [number, number] {
  if (isInteger(t.dtype)) return intRange(t.dtype);
  return [-(2 ** (q.bits - 1)), 2 ** q.bits - 1];
}

function checkQuant(who: string, t: ValueType, q: QuantParams): void {
  const maxBits = BITS_OF[t.dtype] ?? 32;
  if (!(Number.isInteger(q.bits) && q.bits >= 2 && q.bits <= maxBits)) fail(`${who}: quant bits ${q.bits} must be an integer in [2, ${maxBits}]`);
  if (q.scale.length < 1) fail(`${who}: quant has no scale`);
  if (q.zeroPoint.length !== q.scale.length) fail(`${who}: quant has ${q.scale.length} scales but ${q.zeroPoint.length} zero points`);
  q.scale.forEach((s, i) => {
    if (!(Number.isFinite(s) && s > 0)) fail(`${who}: quant scale[${i}] = ${s} must be finite and > 0`);
  });
  const [lo, hi] = zeroPointRange(t, q);
  q.zeroPoint.forEach((z, i) => {
    if (!(Number.isInteger(z) && z >= lo && z <= hi)) fail(`${who}: quant zeroPoint[${i}] = ${z} is not an integer in [${lo}, ${hi}]`);
  });
  if (q.axis !== undefined) {
    const r = t.shape.length;
    if (!(Number.isInteger(q.axis) && q.axis >= 0 && q.axis < r)) fail(`${who}: quant axis ${q.axis} is out of range [0, ${r - 1}]`);
    const extent = t.shape[q.axis]!;
    if (q.scale.length !== 1 && q.scale.length !== extent) fail(`${who}: quant has ${q.scale.length} scales but axis ${q.axis} has extent ${extent}`);
  } else if (q.scale.length !== 1) {
    fail(`${who}: quant has ${q.scale.length} scales but no axis (per-channel parameters need one)`);
  }
}
