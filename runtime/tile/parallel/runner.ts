import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TilecError, fail } from '../../../ir/errors.js';
import { numel, type Tensor } from '../../../ir/tensor.js';
import type { CostCounters } from '../../../backend/cost.js';
import { dtypeBytes, type TileProgram } from '../../../backend/program.js';
import { accumulatorSlots, scratchpadSlots } from '../../../backend/target.js';
import { programGatherTableBytes } from '../gather-tables.js';
import { hostOps } from '../host/index.js';
import { TileMachine } from '../machine.js';
import { ProgramRunner, type ProgramRun, type RunProgramOptions } from '../run-program.js';
import { WasmTileMemory } from '../wasm/kernels.js';
import { partitionProgram, type Partition } from './partition.js';
import { sharedKernelModule } from './shared-module.js';
import { Control, WorkerFault } from './sync.js';
import type { ParallelWorkerInit } from './worker.js';

// One inference of a tile program on several threads (docs/isa.md, "The golden runtime on two threads"):
// the main thread and worker threads each run a tile machine with its own scratchpad and accumulator on one
// shared DRAM, executing their share of the program's static partition (partition.ts) segment by segment,
// meeting at a barrier after each. DRAM, outputs and counters equal the sequential machine's; a program
// fault anywhere stops the run, which is then run again sequentially for the sequential machine's exact error.

export interface ParallelRunOptions extends Omit<RunProgramOptions, 'kernels' | 'overflow'> {
  /** Threads for one run, the main thread included (1 = the plain ProgramRunner; at most 4). */
  readonly threads?: number;
}

/** WebAssembly memory is 32-bit: 65536 pages of 64 KiB. */
const MAX_PAGES = 65536;
const PAGE = 65536;

/** The worker script next to this module: .js when built; from source, a bootstrap registering tsx in the worker first. */
function workerUrl(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker.js', import.meta.url);
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const target = new URL('./worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** Scratchpad bytes and accumulator words one machine needs (what TileMachine allocates). */
export function privateSizes(program: TileProgram): { spadBytes: number; accWords: number } {
  const v = new DataView(program.code.buffer, program.code.byteOffset, program.code.byteLength);
  let spad = 0, acc = 0;
  for (let o = 0; o < program.code.length; o += 32) {
    const op = v.getUint8(o), f0 = v.getUint32(o + 8, true);
    if (op === 0x01 || op === 0x06) spad = Math.max(spad, f0 + 1);
    else if (op === 0x02 || op === 0x04) acc = Math.max(acc, f0 + 1);
    else if (op === 0x03) { acc = Math.max(acc, f0 + 1); spad = Math.max(spad, v.getUint32(o + 12, true) + 1, v.getUint32(o + 16, true) + 1); }
  }
  const tt = program.target.tile ** 2;
  return { spadBytes: Math.min(scratchpadSlots(program.target), spad) * tt, accWords: Math.min(accumulatorSlots(program.target), acc) * tt };
}

/** LOAD_IM2COL table bytes of each machine: what TileMachine reserves (its GATHER_TABLE_SLACK is 64 KiB). */
export const gatherTables = (program: TileProgram): number => programGatherTableBytes(program, 1 << 16);

/**
 * The machine the parallel runner hands ProgramRunner: reset() and dram are participant 0's (DRAM is
 * shared); run() runs the partition on every participant. DRAM at run() must be reset() plus the input
 * tensors (what ProgramRunner writes): a fault reruns from that state.
 */
class ParallelMachine {
  readonly dram: Uint8Array;
  private generation = 0;
  private readonly dynamic: Float64Array;
  private readonly inputs: readonly { addr: number; bytes: number }[];

  constructor(
    private readonly main: TileMachine,
    private readonly wasm: WasmTileMemory,
    private readonly partition: Partition,
    private readonly control: Control,
    dynamic: SharedArrayBuffer,
    program: TileProgram,
  ) {
    this.dram = main.dram;
    this.dynamic = new Float64Array(dynamic);
    this.inputs = program.tensors.filter((e) => e.role === 'input').map((e) => ({ addr: e.addr, bytes: numel(e.shape) * dtypeBytes(e.dtype) }));
  }

  reset(): void {
    this.main.reset();
  }

  run(): CostCounters {
    const { partition: part, control } = this;
    const order = part.order[0]!, ends = part.segmentEnds[0]!;
    const saved = this.inputs.map((e) => this.dram.slice(e.addr, e.addr + e.bytes));
    const generation = ++this.generation;
    control.start(generation);
    let mainError: unknown;
    try {
      let from = 0;
      for (let s = 0; s < part.segments; s++) {
        const to = ends[s]!;
        if (to > from) this.main.runSubset(order, from, to, this.dynamic, part.dynamicAt);
        from = to;
        if (!control.barrier(0, s)) break;
      }
    } catch (e) {
      mainError = e;
      control.abort(0);
    }
    for (let p = 1; p < control.participants; p++) control.awaitFinished(p, generation);
    if (mainError !== undefined && !(mainError instanceof TilecError)) throw mainError;
    for (let p = 1; p < control.participants; p++) {
      const f = control.faultOf(p);
      if (f.kind === WorkerFault.Internal) throw new Error(`tile runtime worker ${p}: ${f.message}`);
    }
    if (control.aborted) {
      // A program fault: the sequential machine, from the same start state, gives the exact error.
      this.main.reset();
      this.inputs.forEach((e, k) => this.dram.set(saved[k]!, e.addr));
      return this.main.run();
    }
    return this.main.countersOf(this.dynamic.subarray(0, part.dynamicLength));
  }
}

/**
 * Runs a tile program like ProgramRunner (feeds in, outputs and counters out, identical results), one
 * inference spread over `threads` threads. create() starts the workers; close() ends them.
 */
export class ParallelProgramRunner {
  private closed = false;

  private constructor(
    private readonly runner: ProgramRunner,
    private readonly workers: readonly Worker[],
    private readonly control: Control | undefined,
    /** Threads one run uses (1 when the program runs sequentially). */
    readonly threads: number,
  ) {}

  static async create(program: TileProgram, options: ParallelRunOptions = {}): Promise<ParallelProgramRunner> {
    const codes = options.codes ? { codes: true } : {};
    const threads = Math.max(1, Math.min(4, Math.floor(options.threads ?? 2)));
    const part = threads > 1 ? partitionProgram(program, threads) : undefined;
    const t = program.target.tile, { spadBytes, accWords } = privateSizes(program), tableBytes = gatherTables(program);
    const bases = [program.dramBytes];
    for (let p = 0; p < threads; p++) bases.push(WasmTileMemory.regionEnd(t, bases[p]!, spadBytes, accWords, tableBytes));
    const pages = Math.ceil(bases[threads]! / PAGE);
    if (part === undefined || pages > MAX_PAGES) return new ParallelProgramRunner(new ProgramRunner(program, codes), [], undefined, 1);

    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const module = sharedKernelModule(MAX_PAGES);
    const mainWasm = WasmTileMemory.createIn(memory, module, t, program.dramBytes, bases[0]!, spadBytes, accWords, tableBytes);
    const main = new TileMachine(program, { memory: mainWasm, hostOps: hostOps(program.target) });
    const control = new Control(threads);
    const dynamic = new SharedArrayBuffer(8 * Math.max(1, part.dynamicLength));
    const url = workerUrl();
    const workers: Worker[] = [];
    try {
      const ready: Promise<void>[] = [];
      for (let p = 1; p < threads; p++) {
        const w = new Worker(url);
        workers.push(w);
        ready.push(new Promise<void>((resolve, reject) => {
          w.once('message', (m: { ready?: true; error?: string }) => (m.ready ? resolve() : reject(new Error(`tile runtime worker ${p} failed to start: ${m.error}`))));
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`tile runtime worker ${p} exited (code ${code}) before it was ready`)));
        }));
        const init: ParallelWorkerInit = {
          program, participant: p, participants: threads, memory, maxPages: MAX_PAGES, base: bases[p]!, spadBytes, accWords, tableBytes,
          order: part.order[p]!, segmentEnds: part.segmentEnds[p]!, dynamicAt: part.dynamicAt, dynamic, control: control.buffer,
        };
        w.postMessage(init);
      }
      await Promise.all(ready);
    } catch (e) {
      control.stop();
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    // A worker waits in Atomics.wait between runs: it must not keep the process alive.
    for (const w of workers) { w.removeAllListeners(); w.unref(); }
    const machine = new ParallelMachine(main, mainWasm, part, control, dynamic, program);
    return new ParallelProgramRunner(new ProgramRunner(program, { ...codes, machine }), workers, control, threads);
  }

  get program(): TileProgram { return this.runner.program; }
  get inputEntries(): ProgramRunner['inputEntries'] { return this.runner.inputEntries; }
  get outputEntries(): ProgramRunner['outputEntries'] { return this.runner.outputEntries; }

  run(feeds: ReadonlyMap<string, Tensor>): ProgramRun {
    if (this.closed) fail('this ParallelProgramRunner is closed');
    return this.runner.run(feeds);
  }

  /** Ends the workers (the runner cannot run afterwards). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.control === undefined) return;
    const exited = this.workers.map((w) => new Promise<void>((resolve) => { w.ref(); w.once('exit', () => resolve()); }));
    this.control.stop();
    await Promise.all(exited);
  }
}
