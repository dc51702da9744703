import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../ir/errors.js';
import { importModel } from '../../frontend/index.js';
import { importQdq } from '../../passes/qdq/import-qdq.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { type ModelSpec, type NodeSpec, type TensorSpec, buildModel } from '../helpers/onnx-builder.js';
import { ops } from './build.js';

// What import-qdq cannot import is an UnsupportedError naming the node, the tensor and the reason.

const s = (name: string, v: number): TensorSpec => ({ name, dtype: 'float32', shape: [], data: [v] });
const z = (name: string, dtype: 'uint8' | 'int8', v: number): TensorSpec => ({ name, dtype, shape: [], data: [v] });
const base = [s('s1', 0.1), z('z1', 'uint8', 128), s('s2', 0.2)];

function run(nodes: NodeSpec[], extra: Partial<ModelSpec> = {}) {
  const spec: ModelSpec = {
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
    initializers: base,
    nodes,
    ...extra,
  };
  return importQdq(importModel(buildModel(spec), { evaluate: evaluateFloat }));
}

const expectUnsupported = (f: () => unknown, re: RegExp): void => {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(UnsupportedError);
  expect((err as Error).message).toMatch(re);
};

describe('import-qdq errors', () => {
  it('a model whose input is already quantized', () => {
    expectUnsupported(() => run([{ op: 'DequantizeLinear', name: 'dq', inputs: ['x', 's1', 'z1'], outputs: ['y'] }],
      { inputs: [{ name: 'x', dtype: 'uint8', shape: [1, 4] }] }),
    /DequantizeLinear 'dq' cannot be imported: it reads graph input 'x' \(uint8\)/);
  });

  it('a model that returns codes', () => {
    expectUnsupported(() => run([{ op: 'QuantizeLinear', name: 'q', inputs: ['x', 's1', 'z1'], outputs: ['y'] }],
      { outputs: [{ name: 'y', dtype: 'uint8', shape: [1, 4] }] }),
    /QuantizeLinear 'q' cannot be imported: its output 'y' is a graph output \(uint8\)/);
  });

  it('codes read by an op that is not a DequantizeLinear', () => {
    expectUnsupported(() => run([
      { op: 'QuantizeLinear', name: 'q', inputs: ['x', 's1', 'z1'], outputs: ['xq'] },
      { op: 'Sub', name: 'sub', inputs: ['xq', 'xq'], outputs: ['d'] },
      { op: 'DequantizeLinear', name: 'dq', inputs: ['d', 's1', 'z1'], outputs: ['y'] },
    ]), /QuantizeLinear 'q' cannot be imported: its output 'xq' is read by Sub 'sub'/);
  });

  it('a DequantizeLinear whose parameters differ from its QuantizeLinear', () => {
    expectUnsupported(() => run([
      { op: 'QuantizeLinear', name: 'q', inputs: ['x', 's1', 'z1'], outputs: ['xq'] },
      { op: 'DequantizeLinear', name: 'dq', inputs: ['xq', 's2', 'z1'], outputs: ['y'] },
    ]), /QuantizeLinear 'q' cannot be imported: DequantizeLinear 'dq' reads 'xq' with scale 0\.2\d* zero point 0 .* but it was quantized with scale 0\.1\d* zero point 0/);
  });

  it('one tensor quantized twice with different parameters', () => {
    expectUnsupported(() => run([
      { op: 'QuantizeLinear', name: 'q1', inputs: ['x', 's1', 'z1'], outputs: ['a'] },
      { op: 'DequantizeLinear', name: 'dq1', inputs: ['a', 's1', 'z1'], outputs: ['af'] },
      { op: 'QuantizeLinear', name: 'q2', inputs: ['x', 's2', 'z1'], outputs: ['b'] },
      { op: 'DequantizeLinear', name: 'dq2', inputs: ['b', 's2', 'z1'], outputs: ['bf'] },
      { op: 'Add', name: 'add', inputs: ['af', 'bf'], outputs: ['y'] },
    ]), /QuantizeLinear 'q2': 'x' is quantized twice with different parameters/);
  });

  it('a scale that is not a constant', () => {
    expectUnsupported(() => run([
      { op: 'QuantizeLinear', name: 'q', inputs: ['x', 'sc', 'z1'], outputs: ['xq'] },
      { op: 'DequantizeLinear', name: 'dq', inputs: ['xq', 'sc', 'z1'], outputs: ['y'] },
    ], { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }, { name: 'sc', dtype: 'float32', shape: [] }] }),
    /QuantizeLinear 'q' cannot be imported: its scale\/zero-point input 'sc' is not a constant/);
  });

  const asymmetric = (use: 'weight' | 'operand'): NodeSpec[] => [
    { op: 'DequantizeLinear', name: 'dqw', inputs: ['w', 's1', 'wz'], outputs: ['wf'] },
    use === 'weight'
      ? { op: 'MatMul', name: 'mm', inputs: ['x', 'wf'], outputs: ['y'] }
      : { op: 'Add', name: 'add', inputs: ['x', 'wf'], outputs: ['y'] },
  ];
  const asymInits = [...base, { name: 'w', dtype: 'uint8' as const, shape: [4, 4], data: [0, 255, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21] }, z('wz', 'uint8', 10)];

  it('asymmetric weights whose centred codes do not fit int8', () => {
    expectUnsupported(() => run(asymmetric('weight'), { initializers: asymInits }),
      /DequantizeLinear 'dqw': weight 'wf' of MatMul 'mm' is asymmetric \(scale 0\.1\d* zero point -118 .*\): its centred codes span \[-10, 245\]/);
  });

  it('the same constant as a plain operand keeps its asymmetric parameters', () => {
    const g = run(asymmetric('operand'), { initializers: asymInits });
    expect(ops(g)).toEqual(['Add']);
    expect(g.values.get('wf')!.quant).toEqual({ scale: [Math.fround(0.1)], zeroPoint: [10 - 128], bits: 8 });
  });

  it('ConvInteger read by something else than an int32 DequantizeLinear', () => {
    expectUnsupported(() => run([
      { op: 'QuantizeLinear', name: 'q', inputs: ['x', 's1', 'z1'], outputs: ['xq'] },
      { op: 'MatMulInteger', name: 'mi', inputs: ['xq', 'w', 'z1'], outputs: ['acc'] },
    ], {
      initializers: [...base, { name: 'w', dtype: 'uint8', shape: [4, 4], data: new Array<number>(16).fill(3) }],
      outputs: [{ name: 'acc', dtype: 'int32', shape: [1, 4] }],
    }), /MatMulInteger 'mi' cannot be imported: only the form QuantizeLinear\(x\) -> MatMulInteger/);
  });
});
