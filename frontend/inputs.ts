import type onnxProto from 'onnx-proto';
import { fail, unsupported } from '../ir/errors.js';
import type { ValueType } from '../ir/graph.js';
import { toSafeInt } from './int64.js';
import { dtypeOfCode } from './tensor-proto.js';

// Graph input types. The IR is fully static, so every symbolic or unknown dim is fixed here: from the
// user's --input-shape, or 1 with a warning.

type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** A model dimension: a fixed extent, or a named/unknown one to be chosen. */
type Dim = number | string;

function tensorTypeOf(v: IValueInfoProto, who: string): onnxProto.onnx.TypeProto.ITensor {
  const t = v.type;
  if (!t) fail(`${who} has no type`);
  if (!t.tensorType) unsupported(`${who} is not a tensor (sequence, map, optional and sparse inputs are not supported)`);
  return t.tensorType;
}

/** Dims as declared: numbers for dim_value (0 included), the dim_param (or '?') for dynamic ones. */
function declaredDims(tt: onnxProto.onnx.TypeProto.ITensor, who: string): Dim[] | undefined {
  if (!tt.shape) return undefined;
  return (tt.shape.dim ?? []).map((d, i) => {
    if (d.dimValue === undefined || d.dimValue === null) return d.dimParam || '?';
    const v = toSafeInt(d.dimValue, () => `${who} dim ${i}`);
    if (v < 0) fail(`${who} has a negative dimension ${v} at axis ${i}`);
    return v;
  });
}

/** The type of a real graph input, with symbolic dims resolved. */
export function inputType(
  v: IValueInfoProto, override: readonly number[] | undefined, warn: (m: string) => void,
): ValueType {
  const name = v.name ?? '';
  const who = `graph input '${name}'`;
  const tt = tensorTypeOf(v, who);
  const dtype = dtypeOfCode(tt.elemType ?? 0, who);
  const dims = declaredDims(tt, who);
  if (override) {
    if (override.some((d) => !Number.isSafeInteger(d) || d < 1)) fail(`--input-shape ${name}=${override.join(',')}: dims must be positive integers`);
    if (dims === undefined) return { dtype, shape: [...override] };
    if (dims.length !== override.length) {
      fail(`--input-shape ${name}=${override.join(',')} has rank ${override.length} but ${who} has rank ${dims.length} (${dimsStr(dims)})`);
    }
    dims.forEach((d, i) => {
      // A declared 0 may be overridden: some exporters write 0 where they mean "unknown".
      if (typeof d === 'number' && d !== 0 && d !== override[i]) {
        fail(`--input-shape ${name}=${override.join(',')} sets axis ${i} to ${override[i]}, but the model fixes it at ${d} (${dimsStr(dims)})`);
      }
    });
    return { dtype, shape: [...override] };
  }
  if (dims === undefined) fail(`${who} has no shape; give one with --input-shape ${name}=D0,D1,...`);
  const dynamic = dims.filter((d): d is string => typeof d === 'string');
  if (dynamic.length > 0) {
    warn(`${who} has dynamic dims ${dimsStr(dims)}; using 1 for ${dynamic.join(', ')} (set them with --input-shape ${name}=D0,D1,...)`);
  }
  // ONNX says dim_value 0 is an empty extent (the backend tests feed such inputs), but some exporters
  // mean "unknown" by it, so it is kept and flagged.
  if (dims.includes(0)) {
    warn(`${who} has a 0 extent in ${dimsStr(dims)}, i.e. it is empty; if the exporter meant a dynamic dim, set it with --input-shape ${name}=D0,D1,...`);
  }
  return { dtype, shape: dims.map((d) => (typeof d === 'number' ? d : 1)) };
}

const dimsStr = (dims: readonly Dim[]): string => `[${dims.join(',')}]`;

/** The declared element type and dims of a graph output (undefined where not declared). */
export function declaredOutput(v: IValueInfoProto): { dtypeCode: number; dims?: Dim[] } {
  const who = `graph output '${v.name ?? ''}'`;
  const tt = v.type?.tensorType;
  if (v.type && !tt) unsupported(`${who} is not a tensor (sequence, map, optional and sparse outputs are not supported)`);
  if (!tt) return { dtypeCode: 0 };
  const dims = declaredDims(tt, who);
  return dims === undefined ? { dtypeCode: tt.elemType ?? 0 } : { dtypeCode: tt.elemType ?? 0, dims };
}

/** Fails unless a concrete tensor fits a graph input's declared type: dtype, rank and fixed dims. */
export function checkFitsInput(v: IValueInfoProto, t: { readonly dtype: string; readonly shape: readonly number[] }, who: string): void {
  const inputWho = `graph input '${v.name ?? ''}'`;
  const tt = tensorTypeOf(v, inputWho);
  const dtype = dtypeOfCode(tt.elemType ?? 0, inputWho);
  const dims = declaredDims(tt, inputWho);
  const fits = t.dtype === dtype && (dims === undefined ||
    (dims.length === t.shape.length && dims.every((d, i) => typeof d === 'string' || d === t.shape[i])));
  if (!fits) fail(`${who} is ${t.dtype}[${t.shape.join(',')}] but the model declares ${dtype}${dims ? dimsStr(dims) : ''}`);
}
