import type { Graph } from '../../ir/graph.js';
import { numel, type Tensor } from '../../ir/tensor.js';
import { constantOf, producerOf } from '../query.js';

// The quantization importers may run on the graph as imported, before constant folding (the QAT importer
// must: folding would evaluate a QAT weight chain into plain floats and lose its step). Exporters write
// scales and offsets both as initializers and as Constant nodes, so both count as constants here; Constant
// nodes left unread are dropped by fold-constants and dce later.

/** The value of `name` when it is an initializer or the output of a Constant node. */
export function constantValue(g: Graph, name: string): Tensor | undefined {
  const t = constantOf(g, name);
  if (t) return t;
  const p = producerOf(g, name);
  return p?.op === 'Constant' ? p.attrs.value : undefined;
}

/** The single element of a one-element constant (shape [] or [1, ..., 1]), else undefined. */
export function scalarConstant(g: Graph, name: string): number | undefined {
  const t = constantValue(g, name);
  return t && numel(t.shape) === 1 ? t.data[0] : undefined;
}
