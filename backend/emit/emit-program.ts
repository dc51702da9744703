import type { Graph } from '../../ir/graph.js';
import { valueType } from '../../ir/graph.js';
import { STAGES, checkStage } from '../../ir/stages.js';
import { CostModel, DRAM_PAGE_BYTES } from '../cost.js';
import { GatherFootprints, RelativeFootprints, encodeGatherDescriptor, geometryKey } from '../gather.js';
import {
  HOST_FN, decodeHostOperands, encodeHostOperands, hostOpBytes, hostOpCycles,
  type HostAttr, type HostOpName, type TensorRef,
} from '../host-ops.js';
import type { PreloadSource, StoreMode, TileSink } from '../isa.js';
import type { GatherFootprint } from '../gather.js';
import { CodeBuilder, validateProgram, type ConstantBlob, type TensorEntry, type TileProgram } from '../program.js';
import type { LoopOrder, Target } from '../target.js';
import { TimingMemo, emitGemm, scheduleDramBytes, timeSchedule, type GemmPlan, type GemmSpec } from '../tile-gemm.js';
import { analyze, type Step } from './analyze.js';
import { MIN_WORKER_GEMMS, PlanWorker, defaultPlanThreads, planGemms, wantsPlanWorker } from './plan-gemms.js';
import { gemmLayer, hostLayer, totalsOf, type EmitTotals, type LayerReport } from './report.js';

// The backend's entry point: a lowered graph (stage after LOWER_PIPELINE) -> a tile program. analyze.ts
// decides what each node becomes and where each tensor lives; this file writes the instruction stream
// (tileGemm for every TileGemm, one HOST instruction with its operand block for every other op that moves
// or computes bytes), the constants and the tensor table, and reports every step under the cost model.
// Deterministic: the same graph, target and options give the same bytes.

export interface EmitOptions {
  /** Tiling strategy of every GEMM; default: the target's loopOrder (else 'auto'). */
  readonly strategy?: LoopOrder;
  /** Give GEMMs DRAM scratch for spilled partial sums, so weight-stationary spill schedules compete (default true). */
  readonly scratch?: boolean;
  /** Fold the entry Quantize / exit Dequantize into an int8 tensor table boundary (default true; boundary.ts). */
  readonly foldBoundary?: boolean;
  /**
   * Run TileGemm gather 'im2col' as a HOST Im2Col into a DRAM buffer, then the GEMM (default false: LOAD_IM2COL
   * gathers B's tiles from the conv input, and nothing is materialised).
   */
  readonly hostIm2col?: boolean;
  /** Called after each node is emitted (GEMM search can take a while on big layers). */
  readonly onProgress?: (done: number, total: number, node: string) => void;
  /**
   * Threads choosing the GEMMs' schedules (plan-gemms.ts; the program is the same for any value). Default: 2
   * when the machine has two cores or more, else 1, and a program with few or small GEMMs plans on the main
   * thread alone; an explicit value ≥ 2 always uses the worker when there are two GEMMs or more to plan.
   */
  readonly planThreads?: number;
  /**
   * A planning worker started when the compile began (startPlanWorker), so that its start-up overlaps import and
   * passes; used in place of a new one when the GEMMs call for a worker, and terminated in any case.
   */
  readonly planWorker?: PlanWorker;
}

export interface EmitResult {
  readonly program: TileProgram;
  /** One entry per step that emits instructions, in program order. */
  readonly report: readonly LayerReport[];
  readonly totals: EmitTotals;
  /** What the reader of the report should know (e.g. im2col runs on the host). */
  readonly notes: readonly string[];
}

/** Sends every instruction to two sinks: the program and the whole-program cost model. */
class Tee implements TileSink {
  constructor(private readonly a: TileSink, private readonly b: TileSink) {}
  load(spad: number, dram: number, stride: number, rows: number, cols: number): void {
    this.a.load(spad, dram, stride, rows, cols); this.b.load(spad, dram, stride, rows, cols);
  }
  preload(acc: number, source: PreloadSource, dram: number, stride: number, rows: number, cols: number): void {
    this.a.preload(acc, source, dram, stride, rows, cols); this.b.preload(acc, source, dram, stride, rows, cols);
  }
  matmul(acc: number, a: number, b: number, m: number, n: number, k: number, accumulate: boolean): void {
    this.a.matmul(acc, a, b, m, n, k, accumulate); this.b.matmul(acc, a, b, m, n, k, accumulate);
  }
  store(acc: number, dram: number, stride: number, rows: number, cols: number, mode: StoreMode, table: number, perRow: boolean, qmin: number, qmax: number): void {
    this.a.store(acc, dram, stride, rows, cols, mode, table, perRow, qmin, qmax);
    this.b.store(acc, dram, stride, rows, cols, mode, table, perRow, qmin, qmax);
  }
  fence(): void { this.a.fence(); this.b.fence(); }
  loadIm2col(spad: number, desc: number, row0: number, col0: number, rows: number, cols: number, f: GatherFootprint): void {
    this.a.loadIm2col(spad, desc, row0, col0, rows, cols, f); this.b.loadIm2col(spad, desc, row0, col0, rows, cols, f);
  }
}

export const HOST_IM2COL_NOTE = "TileGemm gather 'im2col' runs as a HOST Im2Col into a DRAM buffer before the GEMM "
  + '(hostIm2col: no gathering loads), except 1x1 stride-1 unpadded batch-1 windows, which read x directly';

/**
 * Only STOREs write DRAM pages in the cost model (a HOST op is a barrier), and only GEMM outputs and their
 * scratch are stored to. A page nothing stores to never delays a read and its readers never delay a write,
 * so the whole-program model tracks the pages spanning those tensors only (CostModel.trackOnly: same
 * counters; weight loads then cost no DRAM scoreboard work).
 */
function trackWrittenPages(model: CostModel, steps: readonly Step[], addr: (v: string) => number): void {
  let first = Infinity, last = -Infinity;
  for (const s of steps) {
    if (s.kind !== 'gemm') continue;
    const c = addr(s.node.outputs[0]!);
    first = Math.min(first, c);
    last = Math.max(last, c + s.m * s.n - 1);
    if (s.scratch !== undefined) {
      const scratch = addr(s.scratch);
      first = Math.min(first, scratch);
      last = Math.max(last, scratch + 4 * s.m * s.n - 1);
    }
  }
  if (first > last) return;
  model.trackOnly([[Math.floor(first / DRAM_PAGE_BYTES) * DRAM_PAGE_BYTES, (Math.floor(last / DRAM_PAGE_BYTES) + 1) * DRAM_PAGE_BYTES - 1]]);
}

/** GEMMs that share a schedule (emitProgram): the same shape, strides, bias, requant layout and scratch. */
const shapeKey = (spec: GemmSpec): string => JSON.stringify([spec.m, spec.n, spec.k, spec.a.stride, spec.gather ? 'gather' : spec.b.stride, spec.c.stride,
  spec.bias !== undefined, spec.requant?.perRow, spec.scratch?.bytes]);

export function emitProgram(lowered: Graph, target: Target, opts: EmitOptions = {}): EmitResult {
  let worker: PlanWorker | undefined;
  try {
    checkStage(lowered, STAGES.lowered);
    const threads = opts.planThreads ?? defaultPlanThreads();
    const forced = opts.planThreads !== undefined;
    // Started first, so that loading its modules overlaps the analysis (and terminated unused if the GEMMs to
    // plan turn out too small); not started at all when there are too few GEMM shapes.
    const shapeCount = (): number => new Set(lowered.nodes.filter((n) => n.op === 'TileGemm')
      .map((n) => JSON.stringify([valueType(lowered, n.inputs[0]!).shape, valueType(lowered, n.outputs[0]!).shape]))).size;
    if (threads >= 2 && shapeCount() >= (forced ? 2 : MIN_WORKER_GEMMS)) worker = opts.planWorker ?? new PlanWorker();
    else opts.planWorker?.terminate();
    return emitWith(lowered, target, opts, threads, forced, worker);
  } finally {
    worker?.terminate();
    opts.planWorker?.terminate();
  }
}

function emitWith(lowered: Graph, target: Target, opts: EmitOptions, threads: number, forced: boolean, worker: PlanWorker | undefined): EmitResult {
  const a = analyze(lowered, { scratch: opts.scratch ?? true, foldBoundary: opts.foldBoundary ?? true, hostIm2col: opts.hostIm2col ?? false });
  const storage = a.storage;
  const dramBytes = storage.allocate(lowered.nodes.length);
  const code = new CodeBuilder();
  const model = new CostModel(target);
  trackWrittenPages(model, a.steps, (v) => storage.addr(v));
  const sink = new Tee(code, model);
  const hostChunks: Uint8Array[] = [];
  let hostBytes = 0;
  const layers: LayerReport[] = [];
  const notes = new Set<string>();
  /** Gather descriptors, written once x's address is known. */
  const descriptors = new Map<string, Uint8Array>();
  const ref = (v: string): TensorRef | undefined => {
    if (v === '') return undefined;
    const t = valueType(lowered, v);
    return { addr: storage.addr(v), dtype: t.dtype, shape: t.shape };
  };

  const emitHost = (op: HostOpName, name: string, inputs: (TensorRef | undefined)[], outputs: (TensorRef | undefined)[], attrs: object): void => {
    const block = encodeHostOperands({ node: name, inputs, outputs, attrs: attrs as Record<string, HostAttr> });
    code.host(HOST_FN[op], hostBytes, block.length);
    hostChunks.push(block);
    hostBytes += block.length;
    // Charged from the decoded block, exactly as the machine's host op will charge it.
    const d = decodeHostOperands(block);
    const cycles = hostOpCycles(op, d.inputs, d.outputs, d.attrs, target);
    model.host(cycles);
    layers.push(hostLayer(name, op, hostOpBytes(d.inputs, d.outputs), cycles));
  };

  // Timings of GEMMs that differ only in their operands' page-aligned placement are the same (memo.ts).
  const memo = new TimingMemo(target);
  // Gathered tiles' footprints by geometry, relative to x: repeated blocks gather alike from other inputs.
  const footprints = new Map<string, RelativeFootprints>();

  /** A TileGemm step's spec: tensor placement is settled, so every spec is known before anything is emitted. */
  const gemmSpec = (s: Step & { kind: 'gemm' }): GemmSpec => {
    const { node, m, n, k, source } = s;
    const [aName, bName, biasName = ''] = node.inputs as [string, string, string?];
    let b: GemmSpec['b'];
    let gather: GemmSpec['gather'];
    if (source.kind === 'matrix') {
      b = { addr: storage.addr(bName), stride: n };
    } else if (source.kind === 'view') {
      const geo = source.geometry;
      b = { addr: storage.addr(bName) + geo.channelStart * geo.positions, stride: geo.positions };
    } else if (source.kind === 'load') {
      const x = ref(bName)!;
      const descAddr = storage.addr(source.descriptor);
      descriptors.set(source.descriptor, encodeGatherDescriptor({ x: x.addr, xShape: x.shape, attrs: source.gather }));
      const gkey = geometryKey(source.geometry, target.tile);
      let relative = footprints.get(gkey);
      if (relative === undefined) footprints.set(gkey, relative = new RelativeFootprints(source.geometry, target.tile));
      gather = { gather: 'im2col', descriptor: descAddr, footprints: new GatherFootprints(source.geometry, x.addr, target.tile, relative) };
      // Never read: LOAD_IM2COL gathers every tile of B.
      b = { addr: x.addr, stride: n };
    } else {
      b = { addr: storage.addr(source.matrix), stride: n };
    }
    const at = node.attrs;
    return {
      name: node.name, m, n, k,
      a: { addr: storage.addr(aName), stride: k },
      b,
      ...(gather ? { gather } : {}),
      ...(biasName !== '' ? { bias: storage.addr(biasName) } : {}),
      c: { addr: storage.addr(node.outputs[0]!), stride: n },
      requant: { table: storage.addr(s.table), perRow: at.multiplier.length > 1, qmin: at.qmin, qmax: at.qmax },
      ...(s.scratch !== undefined ? { scratch: { addr: storage.addr(s.scratch), bytes: m * n * 4 } } : {}),
    };
  };
  const specs = a.steps.map((s) => (s.kind === 'gemm' ? gemmSpec(s) : undefined));

  // GEMMs of one shape (the groups of a grouped or depthwise conv: thousands in ShuffleNet) share the schedule
  // the search chose for the first of them; each is still timed on its own addresses for the report. The
  // searches run before emission, on two threads when there is enough of them (plan-gemms.ts).
  const shapes = specs.map((spec) => (spec !== undefined ? shapeKey(spec) : ''));
  const firstOfShape = new Map<string, GemmSpec>();
  specs.forEach((spec, i) => { if (spec !== undefined && !firstOfShape.has(shapes[i]!)) firstOfShape.set(shapes[i]!, spec); });
  const toPlan = [...firstOfShape.values()];
  const useWorker = worker !== undefined && wantsPlanWorker(toPlan, target.tile, threads, forced);
  if (!useWorker) worker?.terminate();
  const plans = planGemms(toPlan, target, { memo, ...(opts.strategy ? { strategy: opts.strategy } : {}), ...(useWorker ? { worker } : {}) });
  const planOfShape = new Map([...firstOfShape.keys()].map((shape, i) => [shape, plans[i]!]));
  // A GEMM emits its plan's instructions (a schedule's count does not depend on addresses), a host step one
  // HOST (and an explicitly gathered GEMM one more, its Im2Col).
  code.reserve(a.steps.reduce((n, s, i) => n + 1 + (s.kind === 'gemm' ? planOfShape.get(shapes[i]!)!.counters.instructions : 0), 0));
  const planned = (spec: GemmSpec, shape: string): GemmPlan => {
    const plan = planOfShape.get(shape)!;
    emitGemm(spec, target, plan.schedule, sink);
    if (firstOfShape.get(shape) === spec) return plan;
    return { ...plan, name: spec.name, counters: timeSchedule(spec, target, plan.schedule, memo), timed: 0 };
  };

  const emitStep = (s: Step, spec: GemmSpec | undefined, shape: string): void => {
    if (s.kind === 'none') return;
    if (s.kind === 'host') {
      emitHost(s.op, s.node.name, s.node.inputs.map(ref), s.node.outputs.map(ref), s.node.attrs);
      return;
    }
    const { node, m, n, k, source } = s;
    const bName = node.inputs[1]!;
    const gather = spec!.gather;
    if (source.kind === 'gather') {
      notes.add(HOST_IM2COL_NOTE);
      const g = source.gather;
      emitHost('Im2Col', source.matrix, [ref(bName)!], [{ addr: storage.addr(source.matrix), dtype: 'int8', shape: [k, n] }], {
        kernel_shape: g.kernel_shape, strides: g.strides, pads: g.pads, dilations: g.dilations,
        padValue: g.padValue, channelStart: g.channelStart, channels: g.channels,
      });
    }
    const plan = planned(spec!, shape);
    const layer = gemmLayer(node.name, node.op, { m, n, k }, plan, target.tile);
    if (!gather) { layers.push(layer); return; }
    // What explicit im2col would move for this layer, under the same schedule: the host pass reading x and
    // writing the K×N matrix, then the GEMM loading B's tiles from that matrix.
    const hostPass = hostOpBytes([ref(bName)!], [{ dtype: 'int8', shape: [k, n] }]);
    const explicitGemm = scheduleDramBytes({ ...spec!, gather: undefined, b: { addr: 0, stride: n } }, target, plan.schedule);
    layers.push({ ...layer, im2col_dram_bytes: { explicit: hostPass + explicitGemm, implicit: layer.dram_bytes } });
  };

  a.steps.forEach((s, i) => {
    emitStep(s, specs[i], shapes[i]!);
    opts.onProgress?.(i + 1, a.steps.length, s.node.name);
  });

  const hostData = new Uint8Array(hostBytes);
  let at = 0;
  for (const c of hostChunks) { hostData.set(c, at); at += c.length; }
  const tensors: TensorEntry[] = a.tensors.map((t) => ({ ...t, addr: storage.addr(t.name) }));
  const constants: ConstantBlob[] = a.constants.map((c) => ({ ...c, data: descriptors.get(c.name) ?? c.data, addr: storage.addr(c.name) }));
  const program: TileProgram = { target, dramBytes, tensors, constants, hostData, code: code.take() };
  validateProgram(program, `tile program of graph '${lowered.name}'`);
  return { program, report: layers, totals: totalsOf(model.counters, layers, target.tile), notes: [...notes] };
}
