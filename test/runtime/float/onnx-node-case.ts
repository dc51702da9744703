// Loads one ONNX backend node test (model.onnx + test_data_set_0/*.pb) into an IR Graph with feeds and
// expected outputs, for the float-kernel conformance tests. Deliberately local and small: it maps only
// the attributes of the ops these tests cover, so the tests do not depend on the importer's progress.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { expect } from 'vitest';
import { ONNX_CODE_TO_DTYPE, isFloat } from '../../../ir/dtype.js';
import type { Graph, ValueType } from '../../../ir/graph.js';
import type { Node } from '../../../ir/ops.js';
import { type Tensor, tensor } from '../../../ir/tensor.js';

const { onnx } = onnxProto;
type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

export function decodeTensor(p: onnxProto.onnx.ITensorProto): Tensor {
  const code = p.dataType ?? 0;
  const dtype = ONNX_CODE_TO_DTYPE.get(code);
  if (!dtype || code === 10 || code === 16) throw new Error(`test helper: tensor '${p.name}' has unhandled ONNX dtype ${code}`);
  const shape = (p.dims ?? []).map(num);
  const n = shape.reduce((a, b) => a * b, 1);
  const raw = p.rawData;
  if (raw && raw.length > 0) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const get: (i: number) => number = {
      float32: (i: number) => dv.getFloat32(i * 4, true), float64: (i: number) => dv.getFloat64(i * 8, true),
      int64: (i: number) => Number(dv.getBigInt64(i * 8, true)), int32: (i: number) => dv.getInt32(i * 4, true),
      int16: (i: number) => dv.getInt16(i * 2, true), uint16: (i: number) => dv.getUint16(i * 2, true),
      int8: (i: number) => dv.getInt8(i), uint8: (i: number) => dv.getUint8(i), bool: (i: number) => dv.getUint8(i),
    }[dtype];
    return tensor(dtype, shape, Array.from({ length: n }, (_, i) => get(i)));
  }
  const typed: ArrayLike<number | Long> =
    dtype === 'float32' ? p.floatData ?? [] : dtype === 'float64' ? p.doubleData ?? [] : dtype === 'int64' ? p.int64Data ?? [] : p.int32Data ?? [];
  return tensor(dtype, shape, Array.from(typed, num));
}

const readTensor = (file: string): Tensor => decodeTensor(onnx.TensorProto.decode(readFileSync(file)));

/** Typed IR attributes for the ops these tests cover, with ONNX's defaults for `opset`. */
function irAttrs(op: string, attrs: readonly onnxProto.onnx.IAttributeProto[], opset: number): Record<string, unknown> {
  const a = new Map(attrs.map((x) => [x.name ?? '', x]));
  const int = (k: string): number | undefined => (a.has(k) ? num(a.get(k)!.i) : undefined);
  const float = (k: string): number | undefined => (a.has(k) ? a.get(k)!.f ?? 0 : undefined);
  const ints = (k: string): number[] | undefined => (a.has(k) ? (a.get(k)!.ints ?? []).map(num) : undefined);
  const str = (k: string): string | undefined => (a.has(k) ? new TextDecoder().decode(a.get(k)!.s ?? new Uint8Array()) : undefined);
  const tens = (k: string): Tensor | undefined => (a.has(k) ? decodeTensor(a.get(k)!.t!) : undefined);
  switch (op) {
    case 'Clip': return { min: float('min'), max: float('max') };
    case 'LeakyRelu': return { alpha: float('alpha') ?? 0.01 };
    case 'Softmax': return { axis: int('axis') ?? (opset < 13 ? 1 : -1), coerce2d: opset < 13 };
    case 'Concat': return { axis: int('axis') };
    case 'Flatten': return { axis: int('axis') ?? 1 };
    case 'Gather': return { axis: int('axis') ?? 0 };
    case 'Reshape': return { allowzero: int('allowzero') ?? 0 };
    case 'Transpose': return { perm: ints('perm') };
    case 'Squeeze': case 'Unsqueeze': return { axes: ints('axes') };
    case 'Pad': return { mode: str('mode') ?? 'constant', pads: ints('pads'), value: float('value') };
    case 'Shape': return { start: int('start') ?? 0, end: int('end') };
    case 'Dropout': return { ratio: float('ratio') };
    case 'Constant': {
      const v = tens('value') ?? (a.has('value_float') ? tensor('float32', [], [float('value_float')!]) : undefined);
      if (!v) throw new Error(`test helper: Constant form not handled (${[...a.keys()].join(',')})`);
      return { value: v };
    }
    case 'ConstantOfShape': return { value: tens('value') };
    default: return {};
  }
}

export interface NodeCase {
  readonly graph: Graph;
  readonly feeds: Map<string, Tensor>;
  readonly expected: Map<string, Tensor>;
}

const typeOf = (t: Tensor): ValueType => ({ dtype: t.dtype, shape: t.shape });

/** The model as a Graph typed from the test data itself (node tests carry the exact shapes there). */
export function loadNodeCase(dir: string): NodeCase {
  const model = onnx.ModelProto.decode(readFileSync(path.join(dir, 'model.onnx')));
  const g = model.graph!;
  const opset = num(model.opsetImport?.find((o) => !o.domain)?.version);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', decodeTensor(t)]));
  const inputs = (g.input ?? []).map((v) => v.name ?? '').filter((n) => !inits.has(n));
  const outputs = (g.output ?? []).map((v) => v.name ?? '');
  const dataDir = path.join(dir, 'test_data_set_0');
  const files = readdirSync(dataDir);
  const load = (prefix: string, names: string[]): Map<string, Tensor> =>
    new Map(names.map((n, i) => {
      if (!files.includes(`${prefix}_${i}.pb`)) throw new Error(`test helper: ${dataDir} lacks ${prefix}_${i}.pb`);
      return [n, readTensor(path.join(dataDir, `${prefix}_${i}.pb`))];
    }));
  const feeds = load('input', inputs), expected = load('output', outputs);
  const nodes = (g.node ?? []).map((n, i) => ({
    op: n.opType ?? '', name: n.name || `${n.opType}_${i}`, inputs: n.input ?? [], outputs: n.output ?? [],
    attrs: irAttrs(n.opType ?? '', n.attribute ?? [], opset),
  }) as unknown as Node);
  const values = new Map<string, ValueType>();
  for (const m of [inits, feeds, expected]) for (const [n, t] of m) values.set(n, typeOf(t));
  const graph: Graph = {
    name: path.basename(dir), inputs, outputs, nodes, values, initializers: inits, opsets: new Map([['', opset]]),
  };
  return { graph, feeds, expected };
}

/** Same dtype and shape; floats within |a - e| <= atol + rtol * |e| (NaN matches NaN), others exact. */
export function expectClose(actual: Tensor, expected: Tensor, what: string, rtol = 1e-3, atol = 1e-7): void {
  expect(actual.dtype, `${what} dtype`).toBe(expected.dtype);
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  if (!isFloat(expected.dtype)) {
    expect(Array.from(actual.data), `${what} values`).toEqual(Array.from(expected.data));
    return;
  }
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!, e = expected.data[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)) && a !== e) {
      expect.fail(`${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
