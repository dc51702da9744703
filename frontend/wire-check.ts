import { fail } from '../ir/errors.js';

// protobufjs's generated decoders pick a field's reader by its number alone and never look at the wire
// type, so a corrupted tag (graph written as a varint, ir_version as bytes) is silently read as something
// else. This walk checks every field protobufjs knows against the wire type onnx.proto gives it, before
// decoding, so a malformed model fails with the field and byte offset instead of being misread.

/** How a field is encoded: a scalar wire form, a repeated scalar (plain or packed), or a nested message. */
type Kind = ScalarKind | MessageName;
type ScalarKind = (typeof SCALAR_KINDS)[number];
const SCALAR_KINDS = ['varint', 'fixed32', 'fixed64', 'bytes', 'varint*', 'fixed32*', 'fixed64*'] as const;
const isScalar = (k: Kind): k is ScalarKind => (SCALAR_KINDS as readonly string[]).includes(k);

type MessageName =
  | 'ModelProto' | 'GraphProto' | 'NodeProto' | 'AttributeProto' | 'ValueInfoProto' | 'TrainingInfoProto'
  | 'StringStringEntryProto' | 'TensorAnnotation' | 'TensorProto' | 'TensorProto.Segment' | 'SparseTensorProto'
  | 'TensorShapeProto' | 'TensorShapeProto.Dimension' | 'TypeProto' | 'TypeProto.Tensor' | 'TypeProto.Sequence'
  | 'TypeProto.Map' | 'TypeProto.Optional' | 'TypeProto.SparseTensor' | 'OperatorSetIdProto' | 'FunctionProto';

/** field number -> [name, kind], from ../shared/docs/onnx/onnx.proto, for the fields onnx-proto decodes. */
const SCHEMA: Readonly<Record<MessageName, Readonly<Record<number, readonly [string, Kind]>>>> = {
  ModelProto: {
    1: ['ir_version', 'varint'], 2: ['producer_name', 'bytes'], 3: ['producer_version', 'bytes'], 4: ['domain', 'bytes'],
    5: ['model_version', 'varint'], 6: ['doc_string', 'bytes'], 7: ['graph', 'GraphProto'], 8: ['opset_import', 'OperatorSetIdProto'],
    14: ['metadata_props', 'StringStringEntryProto'], 20: ['training_info', 'TrainingInfoProto'], 25: ['functions', 'FunctionProto'],
  },
  GraphProto: {
    1: ['node', 'NodeProto'], 2: ['name', 'bytes'], 5: ['initializer', 'TensorProto'], 10: ['doc_string', 'bytes'],
    11: ['input', 'ValueInfoProto'], 12: ['output', 'ValueInfoProto'], 13: ['value_info', 'ValueInfoProto'],
    14: ['quantization_annotation', 'TensorAnnotation'], 15: ['sparse_initializer', 'SparseTensorProto'],
  },
  NodeProto: {
    1: ['input', 'bytes'], 2: ['output', 'bytes'], 3: ['name', 'bytes'], 4: ['op_type', 'bytes'],
    5: ['attribute', 'AttributeProto'], 6: ['doc_string', 'bytes'], 7: ['domain', 'bytes'],
  },
  AttributeProto: {
    1: ['name', 'bytes'], 2: ['f', 'fixed32'], 3: ['i', 'varint'], 4: ['s', 'bytes'], 5: ['t', 'TensorProto'], 6: ['g', 'GraphProto'],
    7: ['floats', 'fixed32*'], 8: ['ints', 'varint*'], 9: ['strings', 'bytes'], 10: ['tensors', 'TensorProto'], 11: ['graphs', 'GraphProto'],
    13: ['doc_string', 'bytes'], 14: ['tp', 'TypeProto'], 15: ['type_protos', 'TypeProto'], 20: ['type', 'varint'],
    21: ['ref_attr_name', 'bytes'], 22: ['sparse_tensor', 'SparseTensorProto'], 23: ['sparse_tensors', 'SparseTensorProto'],
  },
  ValueInfoProto: { 1: ['name', 'bytes'], 2: ['type', 'TypeProto'], 3: ['doc_string', 'bytes'] },
  TrainingInfoProto: {
    1: ['initialization', 'GraphProto'], 2: ['algorithm', 'GraphProto'],
    3: ['initialization_binding', 'StringStringEntryProto'], 4: ['update_binding', 'StringStringEntryProto'],
  },
  StringStringEntryProto: { 1: ['key', 'bytes'], 2: ['value', 'bytes'] },
  TensorAnnotation: { 1: ['tensor_name', 'bytes'], 2: ['quant_parameter_tensor_names', 'StringStringEntryProto'] },
  TensorProto: {
    1: ['dims', 'varint*'], 2: ['data_type', 'varint'], 3: ['segment', 'TensorProto.Segment'], 4: ['float_data', 'fixed32*'],
    5: ['int32_data', 'varint*'], 6: ['string_data', 'bytes'], 7: ['int64_data', 'varint*'], 8: ['name', 'bytes'], 9: ['raw_data', 'bytes'],
    10: ['double_data', 'fixed64*'], 11: ['uint64_data', 'varint*'], 12: ['doc_string', 'bytes'],
    13: ['external_data', 'StringStringEntryProto'], 14: ['data_location', 'varint'],
  },
  'TensorProto.Segment': { 1: ['begin', 'varint'], 2: ['end', 'varint'] },
  SparseTensorProto: { 1: ['values', 'TensorProto'], 2: ['indices', 'TensorProto'], 3: ['dims', 'varint*'] },
  TensorShapeProto: { 1: ['dim', 'TensorShapeProto.Dimension'] },
  'TensorShapeProto.Dimension': { 1: ['dim_value', 'varint'], 2: ['dim_param', 'bytes'], 3: ['denotation', 'bytes'] },
  TypeProto: {
    1: ['tensor_type', 'TypeProto.Tensor'], 4: ['sequence_type', 'TypeProto.Sequence'], 5: ['map_type', 'TypeProto.Map'],
    6: ['denotation', 'bytes'], 8: ['sparse_tensor_type', 'TypeProto.SparseTensor'], 9: ['optional_type', 'TypeProto.Optional'],
  },
  'TypeProto.Tensor': { 1: ['elem_type', 'varint'], 2: ['shape', 'TensorShapeProto'] },
  'TypeProto.Sequence': { 1: ['elem_type', 'TypeProto'] },
  'TypeProto.Map': { 1: ['key_type', 'varint'], 2: ['value_type', 'TypeProto'] },
  'TypeProto.Optional': { 1: ['elem_type', 'TypeProto'] },
  'TypeProto.SparseTensor': { 1: ['elem_type', 'varint'], 2: ['shape', 'TensorShapeProto'] },
  OperatorSetIdProto: { 1: ['domain', 'bytes'], 2: ['version', 'varint'] },
  FunctionProto: {
    1: ['name', 'bytes'], 4: ['input', 'bytes'], 5: ['output', 'bytes'], 6: ['attribute', 'bytes'], 7: ['node', 'NodeProto'],
    8: ['doc_string', 'bytes'], 9: ['opset_import', 'OperatorSetIdProto'], 10: ['domain', 'bytes'],
  },
};

const VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;
const WIRE_NAME = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32', 'invalid', 'invalid'];

/** Wire types a field of `kind` may use (repeated scalars may be packed into one length-delimited run). */
function allowedWireTypes(kind: Kind): readonly number[] {
  switch (kind) {
    case 'varint': return [VARINT];
    case 'fixed32': return [FIXED32];
    case 'fixed64': return [FIXED64];
    case 'varint*': return [VARINT, LEN];
    case 'fixed32*': return [FIXED32, LEN];
    case 'fixed64*': return [FIXED64, LEN];
    default: return [LEN]; // bytes, strings and nested messages
  }
}

/** Subgraphs (If/Loop bodies) nest a few levels; far deeper nesting is a hostile file, not a model. */
export const MAX_MESSAGE_DEPTH = 100;

/**
 * Checks the wire format of `bytes` as a `root` message (ModelProto for .onnx files, TensorProto for .pb
 * test data): every tag valid, every length inside its enclosing message, every known field with the wire
 * type its schema gives. Unknown fields (newer ONNX versions) are skipped. Throws a TilecError naming the
 * field and byte offset.
 */
export function checkWireFormat(bytes: Uint8Array, root: 'ModelProto' | 'TensorProto' = 'ModelProto'): void {
  // Explicit stack of enclosing messages (no recursion: a hostile file must not overflow the JS stack).
  const stack: { message: MessageName; end: number }[] = [{ message: root, end: bytes.length }];
  let pos = 0;

  const varint = (what: string): number => {
    let v = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= stack[stack.length - 1]!.end) fail(`${what} at byte ${pos} runs past the end of its message`);
      const b = bytes[pos++]!;
      if (i < 7) v += (b & 0x7f) * 2 ** (7 * i); // beyond 49 bits the value only matters as "too large"
      else if ((b & 0x7f) !== 0) v = Infinity;
      if ((b & 0x80) === 0) return v;
    }
    return fail(`${what} at byte ${pos - 10} is a varint longer than 10 bytes`);
  };
  const skip = (n: number, what: string, at: number): void => {
    const left = stack[stack.length - 1]!.end - pos;
    if (n > left) fail(`${what} at byte ${at} needs ${n} bytes but its message has ${left} left (truncated or corrupt file)`);
    pos += n;
  };

  for (;;) {
    let top = stack[stack.length - 1]!;
    while (pos === top.end) {
      stack.pop();
      if (stack.length === 0) return;
      top = stack[stack.length - 1]!;
    }
    const at = pos;
    const tag = varint(`a field tag of ${top.message}`);
    const field = Math.floor(tag / 8), wire = tag % 8;
    if (field === 0 || field > 2 ** 29 - 1) fail(`${top.message} has an invalid field number ${field} at byte ${at}`);
    const spec = SCHEMA[top.message][field];
    const what = spec ? `field ${field} (${spec[0]}) of ${top.message}` : `unknown field ${field} of ${top.message}`;
    if (wire === 3 || wire === 4 || wire > 5) {
      fail(`${what} at byte ${at} has wire type ${wire} (${WIRE_NAME[wire]}), which ONNX models never use`);
    }
    if (spec && !allowedWireTypes(spec[1]).includes(wire)) {
      const want = allowedWireTypes(spec[1]).map((w) => `${w} (${WIRE_NAME[w]})`).join(' or ');
      fail(`${what} at byte ${at} has wire type ${wire} (${WIRE_NAME[wire]}), expected ${want}`);
    }
    if (wire === VARINT) { varint(what); continue; }
    if (wire === FIXED64) { skip(8, what, at); continue; }
    if (wire === FIXED32) { skip(4, what, at); continue; }
    const length = varint(`the length of ${what}`);
    const start = pos;
    skip(length, what, at);
    if (!spec) continue;
    const kind = spec[1];
    if (kind === 'fixed32*' || kind === 'fixed64*') {
      const size = kind === 'fixed32*' ? 4 : 8;
      if (length % size !== 0) fail(`${what} at byte ${at} packs ${length} bytes, not a whole number of ${size}-byte values`);
      continue;
    }
    if (kind === 'varint*') {
      // A packed run must be whole varints that end exactly at its end.
      stack.push({ message: top.message, end: start + length });
      for (pos = start; pos < start + length;) varint(`a packed value of ${what}`);
      stack.pop();
      continue;
    }
    if (isScalar(kind)) continue; // bytes and strings
    if (stack.length >= MAX_MESSAGE_DEPTH) fail(`${what} at byte ${at} is nested more than ${MAX_MESSAGE_DEPTH} messages deep`);
    pos = start;
    stack.push({ message: kind, end: start + length });
  }
}
