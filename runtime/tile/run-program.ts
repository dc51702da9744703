import { dequantizeF32, qRange, quantizeF32 } from '../../ir/arith.js';
import { isInteger, newTensorData } from '../../ir/dtype.js';
import { fail } from '../../ir/errors.js';
import type { QuantParams } from '../../ir/graph.js';
import { numel, shapeStr, type Tensor } from '../../ir/tensor.js';
import type { CostCounters } from '../../backend/cost.js';
import { tensorBytes, tensorFromBytes } from '../../backend/host-ops.js';
import { dtypeBytes, type TensorEntry, type TileProgram } from '../../backend/program.js';
import { hostOps } from './host/index.js';
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
}

/** Index of the quantization parameters (per tensor, or per channel along axis) of each element. */
function channelOf(q: QuantParams, shape: readonly number[]): (i: number) => number {
  if (q.scale.length === 1) return () => 0;
  const axis = q.axis ?? 0;
  const channels = shape[axis] ?? 1, inner = numel(shape.slice(axis + 1));
  if (channels !== q.scale.length) fail(`quantization has ${q.scale.length} scales but axis ${axis} of shape ${shapeStr(shape)} has ${channels} entries`);
  return (i) => Math.floor(i / inner) % channels;
}

const quantizedCodes = (e: TensorEntry): boolean => e.quant !== undefined && isInteger(e.dtype);

/** The codes the program's input `e` holds for `feed`. */
function entryValue(e: TensorEntry, feed: Tensor): Tensor {
  if (feed.shape.length !== e.shape.length || feed.shape.some((d, i) => d !== e.shape[i])) {
    fail(`input '${e.name}' has shape ${shapeStr(feed.shape)} but the program expects ${shapeStr(e.shape)}`);
  }
  if (feed.dtype === e.dtype) return feed;
  if (quantizedCodes(e) && feed.dtype === 'float32') {
    const q = e.quant!, ch = channelOf(q, e.shape);
    const [qmin, qmax] = qRange(q.bits, true);
    const out = newTensorData(e.dtype, feed.data.length);
    for (let i = 0; i < out.length; i++) {
      const c = ch(i);
      out[i] = quantizeF32(feed.data[i]!, q.scale[c]!, q.zeroPoint[c]!, qmin, qmax);
    }
    return { dtype: e.dtype, shape: e.shape, data: out };
  }
  return fail(`input '${e.name}' is ${feed.dtype} but the program takes ${quantizedCodes(e) ? `float32 (quantized on entry) or ${e.dtype} codes` : e.dtype}`);
}

function outputValue(e: TensorEntry, codes: Tensor): Tensor {
  if (!quantizedCodes(e)) return codes;
  const q = e.quant!, ch = channelOf(q, e.shape);
  const y = new Float32Array(codes.data.length);
  for (let i = 0; i < y.length; i++) {
    const c = ch(i);
    y[i] = dequantizeF32(codes.data[i]!, q.scale[c]!, q.zeroPoint[c]!);
  }
  return { dtype: 'float32', shape: [...e.shape], data: y };
}

/**
 * One tile machine for a program, reused across runs (verify runs every sample): each run resets DRAM,
 * writes the feeds, runs, and reads the outputs.
 */
export class ProgramRunner {
  private readonly machine: TileMachine;
  private readonly inputs: readonly TensorEntry[];
  private readonly outputs: readonly TensorEntry[];

  private readonly codes: boolean;

  constructor(readonly program: TileProgram, options: RunProgramOptions = {}) {
    this.machine = new TileMachine(program, {
      ...(options.overflow ? { overflow: options.overflow } : {}), ...(options.kernels ? { kernels: options.kernels } : {}), hostOps: hostOps(program.target),
    });
    this.codes = options.codes ?? false;
    this.inputs = program.tensors.filter((e) => e.role === 'input');
    this.outputs = program.tensors.filter((e) => e.role === 'output');
  }

  /** The program's input tensors (name, dtype, shape, quantization), in tensor-table order. */
  get inputEntries(): readonly TensorEntry[] { return this.inputs; }
  get outputEntries(): readonly TensorEntry[] { return this.outputs; }

  run(feeds: ReadonlyMap<string, Tensor>): ProgramRun {
    const names = this.inputs.map((e) => e.name);
    for (const name of feeds.keys()) {
      if (!names.includes(name)) fail(`feed '${name}' is not an input of the program (inputs: ${names.join(', ') || 'none'})`);
    }
    const m = this.machine;
    m.reset();
    for (const e of this.inputs) {
      const feed = feeds.get(e.name);
      if (!feed) fail(`program input '${e.name}' is not fed (inputs: ${names.join(', ')})`);
      m.dram.set(tensorBytes(entryValue(e, feed)), e.addr);
    }
    const counters = m.run();
    const outputs = new Map<string, Tensor>();
    for (const e of this.outputs) {
      const bytes = m.dram.subarray(e.addr, e.addr + numel(e.shape) * dtypeBytes(e.dtype));
      const stored = tensorFromBytes(e.dtype, e.shape, bytes);
      outputs.set(e.name, this.codes ? stored : outputValue(e, stored));
    }
    return { outputs, counters };
  }
}

/** Runs `program` once on float32 feeds (by input name); returns the dequantized outputs and the cost counters. */
export function runProgram(program: TileProgram, feeds: ReadonlyMap<string, Tensor>, options: RunProgramOptions = {}): ProgramRun {
  return new ProgramRunner(program, options).run(feeds);
}
