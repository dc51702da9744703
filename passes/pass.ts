import type { Evaluate, Graph } from '../ir/graph.js';
import type { Stage } from '../ir/stages.js';

/** What a pass may use besides the graph. Passes never import runtime/: evaluation is injected. */
export interface PassContext {
  /** Evaluates one node on constant inputs (constant folding). */
  readonly evaluate: Evaluate;
  /** Instrumentation sink, one line per call (stderr in the CLI). Library code never prints itself. */
  readonly log?: (line: string) => void;
  /** Pass options (later: bits, calibration data, target...). */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * A graph-to-graph transformation: pure, no module-level state. `run` returns the SAME graph object when
 * it changed nothing, which is how the manager knows whether to re-verify and what it reports.
 * `stage`, when given, is the spec the graph must satisfy after this pass (checked by the manager).
 */
export interface Pass {
  readonly name: string;
  readonly stage?: Stage;
  run(g: Graph, ctx: PassContext): Graph;
}
