import { match } from 'ts-pattern';
import { qRange, roundHalfEven, saturate } from '../../ir/arith.js';
import { unsupported } from '../../ir/errors.js';
import { type Graph, type QuantParams, valueType } from '../../ir/graph.js';
import { numel, tensor } from '../../ir/tensor.js';
import type { Pass } from '../pass.js';
import { isGraphOutput } from '../query.js';
import { applyRules, type RewriteResult, type Rule } from '../rewrite.js';
import { withQuant } from '../qdq/params.js';
import { type QuantizerChain, quantizerChain } from './quantizer-chain.js';

// A model trained with the seed's QAT quantizer carries its quantization in the graph: each quantizer chain
// (quantizer-chain.ts) says exactly how one tensor is quantized. import-qat replaces every chain by its
// value with those parameters in ValueType.quant, so annotate keeps them (no calibration) and realize
// builds the int8 graph the model was trained for:
// - activation: the chain goes, x carries { scale: step, zeroPoint, bits }; readers of x_hat read x;
// - weight: x_hat becomes a float constant — exactly the fake-quantized weight torch computed — whose codes
//   clamp(round(w/step)) are exact through its params.
// Must run before FLOAT_PIPELINE: constant folding would evaluate a weight chain into plain floats.

/**
 * The chain's (scale, zero point) over signed B-bit codes (2^B = Clip's range). Codes are stored shifted to
 * [Qn, Qp] (shift = Qn − lo; 0 for the seed), and x_hat = step·(q + off/step) gives zeroPoint = shift − off/step,
 * which must be an integer: −2^(B−1) for the seed's always_pos (off = alpha = 2^(B−1)·step exactly), 0 otherwise.
 * For such an off the forms round((x − off)/step) and round(x/step) − off/step agree for every real x when
 * off/step is even (docs/arithmetic.md section 5); evaluated in float32 they can differ on near-ties.
 */
function chainParams(c: QuantizerChain, who: string): QuantParams {
  const levels = c.hi - c.lo + 1;
  const bits = Math.log2(levels);
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) {
    unsupported(`${who}: Clip bounds [${c.lo}, ${c.hi}] give ${levels} codes; tilec quantizes to 2^B codes with B in 2..8`);
  }
  const [qmin, qmax] = qRange(bits, true);
  const shift = qmin - c.lo;
  const steps = c.offset / c.step;
  if (!Number.isInteger(steps)) {
    unsupported(`${who}: offset ${c.offset} is ${steps} steps of ${c.step}, not a whole number, so real 0 has no integer zero point`);
  }
  const zeroPoint = shift - steps;
  if (zeroPoint < qmin || zeroPoint > qmax) {
    unsupported(`${who}: offset ${c.offset} with step ${c.step} puts the zero point at ${zeroPoint}, outside the ${bits}-bit codes [${qmin}, ${qmax}]`);
  }
  return { scale: [c.step], zeroPoint: [zeroPoint], bits };
}

/** A weight chain: x_hat as torch computes it, f32(f32(q·step) + off), q = clamp(round(w/step)), as a constant. */
function weightResult(c: QuantizerChain, quant: QuantParams): RewriteResult {
  const pre = c.preRound!;
  const values = tensor('float32', pre.shape);
  for (let i = 0; i < numel(pre.shape); i++) {
    const q = saturate(roundHalfEven(pre.data[i]!), c.lo, c.hi);
    values.data[i] = Math.fround(Math.fround(q * c.step) + c.offset);
  }
  return {
    replace: [],
    remove: c.nodes,
    newInitializers: new Map([[c.output, values]]),
    newValues: new Map([[c.output, { dtype: 'float32', shape: pre.shape, quant }]]),
  };
}

/**
 * An activation chain: readers of x_hat read x, which carries the params (or x's producer defines a graph
 * output x_hat). undefined when x_hat is a graph output and x a graph input: no node would be left to define it.
 */
function activationResult(g: Graph, c: QuantizerChain, quant: QuantParams, who: string): RewriteResult | undefined {
  const x = c.input!;
  const xt = valueType(g, x);
  if (xt.dtype !== 'float32') unsupported(`${who}: quantizes '${x}', which is ${xt.dtype}; only float32 tensors are quantized`);
  let target = x;
  const rename = new Map<string, string>();
  if (isGraphOutput(g, c.output)) {
    if (g.inputs.includes(x) || isGraphOutput(g, x) || g.initializers.has(x)) return undefined;
    target = c.output;
    rename.set(x, target);
  } else {
    rename.set(c.output, x);
  }
  return { replace: [], remove: c.nodes, rename, newValues: new Map([[target, withQuant(x, xt, quant, who)]]) };
}

export const foldQatQuantizer: Rule = (node, g) =>
  match(node)
    .with({ op: 'Round' }, (round) => {
      const chain = quantizerChain(g, round);
      if (!chain) return undefined;
      const who = `QAT quantizer at Round '${round.name}'`;
      const quant = chainParams(chain, who);
      return chain.preRound ? weightResult(chain, quant) : activationResult(g, chain, quant, who);
    })
    .otherwise(() => undefined);

export const QAT_RULES: readonly Rule[] = [foldQatQuantizer];

export const importQatPass: Pass = {
  name: 'import-qat',
  run: (g, ctx) => applyRules(g, QAT_RULES, { name: 'import-qat', log: ctx.log }),
};
