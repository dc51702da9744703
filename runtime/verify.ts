import { invariant } from '../ir/errors.js';
import { type Evaluate, type Graph, type ValueType } from '../ir/graph.js';
import { isFloat } from '../ir/dtype.js';
import type { Tensor } from '../ir/tensor.js';
import { runGraph } from './interpreter.js';
import {
  type SqnrSums, accumulateSqnr, accumulateSqnrQuantized, argmax, bitEqual, maxAbsDiff, newSqnrSums, sqnrDb,
} from './metrics.js';

// `tilec verify`'s loop: every sample through (1) the float reference of the float graph, (2) the integer
// reference of the realized graph and, when a tile program exists, (3) the tile machine; then top-1,
// agreement, bit-exactness and per-value SQNR, all as running sums (memory does not grow with samples).

/** Runs the compiled tile program on one sample's feeds; returns its (dequantized) outputs by name. */
export type TileRunner = (feeds: ReadonlyMap<string, Tensor>) => ReadonlyMap<string, Tensor>;

export interface VerifyRun {
  /** The float graph (after FLOAT_PIPELINE): the reference. */
  readonly float: Graph;
  /** The realized int8 graph (after QUANT_PIPELINE), float in / float out. */
  readonly quantized: Graph;
  /** Node evaluator for both graphs (the float kernels; tilec's Q-ops go to the integer kernels). */
  readonly evaluate: Evaluate;
  readonly samples: number;
  /** Feeds of sample i (one tensor per graph input). */
  feeds(i: number): ReadonlyMap<string, Tensor>;
  /** Class label of each sample, when the data has labels. */
  readonly labels?: ArrayLike<number>;
  /** (3): the tile program. Absent until the backend can run the compiled program. */
  readonly runTile?: TileRunner;
  /** Called after each sample with the number done. */
  readonly onSample?: (done: number) => void;
}

export interface LayerSqnr {
  /** The float value's name (the int8 value standing for it has the same name). */
  readonly name: string;
  /** 10·log10(Σ float² / Σ (float − dequant(int))²) over all samples; ±Infinity as in sqnrDb. */
  readonly sqnrDb: number;
  /** Elements compared (values per sample × samples). */
  readonly elements: number;
}

export interface VerifyResult {
  readonly samples: number;
  /** Accuracy of the float graph against the labels; null without labels. */
  readonly floatTop1: number | null;
  readonly int8Top1: number | null;
  /** Fraction of samples whose int8 argmax equals the float argmax. */
  readonly top1Agreement: number;
  /** null until a tile program is run; else true when (3) equals (2) bit for bit on every sample. */
  readonly bitExact: boolean | null;
  readonly mismatchedSamples: number | null;
  /** max |dequantized int8 output − float output| over every output element of every sample. */
  readonly maxAbsError: number;
  /** In the float graph's node order. */
  readonly layers: readonly LayerSqnr[];
}

/** How a realized value is compared with the float value of the same name. */
type Pairing = 'dequantize' | 'float';

/**
 * The values to compare: every value a node of the float graph computes that the realized graph also
 * computes under the same name, as an int8 code with quant params (dequantized) or as a float (float
 * islands and the Dequantize'd graph outputs). Graph inputs are fed, not computed, so never listed.
 */
export function pairedValues(float: Graph, quantized: Graph): Map<string, Pairing> {
  const computed = new Set<string>();
  for (const n of quantized.nodes) for (const o of n.outputs) if (o !== '') computed.add(o);
  const pairs = new Map<string, Pairing>();
  for (const n of float.nodes) {
    for (const name of n.outputs) {
      if (name === '' || !computed.has(name)) continue;
      const f = float.values.get(name), q = quantized.values.get(name);
      if (!f || !q || !isFloat(f.dtype)) continue;
      const kind = pairing(q);
      if (kind !== undefined) pairs.set(name, kind);
    }
  }
  return pairs;
}

function pairing(q: ValueType): Pairing | undefined {
  if (q.quant !== undefined && !isFloat(q.dtype)) return 'dequantize';
  if (isFloat(q.dtype)) return 'float';
  return undefined;
}

/** Runs every sample through the references (and the tile program when given) and accumulates the metrics. */
export function verifySamples(run: VerifyRun): VerifyResult {
  const { float, quantized, evaluate } = run;
  invariant(float.outputs.length === quantized.outputs.length,
    `the float graph has ${float.outputs.length} outputs but the realized graph has ${quantized.outputs.length}`);
  const pairs = pairedValues(float, quantized);
  const sums = new Map<string, SqnrSums>([...pairs.keys()].map((n) => [n, newSqnrSums()]));
  const labels = run.labels;
  let floatCorrect = 0, intCorrect = 0, agree = 0, mismatched = 0, maxErr = 0;

  for (let i = 0; i < run.samples; i++) {
    const feeds = run.feeds(i);
    // The realized run first: its paired values are mostly int8, 4x smaller to hold than the float ones.
    const held = new Map<string, Tensor>();
    const intOut = runGraph(quantized, feeds, evaluate, { onValue: (name, t) => { if (pairs.has(name)) held.set(name, t); } });
    const floatOut = runGraph(float, feeds, evaluate, {
      onValue: (name, t) => {
        const q = held.get(name);
        if (q === undefined) return;
        held.delete(name);
        const s = sums.get(name)!;
        if (pairs.get(name) === 'dequantize') accumulateSqnrQuantized(s, t.data, q, quantized.values.get(name)!.quant!);
        else accumulateSqnr(s, t.data, q.data);
      },
    });

    float.outputs.forEach((name, k) => {
      const f = floatOut.get(name)!, q = intOut.get(quantized.outputs[k]!)!;
      const e = maxAbsDiff(f.data, q.data);
      if (!(e <= maxErr)) maxErr = e; // NaN sticks
    });
    const fTop = argmax(floatOut.get(float.outputs[0]!)!.data);
    const qTop = argmax(intOut.get(quantized.outputs[0]!)!.data);
    if (fTop === qTop) agree++;
    if (labels !== undefined) {
      if (fTop === labels[i]) floatCorrect++;
      if (qTop === labels[i]) intCorrect++;
    }
    if (run.runTile !== undefined) {
      const tileOut = run.runTile(feeds);
      const same = quantized.outputs.every((name) => {
        const t = tileOut.get(name);
        return t !== undefined && bitEqual(t, intOut.get(name)!);
      });
      if (!same) mismatched++;
    }
    run.onSample?.(i + 1);
  }

  const n = run.samples;
  const layers: LayerSqnr[] = [...sums].map(([name, s]) => ({ name, sqnrDb: sqnrDb(s), elements: s.count }));
  return {
    samples: n,
    floatTop1: labels !== undefined && n > 0 ? floatCorrect / n : null,
    int8Top1: labels !== undefined && n > 0 ? intCorrect / n : null,
    top1Agreement: n > 0 ? agree / n : 0,
    bitExact: run.runTile !== undefined ? mismatched === 0 : null,
    mismatchedSamples: run.runTile !== undefined ? mismatched : null,
    maxAbsError: maxErr,
    layers,
  };
}
