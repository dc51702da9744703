import type { ValueType } from '../graph.js';
import type { NodeOf } from '../ops.js';
import { shapeStr } from '../tensor.js';
import { INDEX, type InferCtx, count, vt } from './context.js';

// Ops that move, reshape or create data without arithmetic. Several need a constant input
// (Reshape's shape, opset-13 axes, opset-11 pads, ConstantOfShape's shape).

export function inferConcat(n: NodeOf<'Concat'>, c: InferCtx): ValueType[] {
  if (n.inputs.length < 1) c.fail('needs at least one input');
  const first = c.input(0, 'inputs_0');
  const r = first.shape.length;
  if (r < 1) c.fail('cannot concatenate scalars (input 0 has rank 0)');
  const axis = c.axis(n.attrs.axis, r);
  const out = [...first.shape];
  for (let i = 1; i < n.inputs.length; i++) {
    const t = c.input(i, `inputs_${i}`);
    c.sameDtype(t, i, `inputs_${i}`, first, 'input 0');
    if (t.shape.length !== r) c.fail(`input ${i} has rank ${t.shape.length} (shape ${shapeStr(t.shape)}) but input 0 has rank ${r} (shape ${shapeStr(first.shape)})`);
    for (let d = 0; d < r; d++) {
      if (d !== axis && t.shape[d] !== first.shape[d]) c.fail(`input ${i} has shape ${shapeStr(t.shape)} but input 0 has ${shapeStr(first.shape)}; they may differ only along axis ${axis}`);
    }
    out[axis]! += t.shape[axis]!;
  }
  return [vt(first.dtype, out)];
}

/** Flatten to 2-D at `axis` in [-r, r]: [prod(shape[:axis]), prod(shape[axis:])]. */
export function inferFlatten(n: NodeOf<'Flatten'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'input');
  const axis = c.axis(n.attrs.axis, x.shape.length, 'axis', true);
  return [vt(x.dtype, [count(x.shape.slice(0, axis)), count(x.shape.slice(axis))])];
}

/** Reshape: 0 copies the input extent (unless allowzero), one -1 is inferred from the element count. */
export function inferReshape(n: NodeOf<'Reshape'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'data');
  const spec = c.intList(1, 'shape');
  const allowzero = n.attrs.allowzero !== 0;
  const out = spec.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= x.shape.length) c.fail(`shape ${shapeStr(spec)} copies dim ${i} (a 0) but the input ${shapeStr(x.shape)} has rank ${x.shape.length}`);
      return x.shape[i]!;
    }
    if (d < -1 || !Number.isInteger(d)) c.fail(`shape ${shapeStr(spec)} has an invalid entry ${d}`);
    return d;
  });
  const inferred = out.flatMap((d, i) => (d === -1 ? [i] : []));
  if (inferred.length > 1) c.fail(`shape ${shapeStr(spec)} has more than one -1`);
  if (allowzero && inferred.length === 1 && spec.includes(0)) c.fail(`shape ${shapeStr(spec)} mixes -1 with a literal 0 under allowzero=1`);
  const total = count(x.shape);
  if (inferred.length === 1) {
    const known = count(out.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) c.fail(`cannot reshape ${shapeStr(x.shape)} (${total} elements) to ${shapeStr(spec)}: ${total} is not a multiple of ${known}`);
    out[inferred[0]!] = total / known;
  } else if (count(out) !== total) {
    c.fail(`cannot reshape ${shapeStr(x.shape)} (${total} elements) to ${shapeStr(spec)} (${count(out)} elements)`);
  }
  return [vt(x.dtype, out)];
}

export function inferTranspose(n: NodeOf<'Transpose'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'data');
  const r = x.shape.length;
  const perm = n.attrs.perm ?? x.shape.map((_, i) => r - 1 - i);
  const seen = new Set(perm);
  if (perm.length !== r || seen.size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r)) {
    c.fail(`perm [${perm.join(',')}] is not a permutation of the ${r} axes of ${shapeStr(x.shape)}`);
  }
  return [vt(x.dtype, perm.map((p) => x.shape[p]!))];
}

/** Axes come from the attribute (opset < 13) or constant input 1; undefined when neither is given. */
function axesOf(n: NodeOf<'Squeeze' | 'Unsqueeze'>, c: InferCtx): number[] | undefined {
  if (c.has(1)) {
    if (n.attrs.axes) c.fail('axes are given both as an attribute and as input 1');
    return c.intList(1, 'axes');
  }
  return n.attrs.axes ? [...n.attrs.axes] : undefined;
}

/** Squeeze: removes the given size-1 axes, or every size-1 axis when no axes are given. */
export function inferSqueeze(n: NodeOf<'Squeeze'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'data');
  const given = axesOf(n, c);
  const drop = given ? c.axes(given, x.shape.length) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of drop) {
    if (x.shape[a] !== 1) c.fail(`cannot squeeze axis ${a} of extent ${x.shape[a]} (shape ${shapeStr(x.shape)})`);
  }
  return [vt(x.dtype, x.shape.filter((_, i) => !drop.includes(i)))];
}

/** Unsqueeze: axes index the *output*, whose rank is input rank + number of axes. */
export function inferUnsqueeze(n: NodeOf<'Unsqueeze'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'data');
  const given = axesOf(n, c);
  if (!given) c.fail('needs axes (attribute or input 1)');
  const r = x.shape.length + given.length;
  const insert = new Set(c.axes(given, r));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(insert.has(i) ? 1 : x.shape[k++]!);
  return [vt(x.dtype, out)];
}

/**
 * Pad: pads [b_0..b_{r-1}, e_0..e_{r-1}] from the attribute (opset < 11) or constant input 1,
 * optionally restricted to `axes` (input 3, opset 18). Negative pads crop.
 */
export function inferPad(n: NodeOf<'Pad'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'data');
  const r = x.shape.length;
  let pads: readonly number[];
  if (c.has(1)) {
    if (n.attrs.pads) c.fail('pads are given both as an attribute and as input 1');
    pads = c.intList(1, 'pads');
  } else if (n.attrs.pads) {
    pads = n.attrs.pads;
  } else {
    return c.fail('needs pads (attribute or input 1)');
  }
  const value = c.optional(2, 'constant_value');
  if (value) {
    c.sameDtype(value, 2, 'constant_value', x, 'input 0 (data)');
    if (count(value.shape) !== 1 || value.shape.length > 1) c.fail(`input 2 (constant_value) must be a scalar, got shape ${shapeStr(value.shape)}`);
  }
  const axes = c.has(3) ? c.axes(c.intList(3, 'axes'), r) : x.shape.map((_, i) => i);
  if (pads.length !== 2 * axes.length) c.fail(`pads [${pads.join(',')}] has ${pads.length} values, expected ${2 * axes.length} (2 per padded axis)`);
  const out = [...x.shape];
  axes.forEach((a, j) => {
    const [b, e] = [pads[j]!, pads[j + axes.length]!];
    if (!Number.isInteger(b) || !Number.isInteger(e)) c.fail(`pads [${pads.join(',')}] must be integers`);
    out[a] = x.shape[a]! + b + e;
    if (out[a]! < 0) c.fail(`pads [${pads.join(',')}] crop axis ${a} of extent ${x.shape[a]} below zero`);
  });
  return [vt(x.dtype, out)];
}

/** Shape: the input's dims [start, end) as a 1-D int64 tensor; out-of-range bounds clamp. */
export function inferShape(n: NodeOf<'Shape'>, c: InferCtx): ValueType[] {
  const x = c.input(0, 'data');
  const r = x.shape.length;
  const clamp = (v: number): number => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  const start = clamp(n.attrs.start), end = clamp(n.attrs.end ?? r);
  return [vt('int64', [Math.max(0, end - start)])];
}

/** Gather along `axis`: data[:axis] + indices.shape + data[axis+1:]. */
export function inferGather(n: NodeOf<'Gather'>, c: InferCtx): ValueType[] {
  const data = c.input(0, 'data'), idx = c.input(1, 'indices');
  c.dtype(idx, 1, 'indices', INDEX);
  c.rank(data, 0, 'data', (r) => r >= 1, 'rank >= 1');
  const axis = c.axis(n.attrs.axis, data.shape.length);
  const extent = data.shape[axis]!;
  // A run-time index is checked by the kernel; a constant one can be rejected now.
  const known = c.maybeConstant(1);
  if (known) {
    for (const v of known.data) if (v < -extent || v >= extent) c.fail(`index ${v} is out of range [${-extent}, ${extent - 1}] for axis ${axis} of ${shapeStr(data.shape)}`);
  }
  return [vt(data.dtype, [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)])];
}

export function inferConstant(n: NodeOf<'Constant'>, c: InferCtx): ValueType[] {
  if (n.inputs.length > 0) c.fail(`takes no inputs, got ${n.inputs.length}`);
  return [vt(n.attrs.value.dtype, n.attrs.value.shape)];
}

/** ConstantOfShape: the shape is a constant 1-D int64 input; the dtype is the value's (float32 by default). */
export function inferConstantOfShape(n: NodeOf<'ConstantOfShape'>, c: InferCtx): ValueType[] {
  const shape = c.intList(0, 'input');
  for (const d of shape) if (d < 0 || !Number.isInteger(d)) c.fail(`shape ${shapeStr(shape)} has a negative or fractional extent ${d}`);
  const v = n.attrs.value;
  if (v && v.data.length !== 1) c.fail(`value must hold exactly one element, got shape ${shapeStr(v.shape)}`);
  return [vt(v?.dtype ?? 'float32', shape)];
}
