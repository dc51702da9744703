import { describe, expect, it } from 'vitest';
import type { NodeOf } from '../../../ir/ops.js';
import { type Tensor, numel, strides, tensor } from '../../../ir/tensor.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { codes, lcg, lower, qconvGraph } from './qgraph.js';

// The seed's "Convolution Lowering" functions (weight_lowering, inputs_lowering, outputs_lifting), transcribed
// line by line onto a minimal torch-like array below, compared element for element with the layouts the
// lowering produces (the A initializer, Im2Col, Lift) — on the seed's assumptions: square input of side res,
// square kernel, stride 1, 'same' padding (pad = (k-1)/2), padding with zeros.

/** Just enough of torch.Tensor for the seed's code: zeros, slicing, slice assignment, transpose, reshape. */
class Nd {
  constructor(readonly shape: number[], readonly data: Float64Array) {}
  static zeros(...shape: number[]): Nd { return new Nd(shape, new Float64Array(numel(shape))); }
  static from(t: Tensor): Nd { return new Nd([...t.shape], Float64Array.from(t.data)); }

  /** Visits every index of `shape` in row-major order. */
  private static each(shape: readonly number[], f: (idx: number[]) => void): void {
    if (numel(shape) === 0) return;
    const idx = new Array<number>(shape.length).fill(0);
    for (;;) {
      f(idx);
      let d = shape.length - 1;
      for (; d >= 0; d--) { if (++idx[d]! < shape[d]!) break; idx[d] = 0; }
      if (d < 0) return;
    }
  }

  private at(idx: readonly number[]): number { const s = strides(this.shape); return idx.reduce((o, v, d) => o + v * s[d]!, 0); }

  /** `t[..., r0:r1, c0:c1]`: ranges for the trailing dims, the leading dims whole (a copy). */
  slice(...ranges: [number, number][]): Nd {
    const lead = this.shape.length - ranges.length;
    const shape = [...this.shape.slice(0, lead), ...ranges.map(([a, b]) => b - a)];
    const out = Nd.zeros(...shape);
    Nd.each(shape, (idx) => { out.data[out.at(idx)] = this.data[this.at(idx.map((v, d) => (d < lead ? v : v + ranges[d - lead]![0])))]!; });
    return out;
  }

  /** `t[..., r0:r1, c0:c1] = src`. */
  assign(ranges: [number, number][], src: Nd): void {
    const lead = this.shape.length - ranges.length;
    Nd.each(src.shape, (idx) => { this.data[this.at(idx.map((v, d) => (d < lead ? v : v + ranges[d - lead]![0])))] = src.data[src.at(idx)]!; });
  }

  /** `t[i] = src`. */
  setIndex(i: number, src: Nd): void {
    const inner = numel(this.shape.slice(1));
    expect(src.data.length).toBe(inner);
    this.data.set(src.data, i * inner);
  }

  transpose(a: number, b: number): Nd {
    const shape = [...this.shape];
    [shape[a], shape[b]] = [shape[b]!, shape[a]!];
    const out = Nd.zeros(...shape);
    Nd.each(shape, (idx) => {
      const src = [...idx];
      [src[a], src[b]] = [src[b]!, src[a]!];
      out.data[out.at(idx)] = this.data[this.at(src)]!;
    });
    return out;
  }

  /** Row-major reshape (this array is always contiguous); one -1 is inferred. */
  reshape(...shape: number[]): Nd {
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const full = shape.map((d) => (d === -1 ? this.data.length / known : d));
    expect(numel(full)).toBe(this.data.length);
    return new Nd(full, this.data.slice());
  }
}

/** The seed's three functions with its globals as parameters; the bodies follow the Python line by line. */
function seedLowering(bs: number, i_chn: number, o_chn: number, res: number, kernel_size: number, padding: [number, number]) {
  function weight_lowering(weights: Nd): Nd {
    const lowered_weights = weights.reshape(o_chn, i_chn * kernel_size * kernel_size);
    return lowered_weights;
  }

  function inputs_lowering(inputs: Nd): Nd {
    // padding
    const [pad] = padding;
    const inputs_padded = Nd.zeros(bs, i_chn, res + pad * 2, res + pad * 2);
    inputs_padded.assign([[pad, res + pad], [pad, res + pad]], inputs);

    let lowered_inputs = Nd.zeros(kernel_size * kernel_size, i_chn, bs, res * res);
    for (let i = 0; i < kernel_size; i++) {
      for (let j = 0; j < kernel_size; j++) {
        lowered_inputs.setIndex(i * kernel_size + j, inputs_padded.slice([i, res + i], [j, res + j]).transpose(0, 1).reshape(i_chn, bs, -1));
      }
    }

    lowered_inputs = lowered_inputs.transpose(0, 1);
    lowered_inputs = lowered_inputs.reshape(i_chn * kernel_size * kernel_size, bs * res * res);
    return lowered_inputs;
  }

  function outputs_lifting(outputs: Nd): Nd {
    outputs = outputs.reshape(o_chn, bs, res, res);
    outputs = outputs.transpose(0, 1);
    return outputs;
  }

  return { weight_lowering, inputs_lowering, outputs_lifting };
}

const asArray = (t: Tensor | Nd): number[] => Array.from(t.data);

describe("the seed's Convolution Lowering, literally, against lower-conv's layouts", () => {
  const cases = [
    { bs: 1, i_chn: 1, o_chn: 1, res: 1, kernel_size: 1 },
    { bs: 1, i_chn: 3, o_chn: 4, res: 5, kernel_size: 3 },
    { bs: 2, i_chn: 2, o_chn: 3, res: 4, kernel_size: 3 },
    { bs: 3, i_chn: 1, o_chn: 2, res: 6, kernel_size: 5 },
    { bs: 2, i_chn: 3, o_chn: 2, res: 3, kernel_size: 1 },
  ];
  for (const [ci, c] of cases.entries()) {
    it(`bs=${c.bs} i_chn=${c.i_chn} o_chn=${c.o_chn} res=${c.res} kernel_size=${c.kernel_size}`, () => {
      const pad = (c.kernel_size - 1) / 2;
      const g = qconvGraph({
        batch: c.bs, group: 1, cPerGroup: c.i_chn, oPerGroup: c.o_chn, spatial: [c.res, c.res], kernel: [c.kernel_size, c.kernel_size],
        pads: [pad, pad, pad, pad], autoPad: 'NOTSET', xBits: 8, wBits: 8, perChannel: false, bias: true, seed: 11 + ci,
      });
      // The seed pads with zeros: an input zero point of 0 makes padValue 0.
      const x = g.values.get('x')!;
      const zeroPadded = { ...g, nodes: g.nodes.map((n) => ({ ...n, attrs: { ...(n as NodeOf<'QConv'>).attrs, padValue: 0 } })) as typeof g.nodes,
        values: new Map(g.values).set('x', { ...x, quant: { ...x.quant!, zeroPoint: [0] } }) };
      const low = lower(zeroPadded);
      const seed = seedLowering(c.bs, c.i_chn, c.o_chn, c.res, c.kernel_size, [pad, pad]);

      // weight_lowering == the TileGemm's A operand
      const gemm = low.nodes.find((n) => n.op === 'TileGemm')!;
      expect(asArray(low.initializers.get(gemm.inputs[0]!)!)).toEqual(asArray(seed.weight_lowering(Nd.from(g.initializers.get('w')!))));

      // inputs_lowering == Im2Col of the same input
      const im2col = low.nodes.find((n) => n.op === 'Im2Col')!;
      const input = codes('int8', x.shape, -128, 127, lcg(100 + ci));
      const [matrix] = evaluateFloat(im2col, [input]);
      const want = seed.inputs_lowering(Nd.from(input));
      expect(matrix!.shape).toEqual(want.shape);
      expect(asArray(matrix!)).toEqual(asArray(want));

      // outputs_lifting == Lift of the same GEMM output
      const lift = low.nodes.find((n) => n.op === 'Lift')!;
      const gemmOut = codes('int8', [c.o_chn, c.bs * c.res * c.res], -128, 127, lcg(200 + ci));
      const [lifted] = evaluateFloat(lift, [gemmOut]);
      const wantLifted = seed.outputs_lifting(Nd.from(gemmOut));
      expect(lifted!.shape).toEqual(wantLifted.shape);
      expect(asArray(lifted!)).toEqual(asArray(wantLifted));
    });
  }

  it('the transcription itself: inputs_lowering of a 1-channel 2x2 image with a 3x3 kernel (hand-checked)', () => {
    const seed = seedLowering(1, 1, 1, 2, 3, [1, 1]);
    const m = seed.inputs_lowering(Nd.from(tensor('float32', [1, 1, 2, 2], [1, 2, 3, 4])));
    // rows = taps (i, j); columns = output pixels (0,0), (0,1), (1,0), (1,1); zeros where the tap is padding
    expect(m.shape).toEqual([9, 4]);
    expect(asArray(m)).toEqual([
      0, 0, 0, 1, /* */ 0, 0, 1, 2, /* */ 0, 0, 2, 0,
      0, 1, 0, 3, /* */ 1, 2, 3, 4, /* */ 2, 0, 4, 0,
      0, 3, 0, 0, /* */ 3, 4, 0, 0, /* */ 4, 0, 0, 0,
    ]);
  });
});
