import type { HostOperands, HostOpName } from '../../../backend/host-ops.js';
import type { Node } from '../../../ir/ops.js';
import { qAveragePoolFastPath, qGlobalAveragePoolFastPath } from './average-pool.js';
import { im2colGather, type HostGather } from './im2col-gather.js';
import { maxPoolGather } from './maxpool-gather.js';
import { qAddFastPath } from './qadd-table.js';
import { quantizeFastPath } from './quantize-op.js';
import { dequantizeTable, requantizeTable } from './table-ops.js';
import { transposeGather } from './transpose-gather.js';

// Host ops that have a fast path over DRAM for their common, well-formed blocks (docs/host-ops.md, "Fast
// paths"). Each is built once per operand block from the block alone (program data: attributes, shapes,
// addresses — never DRAM contents) and computes exactly what the op's reference kernel computes; a block it
// does not cover, or a run where it answers false, takes the generic path (the reference kernel itself).

const FAST_PATHS: Partial<Record<HostOpName, (o: HostOperands, node: Node) => HostGather | undefined>> = {
  Im2Col: im2colGather,
  MaxPool: maxPoolGather,
  QAdd: qAddFastPath,
  QAveragePool: qAveragePoolFastPath,
  QGlobalAveragePool: qGlobalAveragePoolFastPath,
  Requantize: requantizeTable,
  Dequantize: dequantizeTable,
  Quantize: quantizeFastPath,
  Transpose: transposeGather,
};

/** The fast path of a decoded block of `op`, or undefined when the generic path must run it. */
export function hostFastPath(op: HostOpName, o: HostOperands, node: Node): HostGather | undefined {
  return FAST_PATHS[op]?.(o, node);
}
