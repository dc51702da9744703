import { fail } from './errors.js';
import type { Graph } from './graph.js';
import { OP_NAMES, type OpName } from './ops.js';

/** A stage spec: which ops may appear in a graph once the pipeline has reached this point. */
export interface Stage {
  readonly name: string;
  readonly allowed: ReadonlySet<OpName>;
  /** One line saying what the stage guarantees (shown when a graph violates it). */
  readonly describe: string;
}

/** A stage that allows every op except `removed`. Later stages are built from earlier ones this way. */
export function stageWithout(name: string, base: Stage | undefined, removed: readonly OpName[], describe: string): Stage {
  const allowed = new Set<OpName>(base ? base.allowed : OP_NAMES);
  for (const op of removed) allowed.delete(op);
  return { name, allowed, describe };
}

/** A stage that allows exactly `ops`. */
export function stageOnly(name: string, ops: readonly OpName[], describe: string): Stage {
  return { name, allowed: new Set(ops), describe };
}

/** Straight from the importer: any op the IR can hold. */
const imported = stageWithout('imported', undefined, [], 'any op the IR can hold, as imported from ONNX');

/**
 * After cleanup (constant folding, identity/dropout removal): no op that is a no-op at inference
 * and no Constant node (constants live in initializers).
 */
const float = stageWithout('float', imported, ['Identity', 'Dropout', 'Constant'], 'cleaned-up float graph: no Identity, Dropout or Constant nodes');

/** The ops with float (or ONNX-quantized) arithmetic that realization replaces by tilec's integer ops. */
export const REALIZED_AWAY: readonly OpName[] = [
  'Conv', 'Gemm', 'MatMul', 'ConvInteger', 'QLinearConv', 'MatMulInteger', 'QLinearMatMul', 'QuantizeLinear', 'DequantizeLinear',
];

/**
 * After realization (the int8 graph): every GEMM-like layer is a QConv/QGemm on int8 codes and every
 * (de)quantization a tilec Quantize/Dequantize, so no float GEMM and no ONNX quantization op remains.
 * The other ops stay allowed: float islands (Dequantize -> op -> Quantize) and int8 movement ops.
 */
const quantized = stageWithout('quantized', imported, REALIZED_AWAY,
  'realized int8 graph: every Conv/Gemm/MatMul is a QConv/QGemm on int8 codes and every (de)quantization a tilec Quantize/Dequantize, '
  + 'so no float GEMM (Conv, Gemm, MatMul) and no ONNX quantization op (ConvInteger, QLinearConv, MatMulInteger, QLinearMatMul, QuantizeLinear, DequantizeLinear) remains');

/**
 * After conv lowering (passes/lower): every QConv/QGemm is a TileGemm, the accelerator's GEMM with output
 * channels as rows, fed by Im2Col (or gathering implicitly) and read back by Lift or Transpose.
 */
const lowered = stageWithout('lowered', quantized, ['QConv', 'QGemm'],
  'lowered int8 graph: every QConv/QGemm is a TileGemm (with Im2Col, Lift, Transpose around it), so no QConv, QGemm or float Conv/Gemm/MatMul remains');

export const STAGES = { imported, float, quantized, lowered } as const satisfies Record<string, Stage>;

/** Throws a TilecError naming the first node whose op the stage does not allow. */
export function checkStage(g: Graph, stage: Stage): void {
  for (const node of g.nodes) {
    if (!stage.allowed.has(node.op)) {
      fail(`graph '${g.name}' violates stage '${stage.name}' (${stage.describe}): ${node.op} '${node.name}' is not allowed`);
    }
  }
}
