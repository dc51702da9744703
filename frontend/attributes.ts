import type onnxProto from 'onnx-proto';
import { fail, unsupported } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import { type LongLike, toSafeInt } from './int64.js';
import { type TensorSource, tensorFromProto } from './tensor-proto.js';

// Typed access to a node's attributes. Every read marks the attribute as understood; whatever is left
// unread at the end is an attribute tilec does not know for that op and is reported, so a model never
// loses semantics silently.

type IAttributeProto = onnxProto.onnx.IAttributeProto;

/** AttributeProto.AttributeType codes. */
const KIND = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14 } as const;
const KIND_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(KIND).map(([k, v]) => [v, k]));

/** The attribute's kind: its declared type, or for old writers that leave type unset, the field that is filled. */
function kindOf(a: IAttributeProto): number {
  if (a.type) return a.type;
  if (a.floats?.length) return KIND.FLOATS;
  if (a.ints?.length) return KIND.INTS;
  if (a.strings?.length) return KIND.STRINGS;
  if (a.tensors?.length) return KIND.TENSORS;
  if (a.graphs?.length) return KIND.GRAPHS;
  if (a.t) return KIND.TENSOR;
  if (a.g) return KIND.GRAPH;
  if (a.sparseTensor) return KIND.SPARSE_TENSOR;
  if (a.s?.length) return KIND.STRING;
  if (a.i !== undefined && a.i !== null && (typeof a.i === 'number' ? a.i !== 0 : a.i.low !== 0 || a.i.high !== 0)) return KIND.INT;
  if (a.f) return KIND.FLOAT;
  return 0;
}

export class AttrReader {
  private readonly byName = new Map<string, IAttributeProto>();
  private readonly read = new Set<string>();

  /** `who` names the node (`Conv 'conv_2'`). */
  constructor(attrs: readonly IAttributeProto[], readonly who: string, private readonly src: TensorSource) {
    for (const a of attrs) {
      const name = a.name ?? '';
      if (name === '') fail(`${who} has an attribute without a name`);
      if (this.byName.has(name)) fail(`${who} has attribute '${name}' twice`);
      if (a.refAttrName) unsupported(`${who}: attribute '${name}' refers to a function attribute ('${a.refAttrName}'), which tilec does not support`);
      this.byName.set(name, a);
    }
  }

  has(name: string): boolean { return this.byName.has(name); }

  private get(name: string, kinds: readonly number[]): IAttributeProto | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    this.read.add(name);
    const k = kindOf(a);
    // An unset type with every field at its default is a zero of whatever the reader expects.
    if (k !== 0 && !kinds.includes(k)) {
      fail(`${this.who}: attribute '${name}' has type ${KIND_NAME[k] ?? `unknown (${k})`}, expected ${kinds.map((x) => KIND_NAME[x]).join(' or ')}`);
    }
    return a;
  }

  private int64(v: number | LongLike | null | undefined, name: string): number {
    return toSafeInt(v ?? 0, () => `${this.who}: attribute '${name}'`);
  }

  int(name: string): number | undefined {
    const a = this.get(name, [KIND.INT]);
    return a && this.int64(a.i, name);
  }

  intOr(name: string, dflt: number): number { return this.int(name) ?? dflt; }

  /** A float attribute; an INT is accepted too (some exporters write `alpha: 1` as an int). */
  float(name: string): number | undefined {
    const a = this.get(name, [KIND.FLOAT, KIND.INT]);
    if (!a) return undefined;
    return kindOf(a) === KIND.INT ? this.int64(a.i, name) : (a.f ?? 0);
  }

  floatOr(name: string, dflt: number): number { return this.float(name) ?? dflt; }

  ints(name: string): number[] | undefined {
    const a = this.get(name, [KIND.INTS]);
    return a && (a.ints ?? []).map((v) => this.int64(v, name));
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, [KIND.FLOATS]);
    return a && [...(a.floats ?? [])];
  }

  string(name: string): string | undefined {
    const a = this.get(name, [KIND.STRING]);
    return a && new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  /** A string attribute that must be one of `allowed` (compared as written, as ONNX does). */
  choice<T extends string>(name: string, allowed: readonly T[], dflt: T): T {
    const s = this.string(name);
    if (s === undefined) return dflt;
    if (!(allowed as readonly string[]).includes(s)) {
      unsupported(`${this.who}: attribute ${name} = '${s}' is not supported (expected ${allowed.map((x) => `'${x}'`).join(', ')})`);
    }
    return s as T;
  }

  tensor(name: string): Tensor | undefined {
    const a = this.get(name, [KIND.TENSOR]);
    if (!a) return undefined;
    if (!a.t) fail(`${this.who}: attribute '${name}' has no tensor`);
    return tensorFromProto(a.t, `${this.who} attribute '${name}'`, this.src);
  }

  /** Marks attributes that carry no semantics tilec must honour (e.g. a training-only momentum). */
  ignore(...names: string[]): void { for (const n of names) this.read.add(n); }

  /** Fails on the first attribute nothing read: tilec would otherwise ignore its meaning. */
  finish(opset: number): void {
    for (const name of this.byName.keys()) {
      if (!this.read.has(name)) unsupported(`${this.who}: attribute '${name}' is not supported (opset ${opset})`);
    }
  }
}
