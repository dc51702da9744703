import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { TilecError, fail, failTensorLimit, unsupported } from '../ir/errors.js';
import type { Evaluate, Graph, ValueType } from '../ir/graph.js';
import { type Node, type OpName, TILEC_OPS, isOpName } from '../ir/ops.js';
import { type Tensor, numel, shapeStr } from '../ir/tensor.js';
import { AttrReader } from './attributes.js';
import { checkFitsInput, declaredOutput, inputType } from './inputs.js';
import { OP_SINCE, normalizeAttrs } from './normalize.js';
import { checkDomain, readOpsets } from './opsets.js';
import { type TensorSource, dtypeName, dtypeOfCode, tensorFromProto } from './tensor-proto.js';
import { topoOrder } from './topo.js';
import { typeValues } from './typing.js';
import { checkWireFormat } from './wire-check.js';

// ONNX ModelProto bytes -> IR Graph. Checks what the ONNX checker leaves to the runtime (sizes, names,
// dangling references, cycles) so every later stage can trust the graph, and names the file, node or
// tensor in every error.

const { onnx } = onnxProto;
type IModelProto = onnxProto.onnx.IModelProto;
type IGraphProto = onnxProto.onnx.IGraphProto;

export interface ImportOptions {
  /** Model file path: named in errors; its folder is the base for external data. */
  path?: string;
  /** --input-shape overrides for symbolic/dynamic dims. */
  inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** Default 2**31 - 1; larger tensors are rejected before allocating. */
  maxTensorElements?: number;
  /** Computes constants needed for typing (Reshape shapes...); injected so frontend never imports runtime/. */
  evaluate: Evaluate;
  warn?: (message: string) => void;
  /**
   * Values for graph inputs that output shapes depend on (ONNX node tests feed Reshape's shape or
   * Unsqueeze's axes as inputs). Each becomes an initializer and leaves `graph.inputs`; its dtype and
   * shape must fit the declared input type.
   */
  constantInputs?: ReadonlyMap<string, Tensor>;
}

export const DEFAULT_MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** Decodes a protobuf message, turning every decoder failure (RangeError, Error...) into a TilecError. */
function decodeOr<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (e) {
    throw new TilecError(`cannot decode ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Prefixes a TilecError with the file it concerns, keeping its class (UnsupportedError stays one). */
function inFile<T>(file: string | undefined, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (file !== undefined && e instanceof TilecError) e.message = `${file}: ${e.message}`;
    throw e;
  }
}

export function importModel(bytes: Uint8Array, opts: ImportOptions): Graph {
  const model = decodeOr(() => { checkWireFormat(bytes, 'ModelProto'); return onnx.ModelProto.decode(bytes); }, `ONNX model ${opts.path ?? '(bytes)'}`);
  return inFile(opts.path, () => importProto(model, opts));
}

export function loadModel(file: string, opts: Omit<ImportOptions, 'path'>): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    fail(`cannot read model file ${file}: ${(e as Error).message}`);
  }
  return importModel(bytes, { ...opts, path: file });
}

/** A TensorProto `.pb` file (ONNX test data). `who` names the file in errors. */
export function decodeTensorFile(bytes: Uint8Array, who: string): { name: string; tensor: Tensor } {
  const p = decodeOr(() => { checkWireFormat(bytes, 'TensorProto'); return onnx.TensorProto.decode(bytes); }, `TensorProto file ${who}`);
  const name = p.name ?? '';
  const tensor = tensorFromProto(p, `tensor '${name}' in ${who}`, { maxElements: DEFAULT_MAX_TENSOR_ELEMENTS });
  return { name, tensor };
}

function importProto(model: IModelProto, opts: ImportOptions): Graph {
  const g = model.graph;
  if (!g) fail('model has no graph');
  const opsets = readOpsets(model.opsetImport ?? []);
  const opset = opsets.get('')!;
  const src: TensorSource = {
    ...(opts.path === undefined ? {} : { baseDir: path.dirname(path.resolve(opts.path)) }),
    maxElements: opts.maxTensorElements ?? DEFAULT_MAX_TENSOR_ELEMENTS,
  };
  if ((g.sparseInitializer?.length ?? 0) > 0) unsupported('model has sparse initializers, which tilec does not support');

  const initializers = readInitializers(g, src);
  bindConstantInputs(g, initializers, opts);
  const inputProtos = realInputs(g, initializers);
  const nodes = (g.node ?? []).map((n, i) => importNode(n, i, opset, opsets, src));
  uniquifyNames(nodes);

  const inputNames = new Set(inputProtos.map((v) => v.name ?? ''));
  const producer = producers(nodes, inputNames, initializers);
  const available = (name: string): boolean => producer.has(name) || initializers.has(name) || inputNames.has(name);
  for (const n of nodes) {
    for (const name of n.inputs) {
      if (name !== '' && !available(name)) fail(`${n.op} '${n.name}': input '${name}' is not produced by any node, nor a graph input or initializer`);
    }
  }
  const outputs = graphOutputs(g, available);
  if (nodes.length === 0 && outputs.some((o) => !inputNames.has(o))) {
    fail(`graph '${g.name ?? ''}' has no nodes`);
  }
  const order = topoOrder(nodes, producer);

  const inputTypes = readInputTypes(inputProtos, opts);
  for (const [name, t] of inputTypes) {
    // Checked here too, not only on node outputs: a graph may pass an input straight to an output.
    if (numel(t.shape) > src.maxElements) failTensorLimit(`graph input '${name}' has shape ${shapeStr(t.shape)}, more than the ${src.maxElements} elements tilec accepts in one tensor`);
  }
  const values = typeValues({
    nodes, order, inputTypes, initializers, evaluate: opts.evaluate, maxElements: src.maxElements,
  });
  checkOutputTypes(g, values, opts.warn);

  return {
    name: g.name || (opts.path ? path.basename(opts.path, path.extname(opts.path)) : 'model'),
    inputs: inputProtos.map((v) => v.name ?? ''),
    outputs,
    nodes: order.map((i) => nodes[i]!),
    values,
    initializers,
    opsets,
  };
}

function readInitializers(g: IGraphProto, src: TensorSource): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [i, t] of (g.initializer ?? []).entries()) {
    const name = t.name ?? '';
    if (name === '') fail(`initializer #${i} has no name`);
    if (out.has(name)) fail(`initializer '${name}' is defined twice`);
    out.set(name, tensorFromProto(t, `initializer '${name}'`, src));
  }
  return out;
}

function bindConstantInputs(g: IGraphProto, initializers: Map<string, Tensor>, opts: ImportOptions): void {
  for (const [name, t] of opts.constantInputs ?? []) {
    const v = (g.input ?? []).find((i) => i.name === name);
    if (!v || initializers.has(name)) fail(`constant input '${name}' is not a graph input of the model`);
    if (opts.inputShapes?.has(name)) fail(`graph input '${name}' is given both a constant value and --input-shape`);
    checkFitsInput(v, t, `constant input '${name}'`);
    initializers.set(name, t);
  }
}

/** Graph inputs minus initializers: IR v3 exporters list every weight as an input too. */
function realInputs(g: IGraphProto, initializers: ReadonlyMap<string, Tensor>): onnxProto.onnx.IValueInfoProto[] {
  const seen = new Set<string>();
  const out: onnxProto.onnx.IValueInfoProto[] = [];
  for (const v of g.input ?? []) {
    const name = v.name ?? '';
    if (name === '') fail('a graph input has no name');
    if (seen.has(name)) fail(`graph input '${name}' is listed twice`);
    seen.add(name);
    if (!initializers.has(name)) out.push(v);
  }
  return out;
}

function importNode(n: onnxProto.onnx.INodeProto, index: number, opset: number, opsets: ReadonlyMap<string, number>, src: TensorSource): Node {
  const opType = n.opType ?? '';
  const name = n.name || `${opType || 'node'}_${index}`;
  const who = `${opType || '(no op_type)'} '${name}'`;
  checkDomain(n.domain, who, opsets);
  if (!isOpName(opType) || TILEC_OPS.has(opType)) unsupported(`${who}: operator '${opType}' is not supported by tilec`);
  const since = OP_SINCE[opType];
  if (since !== undefined && opset < since) fail(`${who}: ${opType} does not exist in opset ${opset} (it was introduced in opset ${since})`);
  const outputs = [...(n.output ?? [])];
  const r = new AttrReader(n.attribute ?? [], who, src);
  return buildNode(opType, name, [...(n.input ?? [])], outputs, r, opset);
}

function buildNode<O extends OpName>(op: O, name: string, inputs: string[], outputs: string[], r: AttrReader, opset: number): Node {
  const attrs = normalizeAttrs(op, { r, opset, inputs, outputs });
  return { op, name, inputs, outputs, attrs } as unknown as Node;
}

/** Node names are unique in the IR; exporters sometimes repeat them, so later duplicates get a suffix. */
function uniquifyNames(nodes: Node[]): void {
  const used = new Set(nodes.map((n) => n.name));
  const seen = new Set<string>();
  nodes.forEach((n, i) => {
    if (!seen.has(n.name)) { seen.add(n.name); return; }
    let k = 1;
    while (used.has(`${n.name}_${k}`)) k++;
    const name = `${n.name}_${k}`;
    used.add(name); seen.add(name);
    nodes[i] = { ...n, name };
  });
}

/** value name -> index of the node producing it; fails on a value defined twice. */
function producers(nodes: readonly Node[], inputs: ReadonlySet<string>, initializers: ReadonlyMap<string, Tensor>): Map<string, number> {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const name of n.outputs) {
      if (name === '') continue;
      const who = `${n.op} '${n.name}'`;
      const prev = producer.get(name);
      if (prev !== undefined) fail(`value '${name}' is produced twice: by ${nodes[prev]!.op} '${nodes[prev]!.name}' and by ${who}`);
      if (inputs.has(name)) fail(`${who}: output '${name}' is also a graph input`);
      if (initializers.has(name)) fail(`${who}: output '${name}' is also an initializer`);
      producer.set(name, i);
    }
  });
  return producer;
}

function graphOutputs(g: IGraphProto, available: (name: string) => boolean): string[] {
  const names = (g.output ?? []).map((v) => v.name ?? '');
  if (names.length === 0) fail('graph has no outputs');
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') fail('a graph output has no name');
    if (seen.has(name)) fail(`graph output '${name}' is listed twice`);
    seen.add(name);
    if (!available(name)) fail(`graph output '${name}' is not produced by any node, nor a graph input or initializer`);
  }
  return names;
}

function readInputTypes(inputs: readonly onnxProto.onnx.IValueInfoProto[], opts: ImportOptions): Map<string, ValueType> {
  const names = inputs.map((v) => v.name ?? '');
  for (const name of opts.inputShapes?.keys() ?? []) {
    if (!names.includes(name)) {
      fail(`--input-shape names '${name}', which is not a model input (inputs: ${names.map((n) => `'${n}'`).join(', ') || 'none'})`);
    }
  }
  const warn = opts.warn ?? ((): void => {});
  return new Map(inputs.map((v) => [v.name ?? '', inputType(v, opts.inputShapes?.get(v.name ?? ''), warn)]));
}

/** A declared output dtype that disagrees with inference is an inconsistent model; a shape only warns,
 * since --input-shape legitimately changes shapes the exporter wrote down. */
function checkOutputTypes(g: IGraphProto, values: ReadonlyMap<string, ValueType>, warn?: (m: string) => void): void {
  for (const v of g.output ?? []) {
    const name = v.name ?? '';
    const t = values.get(name)!;
    const declared = declaredOutput(v);
    if (declared.dtypeCode !== 0) {
      const d = dtypeOfCode(declared.dtypeCode, `graph output '${name}'`);
      if (d !== t.dtype) fail(`graph output '${name}' is declared ${dtypeName(declared.dtypeCode)} but computes ${t.dtype}`);
    }
    const dims = declared.dims;
    if (dims && (dims.length !== t.shape.length || dims.some((d, i) => typeof d === 'number' && d !== t.shape[i]))) {
      warn?.(`graph output '${name}' is declared with shape [${dims.join(',')}] but computes ${shapeStr(t.shape)}`);
    }
  }
}
