import { Worker } from 'node:worker_threads';
import { TilecError, fail } from '../../../ir/errors.js';
import { workerScriptUrl } from '../../../ir/worker-url.js';
import { numel, type Tensor } from '../../../ir/tensor.js';
import type { CostCounters } from '../../../backend/cost.js';
import { INSTRUCTION_BYTES } from '../../../backend/isa.js';
import { dtypeBytes, type TileProgram } from '../../../backend/program.js';
import { hostOps } from '../host/index.js';
import { TileMachine, machineSizes } from '../machine.js';
import { ProgramRunner, type ProgramRun, type RunProgramOptions } from '../run-program.js';
import { WasmTileMemory } from '../wasm/kernels.js';
import { bulkOps, type Bulk } from './bulk.js';
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

/** Scratchpad bytes and accumulator words one machine needs (what TileMachine allocates). */
export function privateSizes(program: TileProgram): { spadBytes: number; accWords: number } {
  const { spadBytes, accWords } = machineSizes(program);
  return { spadBytes, accWords };
}

/** LOAD_IM2COL table bytes of each machine: what TileMachine reserves. */
export const gatherTables = (program: TileProgram): number => machineSizes(program).tableBytes;

/** One participant's program: its instructions in program order, where its segments end, and their trace places. */
export interface Share {
  readonly program: TileProgram;
  readonly segmentEnds: Int32Array;
  readonly dynamicAt: Int32Array;
}

export function shareOf(program: TileProgram, part: Partition, p: number): Share {
  const order = part.order[p]!, code = new Uint8Array(order.length * INSTRUCTION_BYTES), dynamicAt = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const at = order[k]! * INSTRUCTION_BYTES;
    code.set(program.code.subarray(at, at + INSTRUCTION_BYTES), k * INSTRUCTION_BYTES);
    dynamicAt[k] = part.dynamicAt[order[k]!]!;
  }
  return { program: { ...program, code }, segmentEnds: part.segmentEnds[p]!, dynamicAt };
}

/** Where the shared memory keeps, after the participants' regions, DRAM's start image and the saved inputs. */
interface SharedLayout {
  readonly image: number;
  readonly inputs: readonly { readonly addr: number; readonly bytes: number; readonly saved: number }[];
  readonly end: number;
}

function sharedLayout(program: TileProgram, from: number): SharedLayout {
  const align16 = (v: number): number => Math.ceil(v / 16) * 16;
  const image = align16(from);
  let at = align16(image + program.dramBytes);
  const inputs = program.tensors.filter((e) => e.role === 'input').map((e) => {
    const bytes = numel(e.shape) * dtypeBytes(e.dtype), saved = at;
    at = align16(at + bytes);
    return { addr: e.addr, bytes, saved };
  });
  return { image, inputs, end: at };
}

/**
 * The machine the parallel runner hands ProgramRunner: reset() and dram are participant 0's (DRAM is
 * shared); run() runs the partition on every participant. DRAM at run() must be reset() plus the input
 * tensors (what ProgramRunner writes): a fault reruns from that state.
 */
class ParallelMachine {
  readonly dram: Uint8Array;
  private generation = 0;
  private readonly dynamic: Float64Array;
  private readonly bulk: Bulk;

  constructor(
    private readonly main: TileMachine,
    private readonly wasm: WasmTileMemory,
    /** The whole program on its own memory: the counters, and the rerun after a fault. */
    private readonly full: TileMachine,
    private readonly share: Share,
    private readonly control: Control,
    dynamic: SharedArrayBuffer,
    private readonly memory: SharedLayout,
    shared: WebAssembly.Memory,
  ) {
    this.dram = main.dram;
    this.dynamic = new Float64Array(dynamic);
    this.bulk = bulkOps(shared);
  }

  /**
   * What TileMachine.reset() does — DRAM to zeros and constants, the scratchpad (and its packed-B cache) and
   * accumulator to zeros — with WebAssembly bulk copies from the start image (JavaScript's are slow on a
   * shared memory, see bulk.ts).
   */
  reset(): void {
    const { bulk, wasm } = this;
    bulk.copy(0, this.memory.image, this.dram.length);
    bulk.fill(wasm.spad.byteOffset, 0, wasm.spad.byteLength);
    bulk.fill(wasm.acc.byteOffset, 0, wasm.acc.byteLength);
    wasm.spadReset();
  }

  run(): CostCounters {
    const { share, control, bulk, memory } = this;
    const ends = share.segmentEnds;
    // The inputs as the caller wrote them, for a rerun after a fault.
    for (const e of memory.inputs) bulk.copy(e.saved, e.addr, e.bytes);
    const generation = ++this.generation;
    control.start(generation);
    let mainError: unknown;
    try {
      let from = 0;
      for (let s = 0; s < ends.length; s++) {
        const to = ends[s]!;
        if (to > from) this.main.runRange(from, to, this.dynamic, share.dynamicAt);
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
      const full = this.full, saved = new Uint8Array(this.dram.buffer);
      full.reset();
      for (const e of memory.inputs) full.dram.set(saved.subarray(e.saved, e.saved + e.bytes), e.addr);
      const counters = full.run();
      this.dram.set(full.dram); // (not reached: the rerun faults too)
      return counters;
    }
    return this.full.countersOf(this.dynamic);
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
    const sequential = (): ParallelProgramRunner => new ParallelProgramRunner(new ProgramRunner(program, codes), [], undefined, 1);
    if (part === undefined) return sequential();
    // Each participant's machine runs the program of its own instructions, in its own regions.
    const t = program.target.tile, shares = Array.from({ length: threads }, (_, p) => shareOf(program, part, p));
    const regions = shares.map((sh) => ({ ...privateSizes(sh.program), tableBytes: gatherTables(sh.program), code: sh.program.code }));
    const bases = [program.dramBytes];
    regions.forEach((r, p) => bases.push(WasmTileMemory.regionEnd(t, bases[p]!, r.spadBytes, r.accWords, r.tableBytes, r.code)));
    const layout = sharedLayout(program, bases[threads]!);
    const pages = Math.ceil(layout.end / PAGE);
    if (pages > MAX_PAGES) return sequential();

    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const image = new Uint8Array(memory.buffer, layout.image, program.dramBytes);
    for (const c of program.constants) image.set(c.data, c.addr);
    const module = sharedKernelModule(MAX_PAGES);
    const r0 = regions[0]!;
    const mainWasm = WasmTileMemory.createIn(memory, module, t, program.dramBytes, bases[0]!, r0.spadBytes, r0.accWords, r0.tableBytes, r0.code);
    const main = new TileMachine(shares[0]!.program, { memory: mainWasm, hostOps: hostOps(program.target) });
    const full = new TileMachine(program, { hostOps: hostOps(program.target) });
    const control = new Control(threads);
    const dynamic = new SharedArrayBuffer(8 * part.dynamicLength);
    const url = workerScriptUrl(import.meta.url, 'worker');
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
        const r = regions[p]!, sh = shares[p]!;
        const init: ParallelWorkerInit = {
          program: sh.program, participant: p, participants: threads, memory, maxPages: MAX_PAGES, base: bases[p]!, spadBytes: r.spadBytes, accWords: r.accWords,
          tableBytes: r.tableBytes, segmentEnds: sh.segmentEnds, dynamicAt: sh.dynamicAt, dynamic, control: control.buffer,
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
    const machine = new ParallelMachine(main, mainWasm, full, shares[0]!, control, dynamic, layout, memory);
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
