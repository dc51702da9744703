import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { PlanRequest } from './plan-wire.js';

// The GEMM planning worker (plan-gemms.ts). It receives one PlanRequest on its port, then takes GEMMs off the
// shared claim counter until none is left, planning each with planGemm (pure: the plan the main thread would
// compute) and posting { index, plan }. When it stops, for any reason, it raises the shared "stopped" flag the
// main thread waits on. The planner is imported dynamically so that a failure to load it raises the flag too
// (the main thread then plans what is left itself).

const { port, state: buffer, warm } = workerData as { port: MessagePort; state: SharedArrayBuffer; warm: boolean };
/** [0]: next GEMM to claim; [1]: plans posted; [2]: stopped. */
const state = new Int32Array(buffer);

const stop = (): void => {
  Atomics.store(state, 2, 1);
  Atomics.notify(state, 1);
  port.close();
};

try {
  const [{ planGemm, TimingMemo }, { fromWire }, { warmUpSpecs }] = await Promise.all([import('../tile-gemm.js'), import('./plan-wire.js'), import('./plan-warm.js')]);
  // Started early (while the main thread imports and runs the passes): compile the planner's hot code now, so
  // that the real GEMMs do not pay for it. The plans are thrown away.
  if (warm) for (const { spec, target } of warmUpSpecs()) planGemm(spec, target);
  port.once('message', (req: PlanRequest) => {
    try {
      const options = { memo: new TimingMemo(req.target), ...(req.strategy ? { strategy: req.strategy } : {}) };
      const specs = fromWire(req.specs, req.target.tile);
      for (let i = Atomics.add(state, 0, 1); i < specs.length; i = Atomics.add(state, 0, 1)) {
        port.postMessage({ index: i, plan: planGemm(specs[i]!, req.target, options) });
        Atomics.add(state, 1, 1);
        Atomics.notify(state, 1);
      }
    } finally {
      stop();
    }
  });
} catch {
  stop();
}
