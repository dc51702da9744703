import type { Graph, QuantParams, ValueType } from '../../ir/graph.js';
import type { RequantAttrs } from '../../ir/ops.js';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { freshName } from '../query.js';

// Small pieces the lowering rules share: rows of constant tensors with their quant params, the requant
// attributes of a row range, and fresh names for the values and nodes a rule adds.

/** Per-channel quant params restricted to channels [start, start + count); per-tensor params unchanged. */
export function sliceQuant(q: QuantParams | undefined, start: number, count: number, axis: number): QuantParams | undefined {
  if (!q || q.scale.length === 1) return q;
  return { ...q, axis, scale: q.scale.slice(start, start + count), zeroPoint: q.zeroPoint.slice(start, start + count) };
}

/** Rows [start, start + count) of a constant, row-major, as a [count, rowLength] matrix. */
export function rowsOf(t: Tensor, start: number, count: number, rowLength: number): Tensor {
  // All of t (a conv without groups): t's data itself under the matrix shape. Tensors are never mutated, so
  // sharing is safe and saves a copy of every weight.
  if (start === 0 && count * rowLength === t.data.length) return { dtype: t.dtype, shape: [count, rowLength], data: t.data };
  return tensor(t.dtype, [count, rowLength], t.data.subarray(start * rowLength, (start + count) * rowLength));
}

/** Elements [start, start + count) of a 1-D constant. */
export const sliceVector = (t: Tensor, start: number, count: number): Tensor => tensor(t.dtype, [count], t.data.subarray(start, start + count));

/** The transpose of a 2-D constant. */
export function transposed(t: Tensor): Tensor {
  const [r, c] = [t.shape[0]!, t.shape[1]!];
  const out = tensor(t.dtype, [c, r]);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.data[j * r + i] = t.data[i * c + j]!;
  return out;
}

/** Requantization of rows [start, start + count): per-channel arrays sliced, per-tensor ones kept. */
export function sliceRequant(a: RequantAttrs, start: number, count: number): RequantAttrs {
  const per = a.multiplier.length !== 1;
  return {
    multiplier: per ? a.multiplier.slice(start, start + count) : [...a.multiplier],
    shift: per ? a.shift.slice(start, start + count) : [...a.shift],
    zeroPoint: a.zeroPoint, qmin: a.qmin, qmax: a.qmax,
  };
}

/** A value type with the given quant params (or none). */
export const typed = (dtype: ValueType['dtype'], shape: readonly number[], quant: QuantParams | undefined): ValueType =>
  (quant ? { dtype, shape, quant } : { dtype, shape });

/**
 * Fresh value and node names for one rewrite: based on the names of what is lowered, unique in the graph and
 * among each other.
 */
export class Names {
  private readonly taken = new Set<string>();
  private readonly nodeNames: Set<string>;

  constructor(private readonly g: Graph) {
    this.nodeNames = new Set(g.nodes.map((n) => n.name));
  }

  value(base: string): string {
    const v = freshName(this.g, base, this.taken);
    this.taken.add(v);
    return v;
  }

  node(base: string): string {
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }
}
