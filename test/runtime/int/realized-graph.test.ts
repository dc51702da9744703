import { describe, expect, it } from 'vitest';
import { windowGeometry } from '../../../ir/geometry.js';
import type { NodeOf } from '../../../ir/ops.js';
import { STAGES, checkStage } from '../../../ir/stages.js';
import type { Tensor } from '../../../ir/tensor.js';
import { verifyGraph } from '../../../ir/verify.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { miniModel } from '../../ir/quant-ops-fixture.js';
import { clamp, convAccRef, requantRef } from './reference.js';

// The untiled integer golden model end to end: Quantize -> QConv (ReLU fused) -> MaxPool -> Reshape -> QGemm
// -> Dequantize through runGraph with evaluateFloat, held bit for bit to the same network written out per
// element from docs/arithmetic.md, and close to the float network it realizes.

const rint = (v: number): number => { const f = Math.floor(v), d = v - f; return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1; };

describe('a realized mini CNN on the reference evaluator', () => {
  const { float, realized, x } = miniModel();
  const feeds = new Map([['x', x]]);

  it('is a valid graph of stage quantized', () => {
    verifyGraph(realized);
    checkStage(realized, STAGES.quantized);
  });

  it('equals the network computed element by element', () => {
    const y = runGraph(realized, feeds, evaluateFloat).get('y')!;
    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([1, 5]);

    const nodeOf = <O extends 'Quantize' | 'QConv' | 'QGemm' | 'Dequantize'>(op: O): NodeOf<O> => realized.nodes.find((n) => n.op === op) as NodeOf<O>;
    const init = (name: string): Tensor => realized.initializers.get(name)!;
    // Quantize (section 4)
    const qa = nodeOf('Quantize').attrs;
    const xq = Array.from(x.data, (v) => clamp(rint(Math.fround(v / qa.scale)) + qa.zeroPoint, qa.qmin, qa.qmax));
    // QConv: exact sum with padValue, then per-channel requantization (section 6) and the ReLU clamp.
    const ca = nodeOf('QConv').attrs;
    const W = init('W'), b = init('b');
    const geo = windowGeometry([6, 6], [3, 3], ca, 't');
    const acc = convAccRef(xq, [1, 2, 6, 6], W.data, W.shape, b.data, 1, geo, ca.padValue);
    const r = acc.map((v, i) => { const m = Math.floor(i / 36); return requantRef(v, ca.multiplier[m]!, ca.shift[m]!, ca.zeroPoint, ca.qmin, ca.qmax); });
    // MaxPool 2x2 stride 2 on codes, then Reshape to [1, 36] (row-major, so the same order).
    const p: number[] = [];
    for (let m = 0; m < 4; m++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const at = (di: number, dj: number): number => r[m * 36 + (2 * i + di) * 6 + 2 * j + dj]!;
      p.push(Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1)));
    }
    // QGemm with B stored [N, K] (transB), then Dequantize.
    const ga = nodeOf('QGemm').attrs, B = init('B'), c = init('c');
    const yq = Array.from({ length: 5 }, (_, j) => {
      let s = c.data[j]!;
      for (let k = 0; k < 36; k++) s += p[k]! * B.data[j * 36 + k]!;
      return requantRef(s, ga.multiplier[0]!, ga.shift[0]!, ga.zeroPoint, ga.qmin, ga.qmax);
    });
    const da = nodeOf('Dequantize').attrs;
    expect(Array.from(y.data)).toEqual(yq.map((q) => Math.fround(Math.fround(q - da.zeroPoint) * da.scale)));
    // The network is not degenerate: the ReLU clamp bites somewhere and the outputs differ.
    expect(r.filter((v) => v === ca.qmin).length).toBeGreaterThan(0);
    expect(new Set(yq).size).toBeGreaterThan(2);
  });

  it('stays close to the float network, layer by layer (values paired by name)', () => {
    const floatValues = runGraph(float, feeds, evaluateFloat, { keepAll: true });
    const intValues = runGraph(realized, feeds, evaluateFloat, { keepAll: true });
    const sqnr = (name: string): number => {
      const f = floatValues.get(name)!, q = intValues.get(name)!;
      const qp = realized.values.get(name)!.quant;
      let sig = 0, err = 0;
      for (let i = 0; i < f.data.length; i++) {
        const deq = qp ? qp.scale[0]! * (q.data[i]! - qp.zeroPoint[0]!) : q.data[i]!;
        sig += f.data[i]! ** 2;
        err += (deq - f.data[i]!) ** 2;
      }
      return 10 * Math.log10(sig / err);
    };
    // 8-bit activations with 6-bit conv weights measure 33-38 dB here; a wrong scale or zero point gives ~0 dB.
    for (const name of ['r', 'p', 'flat', 'y']) expect(sqnr(name), name).toBeGreaterThan(28);
  });
});
