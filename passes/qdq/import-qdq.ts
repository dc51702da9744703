import { match } from 'ts-pattern';
import { unsupported } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/ops.js';
import type { Pass } from '../pass.js';
import { consumersOf, isGraphOutput, producerOf } from '../query.js';
import { applyRules } from '../rewrite.js';
import { constantValue } from './constants.js';
import { CODE_DTYPES, describeQuant, quantOperands, quantParamsOf } from './params.js';
import { QDQ_RULES } from './qdq-rules.js';
import { QOPERATOR_RULES } from './qoperator-rules.js';

// Already-quantized ONNX models (QDQ and QOperator formats) -> the float graph with every tensor's quant
// params, which annotate keeps (no re-calibration) and realize turns into QConv/QGemm/... . Runs before
// annotate; it may run before or after FLOAT_PIPELINE (scales as Constant nodes are read either way).
// Afterwards no ONNX quantization op is left: whatever the rules could not fold is reported, with the reason.

/** The ONNX quantization ops, in the order a leftover is reported: the first says most about why the rest is left. */
const ONNX_QUANT_OPS: readonly Node['op'][] = ['QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger', 'QuantizeLinear', 'DequantizeLinear'];

export const IMPORT_QDQ_RULES = [...QOPERATOR_RULES, ...QDQ_RULES];

export function importQdq(g: Graph, log?: (line: string) => void): Graph {
  // Every rule starts from one of these ops (floatMovement from a QuantizeLinear's codes): a float model has
  // nothing to import, and is not swept with every rule.
  if (!g.nodes.some((n) => ONNX_QUANT_OPS.includes(n.op))) return g;
  const out = applyRules(g, IMPORT_QDQ_RULES, { name: 'import-qdq', log });
  const left = ONNX_QUANT_OPS.map((op) => out.nodes.find((n) => n.op === op)).find((n) => n !== undefined);
  if (left) unsupported(`${left.op} '${left.name}' cannot be imported: ${whyLeft(out, left)}`);
  return out;
}

export const importQdqPass: Pass = { name: 'import-qdq', run: (g, ctx) => importQdq(g, ctx.log) };

/** Why a quantization op survived the rules (the rules decline silently; this names the culprit). */
function whyLeft(g: Graph, n: Node): string {
  const notConstant = n.inputs.slice(1).find((v) => v !== '' && (n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear' || n.op.startsWith('QLinear')) && !constantValue(g, v));
  if (notConstant) return `its scale/zero-point input '${notConstant}' is not a constant`;
  return match(n)
    .with({ op: 'DequantizeLinear' }, (d) => {
      const x = d.inputs[0]!, t = g.values.get(x)!;
      if (g.inputs.includes(x)) return `it reads graph input '${x}' (${t.dtype}); tilec programs take float32 inputs, so models whose inputs are already quantized are not supported`;
      if (!CODE_DTYPES.includes(t.dtype) && t.dtype !== 'int32') return `'${x}' is ${t.dtype}; only int8/uint8 codes (and int32 biases) are supported`;
      const p = producerOf(g, x);
      if (p && p.op !== 'QuantizeLinear') return `'${x}' comes from ${p.op} '${p.name}', not from a QuantizeLinear (only Q -> DQ pairs, constant weights and the QLinear/…Integer ops are imported)`;
      if (t.dtype === 'int32') return 'an int32 DequantizeLinear needs a zero point of 0';
      return `its parameters differ from those of the QuantizeLinear that produced '${x}'`;
    })
    .with({ op: 'QuantizeLinear' }, (q) => {
      const y = q.outputs[0]!, yt = g.values.get(y)!;
      if (!CODE_DTYPES.includes(yt.dtype)) return `it produces ${yt.dtype}; tilec imports 8-bit codes only`;
      if (isGraphOutput(g, y)) return `its output '${y}' is a graph output (${yt.dtype}); tilec programs return float32, so end the model with a DequantizeLinear`;
      const ops = quantOperands(g, q)!;
      const mine = describeQuant(quantParamsOf(ops, yt.dtype, g.values.get(q.inputs[0]!)!.shape));
      for (const r of consumersOf(g, y)) {
        if (r.op !== 'DequantizeLinear') return `its output '${y}' is read by ${r.op} '${r.name}'; only DequantizeLinear (or MaxPool/layout ops and QLinear ops) may read quantized codes`;
        const rOps = quantOperands(g, r);
        if (rOps) return `DequantizeLinear '${r.name}' reads '${y}' with ${describeQuant(quantParamsOf(rOps, yt.dtype, g.values.get(y)!.shape))}, but it was quantized with ${mine}`;
      }
      return `its output '${y}' is not read by a DequantizeLinear`;
    })
    .with({ op: 'QLinearMatMul' }, () => 'only per-tensor scales of A and per-tensor or per-column (1-D) scales of B are supported')
    .with({ op: 'ConvInteger' }, { op: 'MatMulInteger' }, (m) =>
      `only the form QuantizeLinear(x) -> ${m.op} (constant weights) -> DequantizeLinear(int32 sum, per-tensor or per-output-channel scale, zero point 0) is supported, with the x zero point equal to the QuantizeLinear's`)
    .otherwise(() => 'it is not in a supported form');
}
