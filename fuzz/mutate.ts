import onnxProto from 'onnx-proto';
import { OP_NAMES, TILEC_OPS } from '../ir/ops.js';
import type { Rng } from './rng.js';

// Mutations of valid ONNX models. Structural ones edit the decoded ModelProto (attribute values and types,
// dims, dtypes, edges between nodes, op types, initializer data, opsets) so the result still decodes and
// reaches the importer's checks and the stages behind them; byte-level ones (bit flips, truncation,
// insertion, deletion) corrupt the encoding itself. Every choice comes from the case's Rng, so a case is
// reproducible from (seed, index).

const { onnx } = onnxProto;
type Model = onnxProto.onnx.ModelProto;
type Graph = onnxProto.onnx.IGraphProto;
type Long = { toNumber(): number };

/** A mutation edits `m` in place and says what it did, or returns undefined when it does not apply. */
type Mutation = (m: Model, r: Rng) => string | undefined;

const SMALL_INTS = [-1, 0, 1, 2, 3, 4, 5, 8];
const EDGE_INTS = [-(2 ** 53), -(2 ** 31), -1000, -2, 7, 16, 100, 1000, 2 ** 16, 2 ** 20, 2 ** 31 - 1, 2 ** 40];
const FLOATS = [NaN, Infinity, -Infinity, 0, -0, -1, 1, 0.5, 2, 1e-30, 1e30, 3.4e38, -3.4e38, 1e-45, 255];
const STRINGS = ['', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID', 'constant', 'reflect', 'edge', 'garbage', 'same_upper'];
const ATTR_NAMES = [
  'axis', 'axes', 'group', 'pads', 'strides', 'dilations', 'kernel_shape', 'auto_pad', 'ceil_mode', 'count_include_pad',
  'transA', 'transB', 'alpha', 'beta', 'epsilon', 'perm', 'keepdims', 'mode', 'value', 'storage_order', 'allowzero',
  'min', 'max', 'size', 'bias', 'training_mode', 'start', 'end', 'bogus',
];
/** ONNX ops tilec implements, plus some it does not and some that are not ops at all. */
const OP_TYPES = [...OP_NAMES.filter((o) => !TILEC_OPS.has(o)), 'Tanh', 'Resize', 'LSTM', 'NotAnOp', '', 'QConv', 'TileGemm'];
/** ONNX element type codes: the supported ones, float16/bfloat16, float8s, strings, unknown. */
const DTYPE_CODES = [0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 19, 999];
const OPSETS = [1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 19, 22, 25, 26, 1000];

const num = (v: number | Long | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());
const anInt = (r: Rng): number => (r.chance(0.75) ? r.pick(SMALL_INTS) : r.pick(EDGE_INTS));
const graphOf = (m: Model): Graph => m.graph ?? (m.graph = onnx.GraphProto.create());
const nodes = (m: Model): onnxProto.onnx.INodeProto[] => (graphOf(m).node ??= []);
const inits = (m: Model): onnxProto.onnx.ITensorProto[] => (graphOf(m).initializer ??= []);

/** Every value name the graph mentions: inputs, initializers, node outputs, plus names nothing defines. */
function valueNames(m: Model): string[] {
  const g = graphOf(m);
  const names = new Set<string>(['', 'ghost']);
  for (const v of g.input ?? []) names.add(v.name ?? '');
  for (const t of g.initializer ?? []) names.add(t.name ?? '');
  for (const n of g.node ?? []) for (const o of n.output ?? []) names.add(o);
  return [...names];
}

/** Edits one element of an int list: replace, append, remove, or empty it. */
function editInts(list: number[], r: Rng): string {
  const k = r.int(0, 9);
  if (k < 6 && list.length > 0) { const i = r.int(0, list.length - 1); list[i] = anInt(r); return `[${i}]=${list[i]}`; }
  if (k < 8) { list.push(anInt(r)); return `push ${list[list.length - 1]}`; }
  if (k < 9 && list.length > 0) { list.pop(); return 'pop'; }
  list.length = 0;
  return 'empty';
}

const attrValue: Mutation = (m, r) => {
  const withAttrs = nodes(m).filter((n) => (n.attribute?.length ?? 0) > 0);
  if (withAttrs.length === 0) return undefined;
  const node = r.pick(withAttrs);
  const a = r.pick(node.attribute!);
  const T = onnx.AttributeProto.AttributeType;
  const what = `attribute ${a.name} of ${node.name}`;
  switch (a.type) {
    case T.INT: a.i = anInt(r); return `${what} i=${a.i}`;
    case T.FLOAT: a.f = r.pick(FLOATS); return `${what} f=${a.f}`;
    case T.STRING: a.s = new TextEncoder().encode(r.pick(STRINGS)); return `${what} s='${new TextDecoder().decode(a.s)}'`;
    case T.INTS: { const list = (a.ints ?? []).map(num); const d = editInts(list, r); a.ints = list; return `${what} ints ${d}`; }
    case T.FLOATS: {
      const list = [...(a.floats ?? [])];
      if (list.length > 0 && r.chance(0.7)) list[r.int(0, list.length - 1)] = r.pick(FLOATS); else list.push(r.pick(FLOATS));
      a.floats = list;
      return `${what} floats=[${list.join(',')}]`;
    }
    case T.TENSOR: if (a.t) return `${what} tensor ${editTensor(a.t, r)}`; return undefined;
    default: return undefined;
  }
};

const attrType: Mutation = (m, r) => {
  const withAttrs = nodes(m).filter((n) => (n.attribute?.length ?? 0) > 0);
  if (withAttrs.length === 0) return undefined;
  const node = r.pick(withAttrs);
  const a = r.pick(node.attribute!);
  a.type = r.int(0, 14);
  return `attribute ${a.name} of ${node.name} type=${a.type}`;
};

const attrAdd: Mutation = (m, r) => {
  if (nodes(m).length === 0) return undefined;
  const node = r.pick(nodes(m));
  const T = onnx.AttributeProto.AttributeType;
  const name = r.pick(ATTR_NAMES);
  const a = onnx.AttributeProto.create({ name });
  const kind = r.int(0, 3);
  if (kind === 0) { a.type = T.INT; a.i = anInt(r); } else if (kind === 1) { a.type = T.FLOAT; a.f = r.pick(FLOATS); } else if (kind === 2) {
    a.type = T.INTS; a.ints = Array.from({ length: r.int(0, 8) }, () => anInt(r));
  } else { a.type = T.STRING; a.s = new TextEncoder().encode(r.pick(STRINGS)); }
  // Replace an attribute of the same name when there is one: a duplicate name is a single, dull error.
  node.attribute = [...(node.attribute ?? []).filter((x) => x.name !== name), a];
  return `attribute ${name} of ${node.name} set (kind ${kind})`;
};

const attrRemove: Mutation = (m, r) => {
  const withAttrs = nodes(m).filter((n) => (n.attribute?.length ?? 0) > 0);
  if (withAttrs.length === 0) return undefined;
  const node = r.pick(withAttrs);
  const i = r.int(0, node.attribute!.length - 1);
  const [gone] = node.attribute!.splice(i, 1);
  return `attribute ${gone!.name} of ${node.name} removed`;
};

/** Edits a tensor's dims, dtype or data; returns what it did. */
function editTensor(t: onnxProto.onnx.ITensorProto, r: Rng): string {
  const k = r.int(0, 9);
  if (k < 3) { const dims = (t.dims ?? []).map(num); const d = editInts(dims, r); t.dims = dims; return `dims ${d}`; }
  if (k < 4) { t.dataType = r.pick(DTYPE_CODES); return `dtype=${t.dataType}`; }
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const bytes = Uint8Array.from(raw); // never edit in place: raw_data is a view into the seed's buffer
    const dv = new DataView(bytes.buffer);
    if (k < 8 && t.dataType === 7 && bytes.length >= 8) {
      const i = r.int(0, bytes.length / 8 - 1);
      const v = anInt(r);
      dv.setBigInt64(8 * i, BigInt(v), true);
      t.rawData = bytes;
      return `int64 element ${i}=${v}`;
    }
    if (k < 8 && bytes.length >= 4) {
      const i = r.int(0, Math.floor(bytes.length / 4) - 1);
      const v = r.pick(FLOATS);
      dv.setFloat32(4 * i, v, true);
      t.rawData = bytes;
      return `float element ${i}=${v}`;
    }
    if (k < 9) { t.rawData = bytes.subarray(0, r.int(0, bytes.length - 1)); return `raw_data cut to ${t.rawData.length}`; }
    t.rawData = new Uint8Array(0);
    t.floatData = Array.from({ length: r.int(0, 4) }, () => r.pick(FLOATS));
    return `raw_data moved to ${t.floatData.length} float_data`;
  }
  const typed = [...(t.floatData ?? [])];
  typed.push(r.pick(FLOATS));
  t.floatData = typed;
  return `float_data push`;
}

const initTensor: Mutation = (m, r) => {
  if (inits(m).length === 0) return undefined;
  const t = r.pick(inits(m));
  return `initializer ${t.name} ${editTensor(t, r)}`;
};

const initRemoveOrRename: Mutation = (m, r) => {
  if (inits(m).length === 0) return undefined;
  const i = r.int(0, inits(m).length - 1);
  const t = inits(m)[i]!;
  if (r.chance(0.5)) { inits(m).splice(i, 1); return `initializer ${t.name} removed`; }
  const was = t.name;
  t.name = r.pick(valueNames(m));
  return `initializer ${was} renamed to '${t.name}'`;
};

/** A graph input's or output's declared type: dims, dim_param, rank or element type. */
const valueType: Mutation = (m, r) => {
  const g = graphOf(m);
  const list = r.chance(0.75) ? g.input ?? [] : g.output ?? [];
  if (list.length === 0) return undefined;
  const v = r.pick(list);
  const tt = v.type?.tensorType;
  if (!tt) return undefined;
  const k = r.int(0, 5);
  if (k === 0) { tt.elemType = r.pick(DTYPE_CODES); return `value ${v.name} elem_type=${tt.elemType}`; }
  if (k === 1) { tt.shape = null; return `value ${v.name} shape removed`; }
  const dims = (tt.shape ??= onnx.TensorShapeProto.create()).dim ??= [];
  if (k === 2 && dims.length > 0) { dims[r.int(0, dims.length - 1)] = { dimParam: r.pick(['N', 'batch', '']) }; return `value ${v.name} dim symbolic`; }
  if (k === 3) { dims.push({ dimValue: anInt(r) }); return `value ${v.name} dim pushed`; }
  if (k === 4 && dims.length > 0) { dims.pop(); return `value ${v.name} dim popped`; }
  if (dims.length === 0) return undefined;
  const i = r.int(0, dims.length - 1);
  dims[i] = { dimValue: anInt(r) };
  return `value ${v.name} dim ${i}=${num(dims[i]!.dimValue)}`;
};

const edgeInput: Mutation = (m, r) => {
  const withInputs = nodes(m).filter((n) => (n.input?.length ?? 0) > 0);
  if (withInputs.length === 0) return undefined;
  const node = r.pick(withInputs);
  const i = r.int(0, node.input!.length - 1);
  node.input![i] = r.pick(valueNames(m));
  return `${node.name} input ${i}='${node.input![i]}'`;
};

const edgeOutput: Mutation = (m, r) => {
  if (nodes(m).length === 0) return undefined;
  const node = r.pick(nodes(m));
  if ((node.output?.length ?? 0) === 0) return undefined;
  const i = r.int(0, node.output!.length - 1);
  node.output![i] = r.chance(0.3) ? `fresh_${r.int(0, 99)}` : r.pick(valueNames(m));
  return `${node.name} output ${i}='${node.output![i]}'`;
};

const edgeArity: Mutation = (m, r) => {
  if (nodes(m).length === 0) return undefined;
  const node = r.pick(nodes(m));
  const k = r.int(0, 3);
  if (k === 0 && (node.input?.length ?? 0) > 0) { node.input!.pop(); return `${node.name} last input removed`; }
  if (k === 1 && (node.output?.length ?? 0) > 0) { node.output!.push(`extra_${r.int(0, 9)}`); return `${node.name} output added`; }
  if (k === 2 && (node.input?.length ?? 0) > 1) { node.input!.reverse(); return `${node.name} inputs reversed`; }
  (node.input ??= []).push(r.pick(valueNames(m)));
  return `${node.name} input added`;
};

const opType: Mutation = (m, r) => {
  if (nodes(m).length === 0) return undefined;
  const node = r.pick(nodes(m));
  const was = node.opType;
  node.opType = r.pick(OP_TYPES);
  return `${node.name} op ${was} -> '${node.opType}'`;
};

const nodeOrder: Mutation = (m, r) => {
  const list = nodes(m);
  if (list.length === 0) return undefined;
  const i = r.int(0, list.length - 1);
  const k = r.int(0, 2);
  if (k === 0) { const [gone] = list.splice(i, 1); return `node ${gone!.name} removed`; }
  if (k === 1) {
    const copy = onnx.NodeProto.decode(onnx.NodeProto.encode(list[i]!).finish());
    list.splice(r.int(0, list.length), 0, copy);
    return `node ${copy.name} duplicated`;
  }
  const j = r.int(0, list.length - 1);
  [list[i], list[j]] = [list[j]!, list[i]!];
  return `nodes ${i} and ${j} swapped`;
};

const graphOutputs: Mutation = (m, r) => {
  const g = graphOf(m);
  const outs = (g.output ??= []);
  const k = r.int(0, 2);
  if (k === 0 && outs.length > 0) { const v = r.pick(outs); v.name = r.pick(valueNames(m)); return `graph output renamed '${v.name}'`; }
  if (k === 1) { outs.push(onnx.ValueInfoProto.create({ name: r.pick(valueNames(m)) })); return 'graph output added'; }
  if (outs.length === 0) return undefined;
  outs.pop();
  return 'graph output removed';
};

const opset: Mutation = (m, r) => {
  const v = r.pick(OPSETS);
  m.opsetImport = [{ domain: r.chance(0.9) ? '' : 'ai.onnx.ml', version: v }];
  return `opset=${v}`;
};

/** Weighted: the mutations that most often reach past the importer come more often. */
const STRUCTURAL: readonly (readonly [Mutation, number])[] = [
  [attrValue, 6], [attrType, 1], [attrAdd, 2], [attrRemove, 2], [initTensor, 6], [initRemoveOrRename, 1],
  [valueType, 3], [edgeInput, 3], [edgeOutput, 2], [edgeArity, 2], [opType, 3], [nodeOrder, 2], [graphOutputs, 1], [opset, 1],
];
const TOTAL_WEIGHT = STRUCTURAL.reduce((s, [, w]) => s + w, 0);

function pickStructural(r: Rng): Mutation {
  let x = r.next() * TOTAL_WEIGHT;
  for (const [mutation, w] of STRUCTURAL) { x -= w; if (x < 0) return mutation; }
  return STRUCTURAL[STRUCTURAL.length - 1]![0];
}

/** Applies `count` structural mutations to the decoded model; returns the new bytes and what was done. */
export function mutateStructure(bytes: Uint8Array, count: number, r: Rng): { bytes: Uint8Array; steps: string[] } {
  const m = onnx.ModelProto.decode(bytes);
  const steps: string[] = [];
  for (let tries = 0; steps.length < count && tries < 4 * count; tries++) {
    const step = pickStructural(r)(m, r);
    if (step !== undefined) steps.push(step);
  }
  return { bytes: new Uint8Array(onnx.ModelProto.encode(m).finish()), steps };
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x3a];

/** One byte-level corruption of the encoding. */
export function mutateBytes(input: Uint8Array, r: Rng): { bytes: Uint8Array; step: string } {
  const n = input.length;
  if (n === 0) return { bytes: Uint8Array.of(r.int(0, 255)), step: 'one byte' };
  const at = r.int(0, n - 1);
  const b = Uint8Array.from(input);
  switch (r.int(0, 5)) {
    case 0: {
      const flips = r.int(1, 8);
      for (let i = 0; i < flips; i++) { const p = r.int(0, n - 1); b[p]! ^= 1 << r.int(0, 7); }
      return { bytes: b, step: `${flips} bit flips` };
    }
    case 1: b[at] = r.pick(INTERESTING_BYTES); return { bytes: b, step: `byte ${at}=${b[at]}` };
    case 2: return { bytes: b.subarray(0, at), step: `truncated to ${at}` };
    case 3: {
      const extra = Uint8Array.from({ length: r.int(1, 16) }, () => r.int(0, 255));
      const out = new Uint8Array(n + extra.length);
      out.set(b.subarray(0, at)); out.set(extra, at); out.set(b.subarray(at), at + extra.length);
      return { bytes: out, step: `${extra.length} bytes inserted at ${at}` };
    }
    case 4: {
      const len = Math.min(r.int(1, 32), n - at);
      const out = new Uint8Array(n - len);
      out.set(b.subarray(0, at)); out.set(b.subarray(at + len), at);
      return { bytes: out, step: `${len} bytes deleted at ${at}` };
    }
    default: {
      const len = Math.min(r.int(1, 64), n - at);
      const chunk = b.slice(at, at + len);
      const to = r.int(0, n);
      const out = new Uint8Array(n + len);
      out.set(b.subarray(0, to)); out.set(chunk, to); out.set(b.subarray(to), to + len);
      return { bytes: out, step: `${len} bytes from ${at} duplicated at ${to}` };
    }
  }
}
