import { parentPort } from 'node:worker_threads';
import { TilecError } from '../../../ir/errors.js';
import type { TileProgram } from '../../../backend/program.js';
import { hostOps } from '../host/index.js';
import { TileMachine } from '../machine.js';
import { WasmTileMemory } from '../wasm/kernels.js';
import { bulkOps } from './bulk.js';
import { sharedKernelModule } from './shared-module.js';
import { Control, WorkerFault } from './sync.js';

// A worker of the two-thread runner (runner.ts): builds a tile machine on its own regions of the shared
// memory, says it is ready, then runs its share of every segment of every run the main thread starts,
// meeting the others at each barrier, until told to stop.

export interface ParallelWorkerInit {
  /** The program of this worker's instructions (runner.ts shareOf). */
  readonly program: TileProgram;
  readonly participant: number;
  readonly participants: number;
  readonly memory: WebAssembly.Memory;
  readonly maxPages: number;
  readonly base: number;
  readonly spadBytes: number;
  readonly accWords: number;
  readonly tableBytes: number;
  readonly segmentEnds: Int32Array;
  readonly dynamicAt: Int32Array;
  readonly dynamic: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

function serve(init: ParallelWorkerInit): void {
  const { program, participant: p, segmentEnds, dynamicAt } = init;
  const wasm = WasmTileMemory.createIn(init.memory, sharedKernelModule(init.maxPages), program.target.tile, program.dramBytes, init.base, init.spadBytes, init.accWords, init.tableBytes, program.code);
  // Construction resets DRAM to its start state: harmless, the main thread is idle until it hears we are ready.
  const machine = new TileMachine(program, { memory: wasm, hostOps: hostOps(program.target) });
  const dynamic = new Float64Array(init.dynamic);
  const control = new Control(init.participants, init.control);
  const bulk = bulkOps(init.memory);
  parentPort!.postMessage({ ready: true });
  for (let generation = 0; ;) {
    const next = control.awaitRun(generation);
    if (next === undefined) return;
    generation = next;
    try {
      // What reset() does to the main thread's machine, for this worker's own scratchpad and accumulator.
      bulk.fill(wasm.spad.byteOffset, 0, wasm.spad.byteLength);
      bulk.fill(wasm.acc.byteOffset, 0, wasm.acc.byteLength);
      wasm.spadReset();
      let from = 0;
      for (let s = 0; s < segmentEnds.length; s++) {
        const to = segmentEnds[s]!;
        if (to > from) machine.runRange(from, to, dynamic, dynamicAt);
        from = to;
        if (!control.barrier(p, s)) break;
      }
    } catch (e) {
      control.recordFault(p, e instanceof TilecError ? WorkerFault.Program : WorkerFault.Internal, e instanceof Error ? e.stack ?? e.message : String(e));
      control.abort(p);
    }
    control.finish(p, generation);
  }
}

if (parentPort !== null) {
  parentPort.once('message', (init: ParallelWorkerInit) => {
    try {
      serve(init);
    } catch (e) {
      // Only setting up can throw here (a run's errors go through the control block).
      parentPort!.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
  });
}
