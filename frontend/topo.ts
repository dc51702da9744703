import { fail } from '../ir/errors.js';

// Topological order of the nodes. ONNX requires graphs to be sorted, but exporters and hand edits do
// not always comply, and a cycle must be reported as such rather than as a dangling input.

export interface NamedNode {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
}

const label = (n: NamedNode): string => `${n.op} '${n.name}'`;

/**
 * Node indices in dependency order, keeping the given order wherever it is already valid.
 * `producer` maps each node-produced value to its node's index; other inputs are graph sources.
 * A cycle fails with its nodes in order, e.g. `Add 'a' -> Mul 'b' -> Add 'a'`.
 */
export function topoOrder(nodes: readonly NamedNode[], producer: ReadonlyMap<string, number>): number[] {
  const NEW = 0, OPEN = 1, DONE = 2;
  const state = new Uint8Array(nodes.length);
  const order: number[] = [];
  // Iterative depth-first search: a node is emitted after everything it reads. The explicit stack is the
  // path being explored, so meeting an OPEN node means that path loops back on itself.
  const stackNode: number[] = [], stackNext: number[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] !== NEW) continue;
    stackNode.push(root); stackNext.push(0); state[root] = OPEN;
    while (stackNode.length > 0) {
      const top = stackNode.length - 1;
      const i = stackNode[top]!;
      const inputs = nodes[i]!.inputs;
      const k = stackNext[top]!;
      if (k === inputs.length) {
        state[i] = DONE; order.push(i);
        stackNode.pop(); stackNext.pop();
        continue;
      }
      stackNext[top] = k + 1;
      const dep = producer.get(inputs[k]!);
      if (dep === undefined || state[dep] === DONE) continue;
      if (state[dep] === OPEN) {
        const cycle = stackNode.slice(stackNode.indexOf(dep)).map((j) => label(nodes[j]!));
        fail(`graph has a cycle (each node reads an output of the next): ${[...cycle, label(nodes[dep]!)].join(' -> ')} (through value '${inputs[k]}')`);
      }
      state[dep] = OPEN; stackNode.push(dep); stackNext.push(0);
    }
  }
  return order;
}
