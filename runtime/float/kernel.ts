import type { NodeOf, OpName } from '../../ir/ops.js';
import type { Tensor } from '../../ir/tensor.js';
import type { DType } from '../../ir/dtype.js';
import { fail } from '../../ir/errors.js';

/** A float-reference kernel: pure, validates its inputs first, names the node in every error. */
export type Kernel<O extends OpName> = (node: NodeOf<O>, inputs: readonly (Tensor | undefined)[]) => Tensor[];

/** "Conv 'conv_2'": how errors name a node. */
export const who = (node: { op: string; name: string }): string => `${node.op} '${node.name}'`;

/** Input i, or a clear error naming the node when a required input is absent. */
export function need(node: { op: string; name: string; inputs: readonly string[] }, inputs: readonly (Tensor | undefined)[], i: number, role: string): Tensor {
  const t = inputs[i];
  if (!t) fail(`${who(node)}: missing required input ${i} (${role})`);
  return t;
}

export function expectDtype(node: { op: string; name: string }, t: Tensor, role: string, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) fail(`${who(node)}: ${role} has dtype ${t.dtype}, expected ${allowed.join(' or ')}`);
}

export function expectRank(node: { op: string; name: string }, t: Tensor, role: string, ranks: readonly number[]): void {
  if (!ranks.includes(t.shape.length)) fail(`${who(node)}: ${role} has rank ${t.shape.length} (shape [${t.shape.join(',')}]), expected rank ${ranks.join(' or ')}`);
}
