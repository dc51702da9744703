import type { Limits } from '../cli/limits.js';
import type { CaseOptions } from './case.js';
import type { Outcome } from './pipeline.js';

// Messages between the fuzz runner and its worker thread.

export interface Job {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly options: CaseOptions;
  readonly limits: Limits;
  /** A folder of the runner's where the case's model file is written. */
  readonly workDir: string;
}

export type Reply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly index: number; readonly outcome: Outcome };
