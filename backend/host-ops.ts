import { fail, invariant } from '../ir/errors.js';
import { ONNX_DTYPE_CODE, newTensorData, type DType } from '../ir/dtype.js';
import type { OpName } from '../ir/ops.js';
import { numel, type Tensor } from '../ir/tensor.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { dtypeBytes } from './program.js';
import type { Target } from './target.js';

// HOST instructions: which operation each function code selects, how its operand block is laid out, how a
// tensor sits in DRAM, and how many cycles the host is charged. docs/host-ops.md is the specification.
// The emitter (backend/emit) writes operand blocks with encodeHostOperands; the host implementations
// (runtime/tile/host) read them with decodeHostOperands and charge hostOpCycles, so both sides share one
// definition of every byte and every cycle.

/**
 * Function code of every op a HOST instruction can run. The numbers are part of the .tbin format: never
 * renumber, only append. 1..31 are the integer and data-movement ops of the realized graph, 32.. the float
 * ops of float islands (Dequantize -> float op -> Quantize), 64.. the lowering's host halves.
 */
export const HOST_FN = {
  Quantize: 1,
  Dequantize: 2,
  Requantize: 3,
  QAdd: 4,
  QAveragePool: 5,
  QGlobalAveragePool: 6,
  MaxPool: 7,
  GlobalMaxPool: 8,
  Concat: 9,
  Transpose: 10,
  Pad: 11,
  Reshape: 12,
  Flatten: 13,
  Squeeze: 14,
  Unsqueeze: 15,
  Identity: 16,
  Gather: 17,
  Conv: 32,
  Gemm: 33,
  MatMul: 34,
  Relu: 35,
  Clip: 36,
  LeakyRelu: 37,
  Sigmoid: 38,
  Softmax: 39,
  AveragePool: 40,
  GlobalAveragePool: 41,
  BatchNormalization: 42,
  LRN: 43,
  Add: 44,
  Sub: 45,
  Mul: 46,
  Div: 47,
  Sum: 48,
  Round: 49,
  Dropout: 50,
  Shape: 51,
  ConstantOfShape: 52,
  Constant: 53,
  Im2Col: 64,
  Lift: 65,
} as const satisfies Partial<Record<OpName, number>>;

export type HostOpName = keyof typeof HOST_FN;

const OP_OF_FN = new Map<number, HostOpName>(Object.entries(HOST_FN).map(([op, fn]) => [fn, op as HostOpName]));

export const isHostOp = (op: OpName): op is HostOpName => Object.prototype.hasOwnProperty.call(HOST_FN, op);

/** The op a function code selects, or undefined for an unknown code. */
export const hostOpOfFn = (fn: number): HostOpName | undefined => OP_OF_FN.get(fn);

// ---------------------------------------------------------------------------------------------------------
// Tensors in DRAM: dense, row-major, little-endian elements; int64 as 8-byte two's complement (the IR holds
// int64 in a Float64Array, exact up to 2^53), bool as one byte 0/1.

/** The bytes of a tensor as it is stored in DRAM (and in constants). */
export function tensorBytes(t: Tensor): Uint8Array {
  if (t.dtype === 'int64') {
    const out = new BigInt64Array(t.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = t.data[i]!;
      invariant(Number.isInteger(v), `int64 tensor holds the non-integer ${v} at element ${i}`);
      out[i] = BigInt(v);
    }
    return new Uint8Array(out.buffer);
  }
  const d = t.data;
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

/** A tensor from its DRAM bytes (a copy; `bytes` must hold exactly numel·element bytes). */
export function tensorFromBytes(dtype: DType, shape: readonly number[], bytes: Uint8Array): Tensor {
  const n = numel(shape);
  invariant(bytes.length === n * dtypeBytes(dtype), `tensor of ${dtype}[${shape.join(',')}] from ${bytes.length} bytes`);
  const copy = bytes.slice();
  if (dtype === 'int64') {
    const src = new BigInt64Array(copy.buffer, 0, n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
    return { dtype, shape: [...shape], data: out };
  }
  const data = newTensorData(dtype, 0);
  const Ctor = data.constructor as new (b: ArrayBuffer, o: number, n: number) => typeof data;
  return { dtype, shape: [...shape], data: new Ctor(copy.buffer, 0, n) };
}

// ---------------------------------------------------------------------------------------------------------
// Operand blocks (docs/host-ops.md, "Operand block"):
//   str node name
//   u8 input count, u8 output count
//   per input, then per output: u8 present (0 = absent optional operand, 1 = DRAM tensor);
//     if present: u8 dtype (ONNX code), u8 rank, u32 DRAM address, u32 dims[rank]
//   u16 attribute count; per attribute, in key order: str key, u8 kind, value
//     0 number: f64 | 1 number list: u32 count, f64[count] | 2 string: str | 3 bool: u8
//     4 tensor: u8 dtype, u8 rank, u32 dims[rank], u32 byte length, bytes (DRAM layout above)

/** A tensor in DRAM: where it starts and how to read it. */
export interface TensorRef {
  readonly addr: number;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** An attribute value as the IR holds it (ir/ops.ts): a number, a number list, a string, a bool or a tensor. */
export type HostAttr = number | readonly number[] | string | boolean | Tensor;

export interface HostOperands {
  /** The IR node's name, for messages. */
  readonly node: string;
  /** undefined: an absent optional input (the IR's ''). */
  readonly inputs: readonly (TensorRef | undefined)[];
  /** undefined: an output the graph does not use (the IR's ''). */
  readonly outputs: readonly (TensorRef | undefined)[];
  /** The node's attributes; undefined ones are left out. */
  readonly attrs: Readonly<Record<string, HostAttr>>;
}

const KIND_NUMBER = 0, KIND_LIST = 1, KIND_STRING = 2, KIND_BOOL = 3, KIND_TENSOR = 4;
const DTYPE_OF_CODE = new Map<number, DType>(Object.entries(ONNX_DTYPE_CODE).map(([d, c]) => [c, d as DType]));

const isTensor = (v: unknown): v is Tensor =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'dtype' in v && 'shape' in v && 'data' in v;

function writeShape(w: ByteWriter, dtype: DType, shape: readonly number[]): void {
  invariant(shape.length <= 255, `host operand of rank ${shape.length} (at most 255)`);
  w.u8(ONNX_DTYPE_CODE[dtype]);
  w.u8(shape.length);
}

/** The operand block of one HOST instruction. Deterministic: attributes are written in key order. */
export function encodeHostOperands(o: HostOperands): Uint8Array {
  const w = new ByteWriter();
  w.str(o.node);
  invariant(o.inputs.length <= 255 && o.outputs.length <= 255, `host op '${o.node}' has more than 255 operands`);
  w.u8(o.inputs.length);
  w.u8(o.outputs.length);
  for (const r of [...o.inputs, ...o.outputs]) {
    if (r === undefined) { w.u8(0); continue; }
    w.u8(1);
    writeShape(w, r.dtype, r.shape);
    w.u32(r.addr);
    for (const d of r.shape) w.u32(d);
  }
  const keys = Object.keys(o.attrs).filter((k) => o.attrs[k] !== undefined).sort();
  w.u16(keys.length);
  for (const key of keys) {
    invariant(key !== '__proto__', `host op '${o.node}' has an attribute named '__proto__'`);
    const v = o.attrs[key]!;
    w.str(key);
    if (typeof v === 'number') { w.u8(KIND_NUMBER); w.f64(v); }
    else if (typeof v === 'string') { w.u8(KIND_STRING); w.str(v); }
    else if (typeof v === 'boolean') { w.u8(KIND_BOOL); w.u8(v ? 1 : 0); }
    else if (isTensor(v)) {
      w.u8(KIND_TENSOR);
      writeShape(w, v.dtype, v.shape);
      for (const d of v.shape) w.u32(d);
      const bytes = tensorBytes(v);
      w.u32(bytes.length);
      w.bytes(bytes);
    } else {
      invariant(Array.isArray(v) && v.every((x) => typeof x === 'number'), `attribute '${key}' of host op '${o.node}' is not a number list`);
      w.u8(KIND_LIST);
      w.u32(v.length);
      for (const x of v) w.f64(x);
    }
  }
  return w.result();
}

/** Reads an operand block; errors name `where` (the machine prefixes the instruction). */
export function decodeHostOperands(bytes: Uint8Array, where = 'host operands'): HostOperands {
  const r = new ByteReader(bytes, where);
  const node = r.str('node name');
  const nIn = r.u8('input count'), nOut = r.u8('output count');
  const dtypeOf = (what: string): DType => {
    const code = r.u8(`${what} dtype`);
    const d = DTYPE_OF_CODE.get(code);
    if (d === undefined) fail(`${where}: ${what} has unknown dtype code ${code}`);
    return d;
  };
  const ref = (what: string): TensorRef | undefined => {
    const present = r.u8(`${what} presence`);
    if (present === 0) return undefined;
    if (present !== 1) fail(`${where}: ${what} presence byte is ${present}, must be 0 or 1`);
    const dtype = dtypeOf(what);
    const rank = r.u8(`${what} rank`);
    const addr = r.u32(`${what} address`);
    const shape: number[] = [];
    for (let i = 0; i < rank; i++) shape.push(r.u32(`${what} dim`));
    return { addr, dtype, shape };
  };
  const inputs = Array.from({ length: nIn }, (_, i) => ref(`input ${i}`));
  const outputs = Array.from({ length: nOut }, (_, i) => ref(`output ${i}`));
  const attrs: Record<string, HostAttr> = {};
  for (let i = 0, n = r.u16('attribute count'); i < n; i++) {
    const key = r.str('attribute name');
    // No IR attribute is called so, and assigning it would replace the object's prototype.
    if (key === '__proto__') fail(`${where}: attribute name '__proto__' is not allowed`);
    const kind = r.u8(`attribute '${key}' kind`);
    switch (kind) {
      case KIND_NUMBER: attrs[key] = r.f64(`attribute '${key}'`); break;
      case KIND_LIST: {
        const count = r.u32(`attribute '${key}' length`);
        if (count * 8 > r.remaining) fail(`${where}: attribute '${key}' claims ${count} numbers but only ${r.remaining} bytes are left`);
        const list: number[] = [];
        for (let k = 0; k < count; k++) list.push(r.f64(`attribute '${key}'`));
        attrs[key] = list;
        break;
      }
      case KIND_STRING: attrs[key] = r.str(`attribute '${key}'`); break;
      case KIND_BOOL: {
        const b = r.u8(`attribute '${key}'`);
        if (b > 1) fail(`${where}: bool attribute '${key}' is ${b}, must be 0 or 1`);
        attrs[key] = b === 1;
        break;
      }
      case KIND_TENSOR: {
        const dtype = dtypeOf(`attribute '${key}'`);
        const rank = r.u8(`attribute '${key}' rank`);
        const shape: number[] = [];
        for (let k = 0; k < rank; k++) shape.push(r.u32(`attribute '${key}' dim`));
        const length = r.u32(`attribute '${key}' byte length`);
        if (length !== numel(shape) * dtypeBytes(dtype)) fail(`${where}: tensor attribute '${key}' of ${dtype}[${shape.join(',')}] has ${length} bytes`);
        attrs[key] = tensorFromBytes(dtype, shape, r.bytes(length, `attribute '${key}' data`));
        break;
      }
      default: fail(`${where}: attribute '${key}' has unknown kind ${kind}`);
    }
  }
  if (r.remaining !== 0) fail(`${where}: ${r.remaining} unexpected bytes after the attributes`);
  return { node, inputs, outputs, attrs };
}

// ---------------------------------------------------------------------------------------------------------
// Cycle model of host operations (docs/host-ops.md, "Cycles"). The host is a small core next to the
// accelerator: each call costs a fixed dispatch, then it streams its operands over the same DRAM bus as the
// DMA queues while a HOST_LANES-wide SIMD unit does the arithmetic; the slower of the two decides.

/** Fixed cost of one HOST instruction: the handshake with the accelerator and the call. */
export const HOST_CALL_CYCLES = 100;
/** Element operations the host completes per cycle. */
export const HOST_LANES = 4;
/** Element operations charged per output element of a transcendental op (exp, pow, division). */
const TRANSCENDENTAL_OPS = 8;

/** What the cycle model needs of one operand. */
export interface OperandShape {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Bytes a host operation reads and writes (every present operand once). */
export function hostOpBytes(inputs: readonly (OperandShape | undefined)[], outputs: readonly (OperandShape | undefined)[]): number {
  let bytes = 0;
  for (const t of [...inputs, ...outputs]) if (t) bytes += numel(t.shape) * dtypeBytes(t.dtype);
  return bytes;
}

/** Element operations per output element of an op (0: pure data movement, bounded by the bus). */
function opsPerOutput(op: HostOpName, inputs: readonly (OperandShape | undefined)[], outputs: readonly (OperandShape | undefined)[], attrs: Readonly<Record<string, HostAttr>>): number {
  const inElems = inputs[0] ? numel(inputs[0].shape) : 0;
  const outElems = outputs[0] ? Math.max(1, numel(outputs[0].shape)) : 1;
  switch (op) {
    case 'Concat': case 'Transpose': case 'Pad': case 'Reshape': case 'Flatten': case 'Squeeze': case 'Unsqueeze':
    case 'Identity': case 'Gather': case 'Dropout': case 'Shape': case 'ConstantOfShape': case 'Constant':
    case 'Im2Col': case 'Lift':
      return 0;
    case 'MaxPool': case 'QAveragePool': case 'AveragePool': {
      const k = attrs.kernel_shape;
      return Array.isArray(k) ? k.reduce((a: number, b: number) => a * b, 1) : 1;
    }
    case 'GlobalMaxPool': case 'QGlobalAveragePool': case 'GlobalAveragePool':
      return Math.ceil(inElems / outElems);
    case 'Conv': {
      const w = inputs[1];
      return w ? numel(w.shape.slice(1)) : 1;
    }
    case 'Gemm': case 'MatMul': {
      // K multiply-adds per output, K = the reduction length of A.
      const a = inputs[0]?.shape ?? [];
      const k = op === 'Gemm' && attrs.transA === 1 ? a[0] : a[a.length - 1];
      return Math.max(1, k ?? 1);
    }
    case 'Sigmoid': case 'Softmax': case 'LRN': case 'Div':
      return TRANSCENDENTAL_OPS;
    case 'Sum':
      return Math.max(1, inputs.length - 1);
    case 'Quantize': case 'Dequantize': case 'Requantize': case 'QAdd': case 'Relu': case 'Clip': case 'LeakyRelu':
    case 'BatchNormalization': case 'Add': case 'Sub': case 'Mul': case 'Round':
      return 1;
  }
}

/**
 * Modeled cycles of one host operation: HOST_CALL_CYCLES + max(bus cycles, compute cycles), with
 * bus cycles = ceil(bytes read and written / dramBytesPerCycle) and
 * compute cycles = ceil(output elements · operations per output element / HOST_LANES).
 */
export function hostOpCycles(
  op: HostOpName, inputs: readonly (OperandShape | undefined)[], outputs: readonly (OperandShape | undefined)[],
  attrs: Readonly<Record<string, HostAttr>>, target: Target,
): number {
  const bus = Math.ceil(hostOpBytes(inputs, outputs) / target.dramBytesPerCycle);
  let outElems = 0;
  for (const t of outputs) if (t) outElems += numel(t.shape);
  const compute = Math.ceil((outElems * opsPerOutput(op, inputs, outputs, attrs)) / HOST_LANES);
  return HOST_CALL_CYCLES + Math.max(bus, compute);
}
