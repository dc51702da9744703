import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../../ir/ops.js';
import type { Tensor } from '../../../ir/tensor.js';
import { ConvInteger } from '../../../runtime/float/ConvInteger.js';
import { DequantizeLinear } from '../../../runtime/float/DequantizeLinear.js';
import { MatMulInteger } from '../../../runtime/float/MatMulInteger.js';
import { QLinearConv } from '../../../runtime/float/QLinearConv.js';
import { QLinearMatMul } from '../../../runtime/float/QLinearMatMul.js';
import { QuantizeLinear } from '../../../runtime/float/QuantizeLinear.js';
import { sharedPath } from '../../helpers/shared.js';
import { loadNodeTest } from './quant-node-helper.js';

// ONNX's own backend node tests of the quantization ops: every output must match bit for bit.

const CASES = [
  'test_quantizelinear', 'test_quantizelinear_axis', 'test_dequantizelinear', 'test_dequantizelinear_axis',
  'test_qlinearconv', 'test_convinteger_with_padding', 'test_convinteger_without_padding', 'test_matmulinteger',
  ...['2D', '3D'].flatMap((r) => ['int8', 'uint8'].flatMap((q) => ['float16', 'float32'].map((f) => `test_qlinearmatmul_${r}_${q}_${f}`))),
];

function run(node: Node, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  switch (node.op) {
    case 'QuantizeLinear': return QuantizeLinear(node, inputs);
    case 'DequantizeLinear': return DequantizeLinear(node, inputs);
    case 'QLinearConv': return QLinearConv(node, inputs);
    case 'QLinearMatMul': return QLinearMatMul(node, inputs);
    case 'ConvInteger': return ConvInteger(node, inputs);
    case 'MatMulInteger': return MatMulInteger(node, inputs);
    default: throw new Error(`no quantization kernel for ${node.op}`);
  }
}

const root = sharedPath('onnx-node-tests');

describe.skipIf(!root)('ONNX node tests of the quantization ops', () => {
  it('covers every node test of these ops in ../shared', () => {
    const present = readdirSync(root!).filter((d) => /^test_(quantizelinear|dequantizelinear|qlinearconv|qlinearmatmul|convinteger|matmulinteger)/.test(d));
    expect([...CASES].sort()).toEqual(present.sort());
  });

  it.each(CASES)('%s matches exactly', (name) => {
    const t = loadNodeTest(path.join(root!, name));
    const got = run(t.node, t.inputs);
    expect(got).toHaveLength(t.outputs.length);
    for (let i = 0; i < got.length; i++) {
      const g = got[i]!, want = t.outputs[i]!;
      expect(g.dtype).toBe(want.dtype);
      expect(g.shape).toEqual(want.shape);
      expect(Array.from(g.data)).toEqual(Array.from(want.data));
    }
  });
});
