import { unsupported } from '../../ir/errors.js';
import { windowGeometry } from '../../ir/geometry.js';
import { type Graph, type ValueType, valueType } from '../../ir/graph.js';
import { nodeLabel } from '../../ir/infer.js';
import type { Im2ColAttrs, Node, NodeOf, TileGemmAttrs } from '../../ir/ops.js';
import { type Tensor, numel } from '../../ir/tensor.js';
import type { RewriteResult } from '../rewrite.js';
import { constantOf } from '../query.js';
import { checkAccumulators, codeRange } from './accumulator.js';
import type { Im2ColMode } from './options.js';
import { Names, rowsOf, sliceQuant, sliceRequant, sliceVector, typed } from './parts.js';

// QConv -> per group: Im2Col + TileGemm (or one gathering TileGemm), then one Lift (docs/lowering.md).
// The seed's lowering: weights [O, C/g, k...] become the row-major matrix [O, C/g·Πk] (a reshape), the input
// becomes the patch matrix [C/g·Πk, N·Πout], and the [O, N·Πout] product is lifted back to [N, O, out...].

/** The QConv's constant weight and bias, or an UnsupportedError naming the node. */
function constants(g: Graph, n: NodeOf<'QConv'>): { w: Tensor; bias: Tensor | undefined } {
  const w = constantOf(g, n.inputs[1]!);
  if (!w) unsupported(`${nodeLabel(n)}: weight '${n.inputs[1]}' is not a constant; the accelerator's GEMM needs constant weights`);
  const b = n.inputs[2] ?? '';
  const bias = b === '' ? undefined : constantOf(g, b);
  if (b !== '' && !bias) unsupported(`${nodeLabel(n)}: bias '${b}' is not a constant`);
  return { w, bias };
}

export function lowerQConvNode(n: NodeOf<'QConv'>, g: Graph, mode: Im2ColMode): RewriteResult {
  const who = nodeLabel(n);
  const [x, wName] = [n.inputs[0]!, n.inputs[1]!];
  const biasName = n.inputs[2] ?? '';
  const y = n.outputs[0]!;
  const xt = valueType(g, x), wt = valueType(g, wName), yt = valueType(g, y);
  const { w, bias } = constants(g, n);
  const a = n.attrs, G = a.group;
  const kernel = w.shape.slice(2);
  const geo = windowGeometry(xt.shape.slice(2), kernel, a, who);
  const [O, Cg] = [w.shape[0]!, w.shape[1]!];
  const Og = O / G, K = Cg * numel(kernel), cols = xt.shape[0]! * numel(geo.out);
  const codes = codeRange(xt);
  const names = new Names(g);
  const suffix = (gi: number): string => (G === 1 ? '' : `:g${gi}`);

  const replace: Node[] = [];
  const newValues = new Map<string, ValueType>();
  const newInitializers = new Map<string, Tensor>();
  const lifted: string[] = [];
  for (let gi = 0; gi < G; gi++) {
    const rows = rowsOf(w, gi * Og, Og, K);
    const aName = names.value(`${wName}:A${suffix(gi)}`);
    newInitializers.set(aName, rows);
    newValues.set(aName, typed('int8', rows.shape, sliceQuant(wt.quant, gi * Og, Og, 0)));

    // With one group the bias is already one value per GEMM row.
    let bName = biasName;
    const groupBias = bias && G > 1 ? sliceVector(bias, gi * Og, Og) : bias;
    if (bias && G > 1) {
      bName = names.value(`${biasName}${suffix(gi)}`);
      newInitializers.set(bName, groupBias!);
      newValues.set(bName, typed('int32', [Og], sliceQuant(valueType(g, biasName).quant, gi * Og, Og, 0)));
    }
    checkAccumulators(who, rows, groupBias, codes, (m) => `output channel ${gi * Og + m}${G > 1 ? ` (group ${gi})` : ''}`);

    const im2col: Im2ColAttrs = {
      kernel_shape: kernel, strides: geo.strides, pads: [...geo.padsBegin, ...geo.padsEnd], dilations: geo.dilations,
      padValue: a.padValue, channelStart: gi * Cg, channels: Cg,
    };
    let bInput = x;
    if (mode === 'explicit') {
      bInput = names.value(`${y}:im2col${suffix(gi)}`);
      replace.push({ op: 'Im2Col', name: names.node(`${n.name}:im2col${suffix(gi)}`), inputs: [x], outputs: [bInput], attrs: im2col });
      newValues.set(bInput, typed('int8', [K, cols], xt.quant));
    }
    const out = names.value(`${y}:gemm${suffix(gi)}`);
    const attrs: TileGemmAttrs = { ...sliceRequant(a, gi * Og, Og), ...(mode === 'implicit' ? { gather: 'im2col', ...im2col } : { gather: 'none' }) };
    replace.push({ op: 'TileGemm', name: names.node(`${n.name}:gemm${suffix(gi)}`), inputs: bName === '' ? [aName, bInput] : [aName, bInput, bName], outputs: [out], attrs });
    newValues.set(out, typed('int8', [Og, cols], yt.quant));
    lifted.push(out);
  }
  replace.push({ op: 'Lift', name: names.node(`${n.name}:lift`), inputs: lifted, outputs: [y], attrs: { spatial: geo.out } });
  return { replace, newValues, newInitializers };
}
