import type { HostOperands } from '../../../backend/host-ops.js';
import { im2colFill, im2colGeometry } from '../../../ir/im2col.js';
import type { Im2ColAttrs, Node } from '../../../ir/ops.js';
import { numel } from '../../../ir/tensor.js';

// The Im2Col host op as a table-driven gather between DRAM regions. The table is what im2colFill (the one
// definition of the layout, the one the reference kernel runs) writes when x holds its own element indices
// and padding is -1: entry i is the x element that output element i copies, or -1 for padValue. So the
// gather is the reference kernel's result by construction; only the per-element index arithmetic is done once.

/** A host op run as a precomputed gather between DRAM regions (Im2Col here, MaxPool in maxpool-gather.ts). */
export interface HostGather {
  /** Gathers from DRAM to DRAM; false when this block needs the generic path (which then reports any error). */
  run(dram: Uint8Array): boolean;
}

/** A gather for a well-formed int8 Im2Col block, or undefined (the generic path handles and reports the rest). */
export function im2colGather(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || o.outputs.length !== 1 || !x || !y || x.dtype !== 'int8' || y.dtype !== 'int8') return undefined;
  const attrs = (node as unknown as { attrs: Im2ColAttrs }).attrs;
  let table: Int32Array;
  try {
    const g = im2colGeometry(x.shape, attrs, 'Im2Col');
    if (y.shape.length !== 2 || y.shape[0] !== g.rows || y.shape[1] !== g.cols) return undefined;
    const n = numel(x.shape);
    const iota = new Int32Array(n);
    for (let i = 0; i < n; i++) iota[i] = i;
    table = new Int32Array(g.rows * g.cols);
    im2colFill(g, iota, -1, table);
  } catch {
    return undefined; // the generic path raises the same error with the node's name
  }
  return tableGather(x.addr, numel(x.shape), y.addr, table, attrs.padValue & 0xff);
}

/**
 * A byte gather from x (xBytes bytes at xs) to y (at ys): y[i] = x[table[i]], or `pad` where table[i] < 0.
 * Undefined when x and y overlap (an element-by-element gather would read what it already wrote).
 */
export function tableGather(xs: number, xBytes: number, ys: number, table: Int32Array, pad: number): HostGather | undefined {
  const yBytes = table.length;
  if (xs < ys + yBytes && ys < xs + xBytes) return undefined;
  const segments = runsOf(table);
  return {
    run(dram) {
      if (xs + xBytes > dram.length || ys + yBytes > dram.length) return false;
      for (let k = 0; k < segments.length; k += 3) {
        const to = ys + segments[k]!, from = segments[k + 1]!, length = segments[k + 2]!;
        if (from < 0) dram.fill(pad, to, to + length);
        else if (length >= LONG_RUN) dram.copyWithin(to, xs + from, xs + from + length);
        else for (let j = 0; j < length; j++) dram[to + j] = dram[xs + from + j]!;
      }
      return true;
    },
  };
}

/** Runs at least this long are copied with copyWithin; shorter ones element by element. */
const LONG_RUN = 24;

/**
 * The table as runs (output offset, x offset or -1 for padding, length): consecutive outputs reading
 * consecutive x elements, or all padding. Applying the runs in order writes exactly what the table says.
 */
function runsOf(table: Int32Array): Int32Array {
  const runs: number[] = [];
  for (let i = 0; i < table.length;) {
    const first = table[i]!;
    let n = 1;
    if (first < 0) while (i + n < table.length && table[i + n]! < 0) n++;
    else while (i + n < table.length && table[i + n] === first + n) n++;
    runs.push(i, first < 0 ? -1 : first, n);
    i += n;
  }
  return Int32Array.from(runs);
}
