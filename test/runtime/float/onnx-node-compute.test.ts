import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import type { Node, NodeOf, OpName } from '../../../ir/ops.js';
import type { Tensor } from '../../../ir/tensor.js';
import type { Kernel } from '../../../runtime/float/kernel.js';
import { AveragePool } from '../../../runtime/float/AveragePool.js';
import { BatchNormalization } from '../../../runtime/float/BatchNormalization.js';
import { Conv } from '../../../runtime/float/Conv.js';
import { Gemm } from '../../../runtime/float/Gemm.js';
import { GlobalAveragePool } from '../../../runtime/float/GlobalAveragePool.js';
import { GlobalMaxPool } from '../../../runtime/float/GlobalMaxPool.js';
import { LRN } from '../../../runtime/float/LRN.js';
import { MatMul } from '../../../runtime/float/MatMul.js';
import { MaxPool } from '../../../runtime/float/MaxPool.js';
import { sharedPath } from '../../helpers/shared.js';
import { decodeTensor, expectClose } from './onnx-node-case.js';

// ONNX backend node tests for the compute kernels, called directly (one node per test), so they check
// the kernels alone. Attributes are read here with ONNX's defaults, independently of the importer.

const { onnx } = onnxProto;
type Long = { toNumber(): number };
const num = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

const KERNELS: Partial<Record<OpName, Kernel<never>>> = {
  Conv, Gemm, MatMul, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, BatchNormalization, LRN,
} as Partial<Record<OpName, Kernel<never>>>;

function attrsOf(op: string, list: readonly onnxProto.onnx.IAttributeProto[]): Record<string, unknown> {
  const a = new Map(list.map((x) => [x.name ?? '', x]));
  const int = (k: string, d: number): number => (a.has(k) ? num(a.get(k)!.i) : d);
  const float = (k: string, d: number): number => (a.has(k) ? a.get(k)!.f ?? 0 : d);
  const ints = (k: string): number[] | undefined => (a.has(k) ? (a.get(k)!.ints ?? []).map(num) : undefined);
  const str = (k: string, d: string): string => (a.has(k) ? new TextDecoder().decode(a.get(k)!.s ?? new Uint8Array()) : d);
  const window = { kernel_shape: ints('kernel_shape'), strides: ints('strides'), pads: ints('pads'), dilations: ints('dilations'), auto_pad: str('auto_pad', 'NOTSET') };
  switch (op) {
    case 'Conv': return { ...window, group: int('group', 1) };
    case 'MaxPool': case 'AveragePool':
      return { ...window, ceil_mode: int('ceil_mode', 0), count_include_pad: int('count_include_pad', 0), storage_order: int('storage_order', 0) };
    case 'Gemm': return { alpha: float('alpha', 1), beta: float('beta', 1), transA: int('transA', 0), transB: int('transB', 0) };
    case 'BatchNormalization': return { epsilon: float('epsilon', 1e-5) };
    case 'LRN': return { alpha: float('alpha', 1e-4), beta: float('beta', 0.75), bias: float('bias', 1), size: int('size', 0) };
    default: return {};
  }
}

interface Case { node: Node; inputs: (Tensor | undefined)[]; expected: Tensor[] }

function loadCase(dir: string): Case {
  const model = onnx.ModelProto.decode(readFileSync(path.join(dir, 'model.onnx')));
  const g = model.graph!;
  expect(g.node?.length, 'one node per test').toBe(1);
  const p = g.node![0]!;
  const values = new Map<string, Tensor>((g.initializer ?? []).map((t) => [t.name ?? '', decodeTensor(t)]));
  const data = path.join(dir, 'test_data_set_0');
  const read = (f: string): Tensor => decodeTensor(onnx.TensorProto.decode(readFileSync(path.join(data, f))));
  (g.input ?? []).filter((v) => !values.has(v.name ?? '')).forEach((v, i) => values.set(v.name ?? '', read(`input_${i}.pb`)));
  const node = { op: p.opType, name: p.name || 'node', inputs: p.input ?? [], outputs: p.output ?? [], attrs: attrsOf(p.opType ?? '', p.attribute ?? []) } as unknown as Node;
  return {
    node,
    inputs: node.inputs.map((n) => (n === '' ? undefined : values.get(n))),
    expected: (g.output ?? []).map((_, i) => read(`output_${i}.pb`)),
  };
}

const OPS = /^test_(basic_conv_|conv_with_|gemm_|matmul_|maxpool_|averagepool_|globalaveragepool|globalmaxpool|batchnorm_|lrn)/;
const root = sharedPath('onnx-node-tests');
const cases = root ? readdirSync(root).filter((d) => OPS.test(d)).sort() : [];

describe.skipIf(!root)('ONNX node tests: compute float kernels', () => {
  it('finds every expected test directory', () => {
    expect(cases.length).toBe(59);
  });
  it.each(cases)('%s', (name) => {
    const { node, inputs, expected } = loadCase(path.join(root!, name));
    const kernel = KERNELS[node.op] as ((n: NodeOf<OpName>, i: readonly (Tensor | undefined)[]) => Tensor[]) | undefined;
    expect(kernel, `a kernel for ${node.op}`).toBeDefined();
    const got = kernel!(node as NodeOf<OpName>, inputs);
    expect(got.length).toBeGreaterThanOrEqual(expected.length);
    expected.forEach((want, i) => expectClose(got[i]!, want, `${name} output ${i}`));
  });
});
