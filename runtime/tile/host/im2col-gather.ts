import type { HostOperands } from '../../../backend/host-ops.js';
import { im2colFill, im2colGeometry } from '../../../ir/im2col.js';
import type { Im2ColAttrs, Node } from '../../../ir/ops.js';
import { numel } from '../../../ir/tensor.js';

// The Im2Col host op as a table-driven gather between DRAM regions. The table is what im2colFill (the one
// definition of the layout, the one the reference kernel runs) writes when x holds its own element indices
// and padding is -1: entry i is the x element that output element i copies, or -1 for padValue. So the
// gather is the reference kernel's result by construction; only the per-element index arithmetic is done once.

export interface Im2ColGather {
  /** Gathers from DRAM to DRAM; false when this block needs the generic path (which then reports any error). */
  run(dram: Uint8Array): boolean;
}

/** A gather for a well-formed int8 Im2Col block, or undefined (the generic path handles and reports the rest). */
export function im2colGather(o: HostOperands, node: Node): Im2ColGather | undefined {
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
  const xBytes = numel(x.shape), yBytes = table.length;
  const xs = x.addr, ys = y.addr, pad = attrs.padValue & 0xff;
  // Overlapping x and y would make an element-by-element gather read what it already wrote.
  if (xs < ys + yBytes && ys < xs + xBytes) return undefined;
  return {
    run(dram) {
      if (xs + xBytes > dram.length || ys + yBytes > dram.length) return false;
      for (let i = 0; i < yBytes; i++) {
        const at = table[i]!;
        dram[ys + i] = at < 0 ? pad : dram[xs + at]!;
      }
      return true;
    },
  };
}
