// Reads an ONNX backend node test (model.onnx + test_data_set_0/*.pb) for the quantization kernels' tests:
// the single node with its attributes mapped to the IR's attribute objects, and the input/output tensors.
// Deliberately small and local (only the dtypes and attributes these tests meet), so the kernels' tests do
// not depend on the frontend.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { DType } from '../../../ir/dtype.js';
import { newTensorData } from '../../../ir/dtype.js';
import type { AutoPad, Node, OpName } from '../../../ir/ops.js';
import { type Tensor, numel } from '../../../ir/tensor.js';

const { onnx } = onnxProto;

const DTYPE_OF_CODE: Readonly<Record<number, DType>> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 10: 'float32' };

/** IEEE half -> number (float16 tensors are widened to float32, as the importer does). */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function decodeTensor(p: onnxProto.onnx.ITensorProto): Tensor {
  const code = p.dataType ?? 0;
  const dtype = DTYPE_OF_CODE[code];
  if (!dtype) throw new Error(`test helper: tensor '${p.name}' has ONNX dtype ${code}, which this helper does not decode`);
  const shape = (p.dims ?? []).map(Number);
  const n = numel(shape);
  const data = newTensorData(dtype, n);
  const raw = p.rawData;
  if (raw && raw.length > 0) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      data[i] = code === 1 ? dv.getFloat32(4 * i, true) : code === 2 ? dv.getUint8(i) : code === 3 ? dv.getInt8(i)
        : code === 6 ? dv.getInt32(4 * i, true) : code === 7 ? Number(dv.getBigInt64(8 * i, true)) : halfToNumber(dv.getUint16(2 * i, true));
    }
  } else {
    const vals: ArrayLike<number> = code === 1 ? p.floatData ?? [] : code === 7 ? (p.int64Data ?? []).map(Number) : p.int32Data ?? [];
    if (vals.length !== n) throw new Error(`test helper: tensor '${p.name}' has ${vals.length} values for ${n} elements`);
    for (let i = 0; i < n; i++) data[i] = code === 10 ? halfToNumber(vals[i]!) : vals[i]!;
  }
  return { dtype, shape, data };
}

function attrValue(a: onnxProto.onnx.IAttributeProto): unknown {
  switch (a.type) {
    case onnx.AttributeProto.AttributeType.INT: return Number(a.i);
    case onnx.AttributeProto.AttributeType.INTS: return (a.ints ?? []).map(Number);
    case onnx.AttributeProto.AttributeType.FLOAT: return a.f;
    case onnx.AttributeProto.AttributeType.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    default: throw new Error(`test helper: attribute '${a.name}' has a type this helper does not map`);
  }
}

/** The IR attributes of the ops these tests meet, with the importer's defaults. */
function irAttrs(op: OpName, raw: Record<string, unknown>): unknown {
  switch (op) {
    case 'QuantizeLinear': case 'DequantizeLinear':
      return { axis: (raw.axis as number | undefined) ?? 1 };
    case 'ConvInteger': case 'QLinearConv':
      return {
        kernel_shape: raw.kernel_shape, strides: raw.strides, pads: raw.pads, dilations: raw.dilations,
        group: (raw.group as number | undefined) ?? 1, auto_pad: ((raw.auto_pad as string | undefined) ?? 'NOTSET') as AutoPad,
      };
    default:
      return {};
  }
}

export interface NodeTestCase {
  readonly node: Node;
  readonly inputs: readonly (Tensor | undefined)[];
  readonly outputs: readonly Tensor[];
}

/** Loads `dir` (an absolute path of one node test). Inputs the node leaves out ('') are undefined. */
export function loadNodeTest(dir: string): NodeTestCase {
  const model = onnx.ModelProto.decode(readFileSync(path.join(dir, 'model.onnx')));
  const g = model.graph!;
  if (g.node?.length !== 1) throw new Error(`test helper: ${dir} has ${g.node?.length} nodes, expected 1`);
  const n = g.node[0]!;
  const raw: Record<string, unknown> = {};
  for (const a of n.attribute ?? []) raw[a.name!] = attrValue(a);
  const op = n.opType as OpName;
  const node = { op, name: n.name || `${op}_0`, inputs: n.input ?? [], outputs: n.output ?? [], attrs: irAttrs(op, raw) } as Node;
  const dataDir = path.join(dir, 'test_data_set_0');
  const files = readdirSync(dataDir);
  const read = (f: string): Tensor => decodeTensor(onnx.TensorProto.decode(readFileSync(path.join(dataDir, f))));
  // Graph inputs are the node's non-empty inputs, in order; map them back to the node's input slots.
  const graphInputs = (g.input ?? []).map((v) => v.name!);
  const byName = new Map(graphInputs.map((name, i) => [name, read(`input_${i}.pb`)] as const));
  const inputs = node.inputs.map((name) => (name === '' ? undefined : byName.get(name)));
  const outputs = files.filter((f) => f.startsWith('output_')).sort().map(read);
  return { node, inputs, outputs };
}
