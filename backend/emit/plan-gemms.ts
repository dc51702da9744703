import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { workerScriptUrl } from '../../ir/worker-url.js';
import { gemmDims } from '../gemm/spec.js';
import type { LoopOrder, Target } from '../target.js';
import { planGemm, type GemmPlan, type GemmSpec, type TimingMemo } from '../tile-gemm.js';
import { toWire, type PlanRequest } from './plan-wire.js';

// Choosing the GEMMs' schedules on two threads. planGemm is pure (a plan depends only on the spec and the
// target; the TimingMemo only saves work), so which thread plans a GEMM changes nothing in the program. The
// main thread and one worker_thread take GEMMs off a shared counter (Atomics.add on a SharedArrayBuffer) until
// none is left, so the work balances itself whatever the load on the machine; the compile is synchronous, so
// the main thread then blocks (Atomics.wait) until the worker has posted the plans it took, and takes them off
// the port with receiveMessageOnPort. Whatever the worker fails to deliver (it failed, or stalled for
// STALL_MS) the main thread plans itself, so errors are those of the one-thread path.

/**
 * Default threads for GEMM planning: 1. Measured on the 2-core reference machine (light ResNet-50 from a
 * calibration table, quiet machine, built CLI): 1.71-1.95 s of compile with the worker against 1.81-2.07 s
 * without, and 0.6-0.8 s more CPU — the worker's own JIT warm-up eats what the split saves — so the second
 * thread is opt-in (EmitOptions.planThreads) until it pays on this machine.
 */
export const defaultPlanThreads = (): number => 1;

/** Below these, a worker's start-up costs more than it saves (by default; an explicit planThreads forces it). */
export const MIN_WORKER_GEMMS = 4;
const MIN_WORKER_TILE_OPS = 20_000;
/** A worker that makes no progress for this long is given up on (its GEMMs are planned here instead). */
const STALL_MS = 60_000;

/** Rough planning cost of one GEMM: the search times schedules whose instruction count grows with the tile ops. */
function planCost(spec: GemmSpec, tile: number): number {
  const d = gemmDims(spec, tile);
  return d.nI * d.nJ * d.nK + d.nI * d.nJ;
}

/** The order in which the threads take GEMMs: largest first, so that the last ones taken are short. */
export function planOrder(specs: readonly GemmSpec[], tile: number): number[] {
  const cost = specs.map((s) => planCost(s, tile));
  return specs.map((_, i) => i).sort((x, y) => cost[y]! - cost[x]! || x - y);
}

/**
 * A planning worker for a compile that is about to begin (pass it to emitProgram as EmitOptions.planWorker),
 * or undefined when `threads` < 2. It loads and warms up while the caller imports the model and runs the
 * passes; emitProgram uses or terminates it. A caller that never reaches emitProgram must terminate it.
 */
export const startPlanWorker = (threads = defaultPlanThreads()): PlanWorker | undefined => (threads >= 2 ? new PlanWorker(true) : undefined);

/** Whether to plan `specs` with a worker: `threads` ≥ 2 and, unless forced, enough work to pay for it. */
export function wantsPlanWorker(specs: readonly GemmSpec[], tile: number, threads: number, forced: boolean): boolean {
  if (threads < 2 || specs.length < 2) return false;
  if (forced) return true;
  return specs.length >= MIN_WORKER_GEMMS && specs.reduce((t, s) => t + planCost(s, tile), 0) >= MIN_WORKER_TILE_OPS;
}

/** Workers started and not yet exited (tests check that none is left behind). */
let liveWorkers = 0;
const exits = new Set<Promise<void>>();
export const livePlanWorkers = (): number => liveWorkers;
/** Resolves when every planning worker started so far has exited. */
export const planWorkersExited = async (): Promise<void> => { await Promise.all([...exits]); };

/** A planning worker, started before its GEMMs are known so that loading its modules overlaps other work. */
export class PlanWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0]: next GEMM to claim; [1]: plans the worker posted; [2]: the worker stopped. */
  readonly state = new Int32Array(new SharedArrayBuffer(12));
  private closed = false;
  /** GEMMs whose plans came from the worker (tests: the worker path really ran). */
  planned = 0;

  /** `warm`: plan a few made-up GEMMs before the real ones arrive (plan-warm.ts), for a worker started early. */
  constructor(warm = false) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // From source, a failure to register tsx in the worker is caught only by the stall limit; every failure after it raises the stopped flag.
    this.worker = new Worker(workerScriptUrl(import.meta.url, 'plan-worker'), { workerData: { port: port2, state: this.state.buffer, warm }, transferList: [port2] });
    this.worker.unref();
    // Failures reach the main thread through the stopped flag (or the stall limit), never as an event.
    this.worker.on('error', () => undefined);
    liveWorkers++;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => { liveWorkers--; exits.delete(exited); resolve(); }));
    exits.add(exited);
  }

  send(request: PlanRequest): void {
    this.port.postMessage(request);
  }

  /** Claims the next GEMM for the main thread; undefined when none is left. */
  claim(count: number): number | undefined {
    const i = Atomics.add(this.state, 0, 1);
    return i < count ? i : undefined;
  }

  /**
   * Blocks until the worker has posted `expected` plans or stopped (or stalled for STALL_MS), passing each
   * plan received to `take`.
   */
  collect(expected: number, take: (index: number, plan: GemmPlan) => void): void {
    let since = performance.now();
    for (;;) {
      const posted = Atomics.load(this.state, 1);
      const stopped = Atomics.load(this.state, 2) === 1;
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const { index, plan } = m.message as { index: number; plan: GemmPlan };
        take(index, plan);
        this.planned++;
        since = performance.now();
      }
      if (this.planned >= expected || stopped) return;
      if (Atomics.wait(this.state, 1, posted, 1000) === 'timed-out' && performance.now() - since > STALL_MS) return;
    }
  }

  /** Always called (also on errors): the worker must not outlive the compile. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate().catch(() => undefined);
  }
}

export interface PlanGemmsOptions {
  readonly strategy?: LoopOrder;
  readonly memo: TimingMemo;
  /** Shares the planning with this worker; without it, everything is planned on this thread. */
  readonly worker?: PlanWorker;
  /** Tests: false leaves every GEMM to the worker (default true: the main thread plans too). */
  readonly mainPlans?: boolean;
}

/** planGemm of every spec, in order; the same plans whether or not a worker takes a share. */
export function planGemms(specs: readonly GemmSpec[], target: Target, opts: PlanGemmsOptions): GemmPlan[] {
  const options = { memo: opts.memo, ...(opts.strategy ? { strategy: opts.strategy } : {}) };
  const plan = (spec: GemmSpec): GemmPlan => planGemm(spec, target, options);
  const worker = opts.worker;
  if (worker === undefined) {
    // Smallest first: the JIT warms up on GEMMs that are quick even unoptimized, before the big ones (light
    // ResNet-50: ~10% less planning than in program order). A plan depends only on its spec, so the order
    // changes no plan; on a failure the GEMMs are planned again in program order, for the error that path raises.
    const plans = new Array<GemmPlan>(specs.length);
    try {
      for (const i of planOrder(specs, target.tile).reverse()) plans[i] = plan(specs[i]!);
    } catch {
      return specs.map(plan);
    }
    return plans;
  }
  const order = planOrder(specs, target.tile);
  worker.send({ target, ...(opts.strategy ? { strategy: opts.strategy } : {}), specs: order.map((i) => toWire(specs[i]!)) });
  const plans = new Array<GemmPlan | undefined>(specs.length).fill(undefined);
  let mine = 0;
  if (opts.mainPlans ?? true) {
    for (let c = worker.claim(specs.length); c !== undefined; c = worker.claim(specs.length)) {
      mine++;
      // A failure is left for the end, which plans again in program order and throws the error the one-thread path would.
      try { plans[order[c]!] = plan(specs[order[c]!]!); } catch { /* planned again below */ }
    }
  }
  worker.collect(specs.length - mine, (c, p) => { plans[order[c]!] = p; });
  // Whatever the worker claimed and did not deliver is planned here, in program order.
  return plans.map((p, i) => p ?? plan(specs[i]!));
}
