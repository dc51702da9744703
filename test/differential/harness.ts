// Runs one ONNX model through tilec (import -> FLOAT_PIPELINE -> float interpreter) and through
// onnxruntime-node, the external golden that shares no code with tilec, and compares the outputs.
import * as ort from 'onnxruntime-node';
import { importModel } from '../../frontend/index.js';
import { TilecError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';

/**
 * Fills `out` with seeded floats uniform in [lo, hi), by mulberry32 (a tiny PRNG with good enough mixing
 * for test data). Inlined, not a closure per value: the zoo models need ~10^8 weights.
 */
export function fillUniform(out: Float32Array, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed | 0;
  const width = (hi - lo) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + ((t ^ (t >>> 14)) >>> 0) * width;
  }
  return out;
}

/** `n` seeded floats, uniform in [lo, hi). */
export const uniform = (n: number, seed: number, lo = -1, hi = 1): Float32Array => fillUniform(new Float32Array(n), seed, lo, hi);

export type Outputs = Map<string, Tensor>;

/** A float32 feed per graph input. */
export type Feeds = ReadonlyMap<string, Tensor>;

export async function runOrt(bytes: Uint8Array, feeds: Feeds): Promise<Outputs> {
  // Graph optimizations off: ORT then runs every node with its own kernel, as written (BatchNormalization
  // included, so tilec's BN folding is checked against an unfolded computation), and its fusions cannot
  // rewrite a model into one its kernels reject (Pad + AveragePool -> pads >= kernel).
  // One thread: several test files run at once on a 2-core machine. logSeverityLevel 4 (fatal only):
  // models both sides reject on purpose would otherwise print ORT's error log.
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4,
  });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of feeds) ortFeeds[name] = new ort.Tensor('float32', t.data as Float32Array, [...t.shape]);
    const res = await session.run(ortFeeds);
    const out: Outputs = new Map();
    for (const name of session.outputNames) {
      const t = res[name]!;
      const dims = t.dims.map(Number);
      // int64 (MaxPool's Indices) arrives as BigInt64Array; tilec holds int64 in a Float64Array.
      out.set(name, t.type === 'int64'
        ? tensor('int64', dims, Array.from(t.data as BigInt64Array, Number))
        : tensor('float32', dims, t.data as Float32Array));
    }
    return out;
  } finally {
    await session.release();
  }
}

/** tilec's float path; also returns the graph after FLOAT_PIPELINE, so tests can check what was folded. */
export function runTilec(bytes: Uint8Array, feeds: Feeds): { outputs: Outputs; graph: Graph } {
  const imported = importModel(bytes, { evaluate: evaluateFloat, warn: () => {} });
  const { graph } = runPasses(imported, FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {} });
  return { outputs: runGraph(graph, feeds, evaluateFloat), graph };
}

export interface Difference {
  readonly maxAbs: number;
  /** max |got - want| / |want| where the relative term governs the bound (|want| > atol / rtol); below that, atol does. */
  readonly maxRel: number;
  /** Elements outside atol + rtol * |want|. */
  readonly bad: number;
  /** The worst element (largest excess over the bound), for the failure message. */
  readonly worst: string;
}

/** Compares elementwise with the numpy.isclose rule |got - want| <= atol + rtol * |want|. */
export function difference(got: Tensor, want: Tensor, rtol: number, atol: number): Difference {
  if (got.shape.join(',') !== want.shape.join(',')) {
    return { maxAbs: Infinity, maxRel: Infinity, bad: -1, worst: `shape [${got.shape.join(',')}] vs onnxruntime [${want.shape.join(',')}]` };
  }
  let maxAbs = 0, maxRel = 0, bad = 0, excess = -Infinity, worst = 'none';
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!, w = want.data[i]!;
    const d = Math.abs(g - w);
    const bound = atol + rtol * Math.abs(w);
    // NaN compares unequal to everything: a NaN on either side (but not both) is a mismatch.
    const mismatch = Number.isNaN(g) !== Number.isNaN(w) || d > bound;
    if (!Number.isNaN(d)) {
      maxAbs = Math.max(maxAbs, d);
      if (rtol * Math.abs(w) > atol) maxRel = Math.max(maxRel, d / Math.abs(w));
    }
    if (mismatch) {
      bad++;
      const e = Number.isNaN(d) ? Infinity : d - bound;
      if (e > excess) { excess = e; worst = `element ${i}: tilec ${g}, onnxruntime ${w}`; }
    }
  }
  return { maxAbs, maxRel, bad, worst };
}

export const isTilecError = (e: unknown): e is TilecError => e instanceof TilecError;

export const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
