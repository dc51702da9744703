import { UnsupportedError } from '../../ir/errors.js';
import type { Evaluate } from '../../ir/graph.js';
import { tensor } from '../../ir/tensor.js';

// A tiny evaluator for frontend tests, so they do not depend on runtime/: just the 1-D integer ops
// that shape arithmetic uses (Gather of one dim, Unsqueeze of a scalar, Concat), plus a counter so
// tests can see what the importer chose to fold.

export interface CountingEvaluate extends Evaluate { readonly calls: string[] }

export function standInEvaluate(): CountingEvaluate {
  const calls: string[] = [];
  const evaluate = ((node, inputs) => {
    calls.push(node.name);
    const [a, b] = inputs;
    switch (node.op) {
      case 'Gather': {
        if (!a || !b || a.shape.length !== 1 || b.shape.length !== 0) break;
        return [tensor(a.dtype, [], [a.data[b.data[0]!]!])];
      }
      case 'Unsqueeze':
        if (!a || a.shape.length !== 0) break;
        return [tensor(a.dtype, [1], [a.data[0]!])];
      case 'Concat':
        if (!inputs.every((t) => t && t.shape.length === 1)) break;
        return [tensor(a!.dtype, [inputs.reduce((n, t) => n + t!.shape[0]!, 0)], inputs.flatMap((t) => Array.from(t!.data)))];
      case 'Identity':
        return [a!];
      default:
    }
    throw new UnsupportedError(`stand-in evaluate: ${node.op} '${node.name}' is not implemented`);
  }) as CountingEvaluate;
  (evaluate as { calls: string[] }).calls = calls;
  return evaluate;
}
