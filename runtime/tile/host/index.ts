import type { Target } from '../../../backend/target.js';
import { HOST_FN, type HostOpName } from '../../../backend/host-ops.js';
import type { HostOp } from '../machine.js';
import { kernelHostOp } from './kernel-op.js';

// The host operations of the tile machine, by function code (backend/host-ops.ts HOST_FN). Every one is
// the op's reference kernel behind the operand-block plumbing (kernel-op.ts), or for the common blocks of
// some ops a fast path equal to it (fast-paths.ts); cycles follow the target's bus.

export interface HostOpsOptions {
  /** false: every block runs the reference kernel (the fast paths' reference, for tests). Default true. */
  readonly fastPaths?: boolean;
}

/** Every host operation tilec emits, for a machine running a program built for `target`. */
export function hostOps(target: Target, options: HostOpsOptions = {}): ReadonlyMap<number, HostOp> {
  const ops = new Map<number, HostOp>();
  for (const [op, fn] of Object.entries(HOST_FN)) ops.set(fn, kernelHostOp(op as HostOpName, target, options.fastPaths ?? true));
  return ops;
}
