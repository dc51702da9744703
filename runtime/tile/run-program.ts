import { dequantizeF32, qRange, quantizeF32 } from '../../ir/arith.js';
import { isInteger, newTensorData, type TensorData } from '../../ir/dtype.js';
import { fail } from '../../ir/errors.js';
import { numel, shapeStr, type Tensor } from '../../ir/tensor.js';
import type { CostCounters } from '../../backend/cost.js';
import { tensorBytes, tensorFromBytes } from '../../backend/host-ops.js';
import { dtypeBytes, type TensorEntry, type TileProgram } from '../../backend/program.js';
import { hostOps } from './host/index.js';
import { quantizeF32Wasm, quantizeWasmApplies } from './host/wasm/kernels.js';
import { TileMachine, type TileMachineOptions } from './machine.js';

// Runs a tile program on float32 inputs, as `tilec run` and `tilec verify` do (docs/host-ops.md, "Program
// boundary"). The tensor table says how the program meets the outside world:
// - an input tensor of an integer dtype with quantization parameters takes a float32 feed, quantized on entry
//   with ir/arith quantizeF32 (round half to even, saturate to the signed range of its bit width) — the
//   arithmetic of the Quantize node the emitter folded into it; it also takes codes of its own dtype as is;
// - an output tensor of an integer dtype with quantization parameters is dequantized on exit with
//   ir/arith dequantizeF32 — the arithmetic of the folded Dequantize;
// - every other input and output is written and read as it is (e.g. float32 when a Quantize stayed a host op).

export interface ProgramRun {
  /** Every output tensor, by name (dequantized as above). */
  readonly outputs: Map<string, Tensor>;
  readonly counters: CostCounters;
}

export interface RunProgramOptions extends Omit<TileMachineOptions, 'hostOps'> {
  /** Return outputs as the program stores them (int8 codes), not dequantized. */
  readonly codes?: boolean;
  /** false: every host op runs its reference kernel (host/index.ts HostOpsOptions). Default true. */
  readonly hostFastPaths?: boolean;
  /** The machine to run on instead of a new TileMachine (the two-thread runner's, runtime/tile/parallel). */
  readonly machine?: ProgramMachine;
}

/** What ProgramRunner needs of a machine. */
export type ProgramMachine = Pick<TileMachine, 'dram' | 'reset' | 'run'>;

// Module-level copies: the per-element loops call these, not another module's bindings (which some loaders
// turn into getter calls).
const quantizeCode = quantizeF32, dequantizeCode = dequantizeF32;

/**
 * An entry's quantization parameters, hoisted out of the element loops: element i has those of channel
 * floor(i / inner) % channels (one channel per tensor), so runs of `inner` elements share a channel.
 */
interface Codec {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly channels: number;
  readonly inner: number;
  readonly qmin: number;
  readonly qmax: number;
}

function codecOf(e: TensorEntry): Codec {
  const q = e.quant!, [qmin, qmax] = qRange(q.bits, true);
  if (q.scale.length === 1) return { scale: q.scale, zeroPoint: q.zeroPoint, channels: 1, inner: Math.max(1, numel(e.shape)), qmin, qmax };
  const axis = q.axis ?? 0;
  const channels = e.shape[axis] ?? 1, inner = numel(e.shape.slice(axis + 1));
  if (channels !== q.scale.length) fail(`quantization has ${q.scale.length} scales but axis ${axis} of shape ${shapeStr(e.shape)} has ${channels} entries`);
  return { scale: q.scale, zeroPoint: q.zeroPoint, channels, inner, qmin, qmax };
}

/** Channel runs at least this long (float32 into int8) are quantized by the WebAssembly kernel. */
const WASM_RUN = 64;

/** out[i] = quantizeF32(x[i]) with element i's parameters (long float32 -> int8 runs in WebAssembly, the same arithmetic). */
function quantizeInto(x: ArrayLike<number>, c: Codec, out: TensorData): void {
  const n = out.length, { qmin, qmax } = c;
  const simd = x instanceof Float32Array && out instanceof Int8Array && c.inner >= WASM_RUN;
  for (let start = 0, ch = 0; start < n; start += c.inner, ch = ch + 1 === c.channels ? 0 : ch + 1) {
    const scale = c.scale[ch]!, zeroPoint = c.zeroPoint[ch]!, end = Math.min(n, start + c.inner);
    if (simd && quantizeWasmApplies(scale, zeroPoint, qmin, qmax)) {
      quantizeF32Wasm(x.subarray(start, end), scale, zeroPoint, qmin, qmax, out.subarray(start, end));
      continue;
    }
    for (let i = start; i < end; i++) out[i] = quantizeCode(x[i]!, scale, zeroPoint, qmin, qmax);
  }
}

/** dequantizeF32 of every code, with element i's parameters. */
function dequantized(codes: ArrayLike<number>, c: Codec): Float32Array {
  const n = codes.length, y = new Float32Array(n);
  for (let start = 0, ch = 0; start < n; start += c.inner, ch = ch + 1 === c.channels ? 0 : ch + 1) {
    const scale = c.scale[ch]!, zeroPoint = c.zeroPoint[ch]!;
    for (let i = start, end = Math.min(n, start + c.inner); i < end; i++) y[i] = dequantizeCode(codes[i]!, scale, zeroPoint);
  }
  return y;
}

const quantizedCodes = (e: TensorEntry): boolean => e.quant !== undefined && isInteger(e.dtype);

/** Writes the codes the program's input `e` holds for `feed` at e's place in DRAM. */
function writeEntry(dram: Uint8Array, e: TensorEntry, codec: () => Codec, feed: Tensor): void {
  let sameShape = feed.shape.length === e.shape.length;
  for (let i = 0; sameShape && i < e.shape.length; i++) sameShape = feed.shape[i] === e.shape[i];
  if (!sameShape) fail(`input '${e.name}' has shape ${shapeStr(feed.shape)} but the program expects ${shapeStr(e.shape)}`);
  if (feed.dtype === e.dtype) {
    dram.set(tensorBytes(feed), e.addr);
  } else if (quantizedCodes(e) && feed.dtype === 'float32') {
    // int8 codes go straight into DRAM; wider ones through a little-endian copy.
    if (e.dtype === 'int8') {
      quantizeInto(feed.data, codec(), new Int8Array(dram.buffer, dram.byteOffset + e.addr, feed.data.length));
    } else {
      const out = newTensorData(e.dtype, feed.data.length);
      quantizeInto(feed.data, codec(), out);
      dram.set(tensorBytes({ dtype: e.dtype, shape: e.shape, data: out }), e.addr);
    }
  } else {
    fail(`input '${e.name}' is ${feed.dtype} but the program takes ${quantizedCodes(e) ? `float32 (quantized on entry) or ${e.dtype} codes` : e.dtype}`);
  }
}

/** Output `e` as the program left it in DRAM: its codes, or dequantized when `codes` is false. */
function readEntry(dram: Uint8Array, e: TensorEntry, codec: () => Codec, codes: boolean): Tensor {
  const n = numel(e.shape);
  if (!codes && quantizedCodes(e) && e.dtype === 'int8') {
    return { dtype: 'float32', shape: [...e.shape], data: dequantized(new Int8Array(dram.buffer, dram.byteOffset + e.addr, n), codec()) };
  }
  const stored = tensorFromBytes(e.dtype, e.shape, dram.subarray(e.addr, e.addr + n * dtypeBytes(e.dtype)));
  if (codes || !quantizedCodes(e)) return stored;
  return { dtype: 'float32', shape: [...e.shape], data: dequantized(stored.data, codec()) };
}

/** codecOf(e), computed on first use (an entry that is never converted never reports a bad quantization). */
function lazyCodec(e: TensorEntry): () => Codec {
  let c: Codec | undefined;
  return () => (c ??= codecOf(e));
}

/**
 * One tile machine for a program, reused across runs (verify runs every sample): each run resets DRAM,
 * writes the feeds, runs, and reads the outputs.
 */
export class ProgramRunner {
  private readonly machine: ProgramMachine;
  private readonly inputs: readonly TensorEntry[];
  private readonly outputs: readonly TensorEntry[];
  private readonly inputNames: ReadonlySet<string>;
  private readonly inputCodecs: readonly (() => Codec)[];
  private readonly outputCodecs: readonly (() => Codec)[];

  private readonly codes: boolean;

  constructor(readonly program: TileProgram, options: RunProgramOptions = {}) {
    this.machine = options.machine ?? new TileMachine(program, {
      ...(options.overflow ? { overflow: options.overflow } : {}), ...(options.kernels ? { kernels: options.kernels } : {}), hostOps: hostOps(program.target, { fastPaths: options.hostFastPaths ?? true }),
    });
    this.codes = options.codes ?? false;
    this.inputs = program.tensors.filter((e) => e.role === 'input');
    this.outputs = program.tensors.filter((e) => e.role === 'output');
    this.inputNames = new Set(this.inputs.map((e) => e.name));
    this.inputCodecs = this.inputs.map(lazyCodec);
    this.outputCodecs = this.outputs.map(lazyCodec);
  }

  /** The program's input tensors (name, dtype, shape, quantization), in tensor-table order. */
  get inputEntries(): readonly TensorEntry[] { return this.inputs; }
  get outputEntries(): readonly TensorEntry[] { return this.outputs; }

  run(feeds: ReadonlyMap<string, Tensor>): ProgramRun {
    const names = (): string => this.inputs.map((e) => e.name).join(', ');
    for (const name of feeds.keys()) {
      if (!this.inputNames.has(name)) fail(`feed '${name}' is not an input of the program (inputs: ${names() || 'none'})`);
    }
    const m = this.machine;
    m.reset();
    for (let i = 0; i < this.inputs.length; i++) {
      const e = this.inputs[i]!, feed = feeds.get(e.name);
      if (!feed) fail(`program input '${e.name}' is not fed (inputs: ${names()})`);
      writeEntry(m.dram, e, this.inputCodecs[i]!, feed);
    }
    const counters = m.run();
    const outputs = new Map<string, Tensor>();
    for (let i = 0; i < this.outputs.length; i++) {
      const e = this.outputs[i]!;
      outputs.set(e.name, readEntry(m.dram, e, this.outputCodecs[i]!, this.codes));
    }
    return { outputs, counters };
  }
}

/** Runs `program` once on float32 feeds (by input name); returns the dequantized outputs and the cost counters. */
export function runProgram(program: TileProgram, feeds: ReadonlyMap<string, Tensor>, options: RunProgramOptions = {}): ProgramRun {
  return new ProgramRunner(program, options).run(feeds);
}
