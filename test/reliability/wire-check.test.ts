import { describe, expect, it } from 'vitest';
import { decodeTensorFile } from '../../frontend/index.js';
import { MAX_MESSAGE_DEPTH, checkWireFormat } from '../../frontend/wire-check.js';
import { TilecError } from '../../ir/errors.js';
import { buildModel, tensorProtoBytes } from '../helpers/onnx-builder.js';

// The wire-format check that runs before protobufjs decodes a model (frontend/wire-check.ts): valid
// encodings pass, every malformed one is a TilecError naming the field and byte.

const varint = (v: number): number[] => {
  const out: number[] = [];
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
  return out;
};
const field = (n: number, wire: number, payload: number[]): number[] =>
  wire === 2 ? [...varint(n * 8 + 2), ...varint(payload.length), ...payload] : [...varint(n * 8 + wire), ...payload];
const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

const rejects = (b: Uint8Array, message: RegExp, root: 'ModelProto' | 'TensorProto' = 'ModelProto'): void => {
  expect(() => checkWireFormat(b, root)).toThrow(TilecError);
  expect(() => checkWireFormat(b, root)).toThrow(message);
};

describe('checkWireFormat', () => {
  it('accepts models in every encoding the builder writes (raw, typed, packed lists, tensor attributes)', () => {
    const model = buildModel({
      opset: 11,
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: [
        { name: 'a', dtype: 'float32', shape: [4], data: [1, 2, 3, 4], encoding: 'typed' },
        { name: 'b', dtype: 'int64', shape: [2], data: [-1, 2 ** 40], encoding: 'typed' },
        { name: 'c', dtype: 'float64', shape: [1], data: [0.5], encoding: 'typed' },
        { name: 'd', dtype: 'int8', shape: [2], data: [-3, 3], encoding: 'typed' },
      ],
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value: { dtype: 'float32', shape: [1], data: [2] } } },
        { op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: -1.5, max: { f: 2 } } },
        { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [1, 0] } },
      ],
    });
    expect(() => checkWireFormat(model)).not.toThrow();
    expect(() => checkWireFormat(tensorProtoBytes('t', 'float32', [2, 2], [1, 2, 3, 4], 'typed'), 'TensorProto')).not.toThrow();
  });

  it('accepts unpacked repeated scalars and skips unknown fields of any valid wire type', () => {
    // TensorProto: dims as two plain varints, float_data as two plain fixed32, then unknown fields 30..33.
    const t = bytes(field(1, 0, [2]), field(1, 0, [1]), field(2, 0, [1]), field(4, 5, [0, 0, 128, 63]), field(4, 5, [0, 0, 0, 64]),
      field(30, 0, [1]), field(31, 1, [0, 0, 0, 0, 0, 0, 0, 0]), field(32, 2, [1, 2, 3]), field(33, 5, [0, 0, 0, 0]));
    expect(() => checkWireFormat(t, 'TensorProto')).not.toThrow();
    expect(decodeTensorFile(t, 't.pb').tensor.data).toEqual(new Float32Array([1, 2]));
  });

  it('rejects a known field with the wrong wire type, naming it', () => {
    rejects(bytes(field(7, 0, [5])), /field 7 \(graph\) of ModelProto at byte 0 has wire type 0 \(varint\), expected 2/);
    rejects(bytes(field(2, 2, [1, 2])), /field 2 \(data_type\) of TensorProto at byte 0 has wire type 2/, 'TensorProto');
    // Nested: ModelProto.graph -> GraphProto.node -> NodeProto.op_type as a varint.
    rejects(bytes(field(7, 2, field(1, 2, field(4, 0, [1])))), /field 4 \(op_type\) of NodeProto at byte 4/);
  });

  it('rejects groups and the invalid wire types, even on unknown fields', () => {
    rejects(bytes(field(40, 3, [])), /unknown field 40 of ModelProto at byte 0 has wire type 3 \(group start\)/);
    rejects(bytes(field(40, 6, [])), /wire type 6 \(invalid\)/);
  });

  it('rejects lengths past the enclosing message, overlong varints and field number 0', () => {
    rejects(bytes([0x3a, 0x05, 0x0a]), /field 7 \(graph\) of ModelProto at byte 0 needs 5 bytes but its message has 1 left/);
    // A node (3 bytes long) whose inner string claims 4 bytes.
    rejects(bytes(field(7, 2, field(1, 2, [0x22, 0x04, 0x41]))), /field 4 \(op_type\) of NodeProto at byte 4 needs 4 bytes but its message has 1 left/);
    rejects(bytes([0x08, ...new Array(10).fill(0x80), 0x01]), /longer than 10 bytes/);
    rejects(bytes([0x00, 0x01]), /invalid field number 0/);
  });

  it('rejects packed runs that are not whole values', () => {
    rejects(bytes(field(4, 2, [0, 0, 0, 0, 0, 0])), /float_data.*packs 6 bytes, not a whole number of 4-byte values/, 'TensorProto');
    rejects(bytes(field(10, 2, [0, 0, 0, 0])), /double_data.*packs 4 bytes/, 'TensorProto');
    rejects(bytes(field(1, 2, [0x81])), /a packed value of field 1 \(dims\) of TensorProto at byte 3 runs past the end/, 'TensorProto');
  });

  it(`refuses messages nested more than ${MAX_MESSAGE_DEPTH} deep without recursing`, () => {
    // ModelProto.graph -> node -> attribute.g -> node -> ... : each level wraps the next.
    let inner: number[] = [];
    const chain = [1, 5, 6]; // GraphProto.node, NodeProto.attribute, AttributeProto.g
    for (let i = 3 * MAX_MESSAGE_DEPTH - 1; i >= 0; i--) inner = field(chain[i % 3]!, 2, inner);
    rejects(bytes(field(7, 2, inner)), new RegExp(`nested more than ${MAX_MESSAGE_DEPTH} messages deep`));
  });
});
