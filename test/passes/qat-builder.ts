// ONNX graphs shaped exactly like torch.onnx.export (torch 1.13, opset 13) writes the seed's QAT quantizer
// (examples/qat_mnist/README.md lists the real export): scalars as Constant nodes, the straight-through
// estimator as Round -> Sub -> Add, the weight's Div folded into an initializer.
import { seedStep } from '../../ir/arith.js';
import type { NodeSpec, TensorSpec } from '../helpers/onnx-builder.js';

const constant = (name: string, v: number): NodeSpec =>
  ({ op: 'Constant', name, inputs: [], outputs: [name], attrs: { value: { dtype: 'float32', shape: [], data: [v] } } });

export interface QuantizerSpec { readonly alpha: number; readonly bits: number; readonly alwaysPos: boolean }

/** x -> [Sub(alpha)] -> Div(step) -> Round -> Sub -> Add -> Clip(Qn, Qp) -> Mul(step) -> [Add(alpha)] -> out. */
export function activationQuantizer(p: string, x: string, out: string, q: QuantizerSpec): NodeSpec[] {
  const step = seedStep(q.alpha, q.bits);
  const nodes: NodeSpec[] = [];
  let v = x;
  if (q.alwaysPos) {
    nodes.push(constant(`${p}/alpha`, q.alpha), { op: 'Sub', name: `${p}/Sub`, inputs: [x, `${p}/alpha`], outputs: [`${p}/Sub_out`] });
    v = `${p}/Sub_out`;
  }
  nodes.push(constant(`${p}/step`, step), { op: 'Div', name: `${p}/Div`, inputs: [v, `${p}/step`], outputs: [`${p}/Div_out`] });
  nodes.push(...roundToMul(p, `${p}/Div_out`, q.bits, step, q.alwaysPos ? `${p}/Mul_out` : out));
  if (q.alwaysPos) {
    nodes.push(constant(`${p}/alpha2`, q.alpha), { op: 'Add', name: `${p}/Add_1`, inputs: [`${p}/Mul_out`, `${p}/alpha2`], outputs: [out] });
  }
  return nodes;
}

/** Round -> Sub(r, v) -> Add(d, v) -> Clip(Qn, Qp) -> Mul(step). */
export function roundToMul(p: string, v: string, bits: number, step: number, out: string): NodeSpec[] {
  return [
    { op: 'Round', name: `${p}/Round`, inputs: [v], outputs: [`${p}/Round_out`] },
    { op: 'Sub', name: `${p}/Sub_1`, inputs: [`${p}/Round_out`, v], outputs: [`${p}/Ste_sub`] },
    { op: 'Add', name: `${p}/Add`, inputs: [`${p}/Ste_sub`, v], outputs: [`${p}/Ste_out`] },
    constant(`${p}/Qn`, -(2 ** (bits - 1))), constant(`${p}/Qp`, 2 ** (bits - 1) - 1),
    { op: 'Clip', name: `${p}/Clip`, inputs: [`${p}/Ste_out`, `${p}/Qn`, `${p}/Qp`], outputs: [`${p}/Clip_out`] },
    constant(`${p}/step_mul`, step),
    { op: 'Mul', name: `${p}/Mul`, inputs: [`${p}/Clip_out`, `${p}/step_mul`], outputs: [out] },
  ];
}

/** A weight w quantized with alpha = max|w| (torch folds w/step into the initializer `${p}/w_div_step`). */
export function weightQuantizer(p: string, w: TensorSpec, bits: number, out: string, alpha?: number): { init: TensorSpec; nodes: NodeSpec[]; step: number } {
  const a = alpha ?? Math.max(...Array.from(w.data, Math.abs));
  const step = seedStep(Math.fround(a), bits);
  const init: TensorSpec = { name: `${p}/w_div_step`, dtype: 'float32', shape: w.shape, data: Array.from(w.data, (v) => Math.fround(Math.fround(v) / step)) };
  return { init, nodes: roundToMul(p, init.name!, bits, step, out), step };
}
