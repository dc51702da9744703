import { describe, expect, it } from 'vitest';
import { presetTarget, withTile } from '../../../backend/target.js';
import { decodeCode, instructionCount } from '../../../backend/program.js';
import { decodeTbin, encodeTbin } from '../../../backend/tbin.js';
import { assemble, disassemble } from '../../../backend/tasm.js';
import { HOST_FN, decodeHostOperands, hostOpOfFn } from '../../../backend/host-ops.js';
import { emitProgram } from '../../../backend/emit/index.js';
import type { Graph } from '../../../ir/graph.js';
import type { PoolAttrs } from '../../../ir/ops.js';
import { tensor } from '../../../ir/tensor.js';
import { GraphBuilder, expectBitExact, q8, qaddAttrs, quantize } from './fixture.js';

const pool = (k: number, s: number, p: number): PoolAttrs => ({
  kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0,
});

/** Every host-side op of a realized graph, a float island, and entry/exit quantization. */
function hostGraph(): { g: Graph; t: string; f: string; g2: string; c: string } {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [1, 4, 6, 6]);
  const xq = b.node('Quantize', [x], quantize(0.02), { quant: q8(0.02), name: 'x_q' });
  const p = b.node('MaxPool', [xq], pool(3, 1, 1), { outputs: ['p', ''], quant: q8(0.02) });
  const a = b.node('QAdd', [xq, p], qaddAttrs(0.02, 0.02, 0.04), { quant: q8(0.04) });
  const ap = b.node('QAveragePool', [a], { ...pool(2, 2, 0), zeroPoint: 0 }, { quant: q8(0.04) });
  const gp = b.node('QGlobalAveragePool', [a], { zeroPoint: 0 }, { quant: q8(0.04) });
  const r = b.node('Requantize', [ap], { multiplier: [1431655765], shift: [1], zeroPoint: 5, qmin: -128, qmax: 127, inZeroPoint: 0 }, { quant: q8(0.03, 5) });
  const t = b.node('Transpose', [r], { perm: [0, 2, 3, 1] }, { quant: q8(0.03, 5) });
  const f = b.node('Flatten', [t], { axis: 1 }, { quant: q8(0.03, 5) });
  const g2 = b.node('Flatten', [gp], { axis: 1 }, { quant: q8(0.04) });
  const c = b.node('Concat', [f, g2], { axis: 1 }, { quant: q8(0.03, 5) });
  const pads = b.init('pads', tensor('int64', [8], [0, 0, 1, 0, 0, 0, 0, 2]));
  const zero = b.init('pad_value', tensor('int8', [], [0]));
  const padded = b.node('Pad', [a, pads, zero], { mode: 'constant' }, { quant: q8(0.04) });
  const y1 = b.node('Dequantize', [c], { scale: 0.03, zeroPoint: 5 }, { outputs: ['y1'] });
  const y2 = b.node('Dequantize', [padded], { scale: 0.04, zeroPoint: 0 }, { outputs: ['y2'] });
  // A float island: Dequantize -> Softmax -> Quantize, then out again.
  const d = b.node('Dequantize', [gp], { scale: 0.04, zeroPoint: 0 });
  const sm = b.node('Softmax', [d], { axis: 1, coerce2d: false });
  const smq = b.node('Quantize', [sm], quantize(1 / 128, -128), { quant: q8(1 / 128, -128) });
  const y3 = b.node('Dequantize', [smq], { scale: 1 / 128, zeroPoint: -128 }, { outputs: ['y3'] });
  return { g: b.build([y1, y2, y3], 'host_ops'), t, f, g2, c };
}

describe('emission of host operations', () => {
  it('runs every host op through the reference kernels bit for bit, with entry/exit quantization folded', () => {
    const { g, t, f, g2, c } = hostGraph();
    const { program, report } = expectBitExact(g, presetTarget('default'));
    // Folded boundary: the input and the dequantized outputs are int8 codes with the nodes' quantization.
    const entry = (n: string) => program.tensors.find((e) => e.name === n)!;
    expect(entry('x')).toMatchObject({ role: 'input', dtype: 'int8', quant: { scale: [0.02], zeroPoint: [0], bits: 8 } });
    expect(entry('y1')).toMatchObject({ role: 'output', dtype: 'int8', quant: { scale: [0.03], zeroPoint: [5], bits: 8 } });
    // Views share bytes: the folded Quantize output is the input, Flatten(t) is t, and the concat's two inputs
    // were written in place (Concat emits nothing).
    expect(entry('x_q:out').addr).toBe(entry('x').addr);
    expect(entry(f).addr).toBe(entry(t).addr);
    expect(entry(c).addr).toBe(entry(f).addr);
    expect(entry(g2).addr).toBe(entry(c).addr + 36);
    const ops = report.map((l) => l.op);
    expect(ops).toEqual(['MaxPool', 'QAdd', 'QAveragePool', 'QGlobalAveragePool', 'Requantize', 'Transpose', 'Pad', 'Dequantize', 'Softmax', 'Quantize']);
    expect(report.every((l) => l.kind === 'host' && l.cycles > 100 && l.dram_bytes > 0)).toBe(true);
    // Every HOST instruction names its function and a well-formed operand block.
    const hosts = decodeCode(program.code, 'instruction ').filter((i) => i.op === 'HOST');
    expect(hosts.map((i) => (i.op === 'HOST' ? hostOpOfFn(i.fn) : ''))).toEqual(ops);
    for (const i of hosts) if (i.op === 'HOST') decodeHostOperands(program.hostData.subarray(i.offset, i.offset + i.length));
  });

  it('keeps Quantize/Dequantize as host ops when folding is off, with float32 at the boundary', () => {
    const { program, report } = expectBitExact(hostGraph().g, presetTarget('tiny'), { foldBoundary: false });
    expect(program.tensors.find((e) => e.name === 'x')).toMatchObject({ role: 'input', dtype: 'float32' });
    expect(program.tensors.find((e) => e.name === 'y1')).toMatchObject({ role: 'output', dtype: 'float32' });
    expect(report[0]!.op).toBe('Quantize');
    expect(report.filter((l) => l.op === 'Dequantize')).toHaveLength(4);
  });

  it('does not fold an entry Quantize whose clamp is narrower than its bit width', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    const xq = b.node('Quantize', [x], { scale: 0.1, zeroPoint: 0, qmin: 0, qmax: 127 }, { quant: q8(0.1) });
    const y = b.node('Dequantize', [xq], { scale: 0.1, zeroPoint: 0 }, { outputs: ['y'] });
    const { program, report } = expectBitExact(b.build([y]), presetTarget('default'));
    expect(program.tensors.find((e) => e.name === 'x')!.dtype).toBe('float32');
    expect(report.map((l) => l.op)).toEqual(['Quantize']);
  });

  it('is deterministic, and its .tbin and .tasm round-trip byte for byte', () => {
    const target = withTile(presetTarget('default'), 5);
    const a = encodeTbin(emitProgram(hostGraph().g, target).program);
    const b = encodeTbin(emitProgram(hostGraph().g, target).program);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const p = decodeTbin(a, 'x.tbin');
    expect(Buffer.from(encodeTbin(p)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(encodeTbin(assemble(disassemble(p), 'x.tasm'))).equals(Buffer.from(a))).toBe(true);
    expect(instructionCount(p)).toBe(10);
  });

  it('reuses freed activation buffers', () => {
    // A chain of 12 requantizations: only two activations are ever live at once.
    const b = new GraphBuilder();
    let v = b.node('Quantize', [b.input('x', 'float32', [1, 256])], quantize(0.01), { quant: q8(0.01) });
    for (let i = 0; i < 12; i++) v = b.node('Requantize', [v], { multiplier: [1073741824], shift: [0], zeroPoint: 0, qmin: -128, qmax: 127, inZeroPoint: 0 }, { quant: q8(0.02) });
    const y = b.node('Dequantize', [v], { scale: 0.02, zeroPoint: 0 }, { outputs: ['y'] });
    const { program } = expectBitExact(b.build([y]), presetTarget('default'));
    const addrs = new Set(program.tensors.filter((e) => e.role === 'activation' && e.name.startsWith('requantize')).map((e) => e.addr));
    expect(addrs.size).toBe(2);
    expect(program.dramBytes).toBeLessThanOrEqual(4 * 256);
  });

  it('rejects graphs that were not lowered, naming the node', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'int8', [1, 2]);
    const w = b.init('w', tensor('int8', [2, 2], [1, 2, 3, 4]));
    const y = b.node('QGemm', [x, w], { multiplier: [1073741824], shift: [0], zeroPoint: 0, qmin: -128, qmax: 127, transB: 0 }, { name: 'fc' });
    expect(() => emitProgram(b.build([y]), presetTarget('default'))).toThrow("violates stage 'lowered' (lowered int8 graph: every QConv/QGemm is a TileGemm (with Im2Col, Lift, Transpose around it), so no QConv, QGemm or float Conv/Gemm/MatMul remains): QGemm 'fc' is not allowed");
  });

  it('assigns every host op a distinct function code', () => {
    const codes = Object.values(HOST_FN);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [op, fn] of Object.entries(HOST_FN)) expect(hostOpOfFn(fn)).toBe(op);
  });
});
