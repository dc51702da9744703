import { describe, expect, it } from 'vitest';
import { dequantizeF32, quantizeF32 } from '../../ir/arith.js';
import type { Evaluate, Graph, ValueType } from '../../ir/graph.js';
import type { Node } from '../../ir/ops.js';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { pairedValues, verifySamples } from '../../runtime/verify.js';

// verifySamples on a hand-made float graph and its "realized" twin, run by a tiny local evaluator (so the
// test depends only on the loop, not on the integer kernels):
//   float:     x -> Relu 'relu' -> r -> Relu 'out' -> y
//   realized:  x -> Quantize (1/16) -> x:q -> Relu on codes -> r (int8, 1/16) -> Dequantize -> y

const f32 = (shape: number[]): ValueType => ({ dtype: 'float32', shape });
const q8 = (shape: number[]): ValueType => ({ dtype: 'int8', shape, quant: { scale: [0.0625], zeroPoint: [0], bits: 8 } });
const node = (op: string, name: string, inputs: string[], outputs: string[], attrs: object = {}): Node =>
  ({ op, name, inputs, outputs, attrs }) as unknown as Node;

const graph = (name: string, nodes: Node[], values: [string, ValueType][]): Graph => ({
  name, inputs: ['x'], outputs: ['y'], nodes, values: new Map(values), initializers: new Map(), opsets: new Map([['', 13]]),
});

const FLOAT = graph('f', [node('Relu', 'relu', ['x'], ['r']), node('Relu', 'out', ['r'], ['y'])],
  [['x', f32([1, 4])], ['r', f32([1, 4])], ['y', f32([1, 4])]]);
const REALIZED = graph('q', [
  node('Quantize', 'x_q', ['x'], ['x:q'], { scale: 0.0625, zeroPoint: 0, qmin: -128, qmax: 127 }),
  node('Relu', 'relu', ['x:q'], ['r']),
  node('Dequantize', 'out', ['r'], ['y'], { scale: 0.0625, zeroPoint: 0 }),
], [['x', f32([1, 4])], ['x:q', q8([1, 4])], ['r', q8([1, 4])], ['y', f32([1, 4])]]);

const evaluate: Evaluate = (n, inputs) => {
  const x = inputs[0]!;
  const map = (dtype: 'float32' | 'int8', f: (v: number) => number): Tensor[] => [tensor(dtype, x.shape, Array.from(x.data, f))];
  const a = n.attrs as { scale: number; zeroPoint: number; qmin: number; qmax: number };
  switch (n.op) {
    case 'Relu': return map(x.dtype as 'float32' | 'int8', (v) => Math.max(0, v));
    case 'Quantize': return map('int8', (v) => quantizeF32(v, a.scale, a.zeroPoint, a.qmin, a.qmax));
    case 'Dequantize': return map('float32', (v) => dequantizeF32(v, a.scale, a.zeroPoint));
    default: throw new Error(`stand-in evaluator: ${n.op}`);
  }
};

// Values exactly representable in float32, so the sums below are exact.
const SAMPLES = [[0.5, -1, 0.03125, 0.25], [1, 2, 0.09375, -0.1875]];
const feeds = (i: number): Map<string, Tensor> => new Map([['x', tensor('float32', [1, 4], SAMPLES[i]!)]]);

describe('verifySamples', () => {
  it('pairs computed values by name: int8 with quant params dequantized, floats as they are', () => {
    expect([...pairedValues(FLOAT, REALIZED)]).toEqual([['r', 'dequantize'], ['y', 'float']]);
  });

  it('accumulates SQNR over all samples, top-1, agreement and the largest output error', () => {
    const done: number[] = [];
    const r = verifySamples({
      float: FLOAT, quantized: REALIZED, evaluate, samples: 2, feeds, labels: [0, 0], onSample: (k) => done.push(k),
    });
    // r, float:     [0.5, 0, 0.03125, 0.25]   [1, 2, 0.09375, 0]
    // r, dequant:   [0.5, 0, 0,       0.25]   [1, 2, 0.125,   0]    (codes 0.5 -> 0, 1.5 -> 2: half to even)
    // signal = 0.3134765625 + 5.0087890625 = 5.322265625; noise = 2 * 0.03125^2 = 0.001953125; ratio 2725.
    const sqnr = 10 * Math.log10(2725);
    expect(r.layers.map((l) => l.name)).toEqual(['r', 'y']);
    expect(r.layers[0]!.sqnrDb).toBeCloseTo(sqnr, 10);
    expect(r.layers[1]!.sqnrDb).toBeCloseTo(sqnr, 10);
    expect(r.layers.map((l) => l.elements)).toEqual([8, 8]);
    expect(r.samples).toBe(2);
    // argmax: float 0, 1; int8 0, 1; labels 0, 0.
    expect([r.floatTop1, r.int8Top1, r.top1Agreement]).toEqual([0.5, 0.5, 1]);
    expect(r.maxAbsError).toBe(0.03125);
    expect([r.bitExact, r.mismatchedSamples]).toEqual([null, null]);
    expect(done).toEqual([1, 2]);
  });

  it('without labels, top-1 is null', () => {
    const r = verifySamples({ float: FLOAT, quantized: REALIZED, evaluate, samples: 2, feeds });
    expect([r.floatTop1, r.int8Top1]).toEqual([null, null]);
  });

  it('compares the tile program bit for bit with the integer reference and counts mismatched samples', () => {
    const integerOut = (f: ReadonlyMap<string, Tensor>): Map<string, Tensor> => {
      const x = f.get('x')!;
      return new Map([['y', tensor('float32', [1, 4], Array.from(x.data, (v) => Math.max(0, dequantizeF32(quantizeF32(v, 0.0625, 0, -128, 127), 0.0625, 0))))]]);
    };
    const exact = verifySamples({ float: FLOAT, quantized: REALIZED, evaluate, samples: 2, feeds, runTile: integerOut });
    expect([exact.bitExact, exact.mismatchedSamples]).toEqual([true, 0]);

    let call = 0;
    const offByOne = (f: ReadonlyMap<string, Tensor>): Map<string, Tensor> => {
      const out = integerOut(f);
      if (call++ === 1) out.set('y', tensor('float32', [1, 4], [1, 2, 0.1875, 0])); // one code off in sample 1
      return out;
    };
    const wrong = verifySamples({ float: FLOAT, quantized: REALIZED, evaluate, samples: 2, feeds, runTile: offByOne });
    expect([wrong.bitExact, wrong.mismatchedSamples]).toEqual([false, 1]);
  });
});
