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

/** What one sample contributes to the result; computed on any thread, folded in sample order. */
export interface SampleOutcome {
  readonly index: number;
  /** Per paired value (pairedValues order): this sample's Σ ref², Σ noise², element count. */
  readonly sums: Float64Array;
  /** max |int8 − float| of each graph output, in output order. */
  readonly outputErrors: Float64Array;
  readonly floatTop: number;
  readonly intTop: number;
  /** null when no tile program ran. */
  readonly tileMismatch: boolean | null;
}

/** Runs one sample through the references (and the tile program when given): the per-sample half of verify. */
export class SampleEvaluator {
  private readonly pairs: Map<string, Pairing>;
  private readonly order: readonly string[];

  constructor(private readonly float: Graph, private readonly quantized: Graph, private readonly evaluate: Evaluate, private readonly runTile?: TileRunner) {
    invariant(float.outputs.length === quantized.outputs.length,
      `the float graph has ${float.outputs.length} outputs but the realized graph has ${quantized.outputs.length}`);
    this.pairs = pairedValues(float, quantized);
    this.order = [...this.pairs.keys()];
  }

  run(index: number, feeds: ReadonlyMap<string, Tensor>): SampleOutcome {
    const { float, quantized, evaluate, pairs } = this;
    const local = new Map<string, SqnrSums>();
    // The realized run first: its paired values are mostly int8, 4x smaller to hold than the float ones.
    const held = new Map<string, Tensor>();
    const intOut = runGraph(quantized, feeds, evaluate, { onValue: (name, t) => { if (pairs.has(name)) held.set(name, t); } });
    const floatOut = runGraph(float, feeds, evaluate, {
      onValue: (name, t) => {
        const q = held.get(name);
        if (q === undefined) return;
        held.delete(name);
        const s = newSqnrSums();
        if (pairs.get(name) === 'dequantize') accumulateSqnrQuantized(s, t.data, q, quantized.values.get(name)!.quant!);
        else accumulateSqnr(s, t.data, q.data);
        local.set(name, s);
      },
    });
    const sums = new Float64Array(3 * this.order.length);
    this.order.forEach((name, k) => {
      const s = local.get(name);
      if (s !== undefined) { sums[3 * k] = s.signal; sums[3 * k + 1] = s.noise; sums[3 * k + 2] = s.count; }
    });
    const outputErrors = Float64Array.from(float.outputs, (name, k) => maxAbsDiff(floatOut.get(name)!.data, intOut.get(quantized.outputs[k]!)!.data));
    let tileMismatch: boolean | null = null;
    if (this.runTile !== undefined) {
      const tileOut = this.runTile(feeds);
      tileMismatch = !quantized.outputs.every((name) => {
        const t = tileOut.get(name);
        return t !== undefined && bitEqual(t, intOut.get(name)!);
      });
    }
    return {
      index, sums, outputErrors, tileMismatch,
      floatTop: argmax(floatOut.get(float.outputs[0]!)!.data),
      intTop: argmax(intOut.get(quantized.outputs[0]!)!.data),
    };
  }
}

/**
 * Folds sample outcomes, in sample order, into the result. Every running sum is added in the order the
 * single-threaded loop adds it (per-sample sums, then sample after sample), so the result does not depend
 * on where the samples ran.
 */
export class VerifyAccumulator {
  private readonly names: readonly string[];
  private readonly sums: SqnrSums[];
  private floatCorrect = 0;
  private intCorrect = 0;
  private agree = 0;
  private mismatched = 0;
  private maxErr = 0;
  private done = 0;

  constructor(float: Graph, quantized: Graph, private readonly labels: ArrayLike<number> | undefined, private readonly tile: boolean) {
    this.names = [...pairedValues(float, quantized).keys()];
    this.sums = this.names.map(() => newSqnrSums());
  }

  add(o: SampleOutcome): void {
    invariant(o.index === this.done, `verify: sample ${o.index} folded when sample ${this.done} was due`);
    this.sums.forEach((s, k) => {
      s.signal += o.sums[3 * k]!;
      s.noise += o.sums[3 * k + 1]!;
      s.count += o.sums[3 * k + 2]!;
    });
    for (const e of o.outputErrors) if (!(e <= this.maxErr)) this.maxErr = e; // NaN sticks
    if (o.floatTop === o.intTop) this.agree++;
    if (this.labels !== undefined) {
      if (o.floatTop === this.labels[o.index]) this.floatCorrect++;
      if (o.intTop === this.labels[o.index]) this.intCorrect++;
    }
    if (o.tileMismatch === true) this.mismatched++;
    this.done++;
  }

  result(): VerifyResult {
    const n = this.done, labels = this.labels;
    const layers: LayerSqnr[] = this.names.map((name, k) => ({ name, sqnrDb: sqnrDb(this.sums[k]!), elements: this.sums[k]!.count }));
    return {
      samples: n,
      floatTop1: labels !== undefined && n > 0 ? this.floatCorrect / n : null,
      int8Top1: labels !== undefined && n > 0 ? this.intCorrect / n : null,
      top1Agreement: n > 0 ? this.agree / n : 0,
      bitExact: this.tile ? this.mismatched === 0 : null,
      mismatchedSamples: this.tile ? this.mismatched : null,
      maxAbsError: this.maxErr,
      layers,
    };
  }
}

/** Runs every sample through the references (and the tile program when given) and accumulates the metrics. */
export function verifySamples(run: VerifyRun): VerifyResult {
  const evaluator = new SampleEvaluator(run.float, run.quantized, run.evaluate, run.runTile);
  const acc = new VerifyAccumulator(run.float, run.quantized, run.labels, run.runTile !== undefined);
  for (let i = 0; i < run.samples; i++) {
    acc.add(evaluator.run(i, run.feeds(i)));
    run.onSample?.(i + 1);
  }
  return acc.result();
}
