import type { Graph } from '../ir/graph.js';
import { TilecError } from '../ir/errors.js';
import { printGraph, type PrintOptions } from '../ir/print.js';
import { checkStage } from '../ir/stages.js';
import { verifyGraph } from '../ir/verify.js';
import type { Pass, PassContext } from './pass.js';

export interface ManagerOptions {
  /** Print the IR after the pass of this name, or after every pass ('all'). */
  printIrAfter?: string | 'all';
  /** Print one timing line per pass. Timings are returned either way. */
  timePasses?: boolean;
  /** Where printed IR and timings go (stderr in the CLI). Nothing is printed without it. */
  print?: (text: string) => void;
  /** How printed IR shows tensors (e.g. elide big weights); default: exact, parseable text. */
  printOptions?: PrintOptions;
}

export interface PassTiming { pass: string; ms: number; changed: boolean }

const BUG = 'internal error (tilec bug)';

/** An error thrown by a pass: user-facing errors pass through; bugs get the pass's name attached. */
function inPass(name: string, e: unknown): unknown {
  if (e instanceof TilecError || !(e instanceof Error)) return e;
  const msg = e.message.startsWith(`${BUG}: `) ? e.message.slice(BUG.length + 2) : e.message;
  return new Error(`${BUG}: in pass '${name}': ${msg}`, { cause: e });
}

/**
 * Runs `passes` in order. After each pass that changed the graph the verifier runs (types, shapes, SSA), and
 * after every pass with a `stage` the stage spec is checked: passes must keep the IR valid, so a failure is
 * reported as a tilec bug naming the pass. A pass that returns the same graph object changed nothing, so it
 * cannot have broken the verifier's invariants (its stage is still checked: a lowering that did nothing may
 * have failed to lower).
 */
export function runPasses(g: Graph, passes: readonly Pass[], ctx: PassContext, opts: ManagerOptions = {}): { graph: Graph; timings: PassTiming[] } {
  const timings: PassTiming[] = [];
  let cur = g;
  for (const pass of passes) {
    const t0 = performance.now();
    let next: Graph;
    try {
      next = pass.run(cur, ctx);
    } catch (e) {
      throw inPass(pass.name, e);
    }
    const ms = performance.now() - t0;
    const changed = next !== cur;
    try {
      if (changed) verifyGraph(next);
      if (pass.stage) checkStage(next, pass.stage);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`${BUG}: after pass '${pass.name}': ${msg}`, { cause: e });
    }
    cur = next;
    timings.push({ pass: pass.name, ms, changed });
    if (opts.timePasses) opts.print?.(`pass ${pass.name}: ${ms.toFixed(2)} ms${changed ? '' : ' (no change)'}`);
    if (opts.printIrAfter === 'all' || opts.printIrAfter === pass.name) {
      opts.print?.(`// IR after pass '${pass.name}'${changed ? '' : ' (no change)'}\n${printGraph(cur, opts.printOptions)}`);
    }
  }
  return { graph: cur, timings };
}
