import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/ops.js';
import { type Tensor, numel, tensor } from '../../../ir/tensor.js';
import { ConvInteger } from '../../../runtime/float/ConvInteger.js';
import { DequantizeLinear } from '../../../runtime/float/DequantizeLinear.js';
import { MatMulInteger } from '../../../runtime/float/MatMulInteger.js';
import { QLinearConv } from '../../../runtime/float/QLinearConv.js';
import { QLinearMatMul } from '../../../runtime/float/QLinearMatMul.js';
import { QuantizeLinear } from '../../../runtime/float/QuantizeLinear.js';
import { roundHalfEven } from '../../../ir/arith.js';
import { type AttrValue, buildModel } from '../../helpers/onnx-builder.js';

// onnxruntime as the external golden: random (seeded) quantization nodes, run by onnxruntime-node and by
// the float reference kernels, must agree bit for bit. This pins down the float32 details ONNX's text
// leaves open (division vs reciprocal, when the multiplier is rounded, rounding before the zero point).

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ORT_TYPE: Partial<Record<DType, 'float32' | 'uint8' | 'int8' | 'int32'>> = { float32: 'float32', uint8: 'uint8', int8: 'int8', int32: 'int32' };
const RANGE: Partial<Record<DType, readonly [number, number]>> = { uint8: [0, 255], int8: [-128, 127] };

interface Case {
  readonly op: Node['op'];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  readonly irAttrs: unknown;
  /** Node inputs in order; '' for an absent optional input. The first is fed at run time, the rest are initializers. */
  readonly inputs: readonly (readonly [string, Tensor] | '')[];
  readonly outDtype: DType;
}

async function runOrt(c: Case): Promise<{ dtype: string; dims: readonly number[]; data: number[] }> {
  const [first, ...rest] = c.inputs as (readonly [string, Tensor])[];
  const [name0, x] = first!;
  const bytes = buildModel({
    opset: 13,
    inputs: [{ name: name0, dtype: x.dtype, shape: x.shape }],
    outputs: [{ name: 'y', dtype: c.outDtype }],
    initializers: rest.filter((i) => (i as unknown) !== '').map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.data })),
    nodes: [{ op: c.op, inputs: c.inputs.map((i) => (i === '' ? '' : i[0])), outputs: ['y'], attrs: c.attrs }],
  });
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({ [name0]: new ort.Tensor(ORT_TYPE[x.dtype]!, x.data as Float32Array, x.shape as number[]) });
  const y = r['y']!;
  return { dtype: y.type, dims: y.dims, data: Array.from(y.data as ArrayLike<number>) };
}

function runKernel(c: Case): Tensor {
  const node = { op: c.op, name: 'n', inputs: c.inputs.map((i) => (i === '' ? '' : i[0])), outputs: ['y'], attrs: c.irAttrs } as Node;
  const inputs = c.inputs.map((i) => (i === '' ? undefined : i[1]));
  switch (node.op) {
    case 'QuantizeLinear': return QuantizeLinear(node, inputs)[0]!;
    case 'DequantizeLinear': return DequantizeLinear(node, inputs)[0]!;
    case 'QLinearConv': return QLinearConv(node, inputs)[0]!;
    case 'QLinearMatMul': return QLinearMatMul(node, inputs)[0]!;
    case 'ConvInteger': return ConvInteger(node, inputs)[0]!;
    case 'MatMulInteger': return MatMulInteger(node, inputs)[0]!;
    default: throw new Error(node.op);
  }
}

async function expectSame(c: Case): Promise<void> {
  const want = await runOrt(c);
  const got = runKernel(c);
  expect(got.dtype).toBe(want.dtype === 'float32' ? 'float32' : want.dtype);
  expect(got.shape).toEqual([...want.dims]);
  expect(Array.from(got.data)).toEqual(want.data);
}

const f32 = Math.fround;

function gen(rand: () => number) {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const codes = (d: DType, shape: readonly number[]): Tensor => {
    const [lo, hi] = RANGE[d]!;
    return tensor(d, shape, Array.from({ length: numel(shape) }, () => int(lo, hi)));
  };
  /** A float32 scale spread over several decades, as real models have. */
  const scale = (): number => f32(2 ** (-12 + rand() * 10) * (1 + rand()));
  const zp = (d: DType): number => (d === 'uint8' ? int(0, 255) : int(-128, 127));
  const codeType = (): DType => (rand() < 0.5 ? 'uint8' : 'int8');
  return { int, codes, scale, zp, codeType };
}

describe('quantization kernels agree bit for bit with onnxruntime', () => {
  it('QuantizeLinear, per tensor and per axis, with many exact ties', async () => {
    const g = gen(prng(1));
    for (let k = 0; k < 12; k++) {
      const d = g.codeType(), perAxis = k % 2 === 1, shape = [2, 3, 4];
      const s = perAxis ? [g.scale(), g.scale(), g.scale()] : [g.scale()];
      const z = s.map(() => g.zp(d));
      // Half of the values are exact (or float32-near) ties k/2 * scale; the rest spread across and beyond the range.
      const x = Array.from({ length: 24 }, (_, i) => {
        const sc = s[perAxis ? Math.floor(i / 4) % 3 : 0]!;
        return f32(i % 2 === 0 ? (g.int(-300, 300) + 0.5) * sc : (g.int(-400, 400) + g.int(0, 1000) / 1000) * sc);
      });
      const shp = perAxis ? [3] : [];
      await expectSame({
        op: 'QuantizeLinear', attrs: { axis: 1 }, irAttrs: { axis: 1 }, outDtype: d,
        inputs: [['x', tensor('float32', shape, x)], ['s', tensor('float32', shp, s)], ['z', tensor(d, shp, z)]],
      });
    }
  });

  it('DequantizeLinear, per tensor and per axis', async () => {
    const g = gen(prng(2));
    for (let k = 0; k < 6; k++) {
      const d = g.codeType(), perAxis = k % 2 === 1, shape = [2, 3, 5];
      const s = perAxis ? [g.scale(), g.scale(), g.scale()] : [g.scale()];
      const shp = perAxis ? [3] : [];
      await expectSame({
        op: 'DequantizeLinear', attrs: { axis: 1 }, irAttrs: { axis: 1 }, outDtype: 'float32',
        inputs: [['x', g.codes(d, shape)], ['s', tensor('float32', shp, s)], ['z', tensor(d, shp, s.map(() => g.zp(d)))]],
      });
    }
  });

  it('QLinearMatMul, 2-D and batched, uint8 and int8', async () => {
    const g = gen(prng(3));
    for (let k = 0; k < 12; k++) {
      // onnxruntime implements (uint8, uint8 | int8) -> uint8 and (int8, int8) -> int8
      const da = g.codeType(), db = da === 'int8' ? 'int8' : g.codeType(), dy = da;
      const m = g.int(1, 6), kk = g.int(1, 40), n = g.int(1, 6), batch = k % 3 === 0 ? [2] : [];
      // y_scale near the accumulator's real range, so outputs spread over the codes instead of saturating.
      const sa = g.scale(), sb = g.scale(), sy = f32(sa * sb * Math.sqrt(kk) * 3000 * (0.5 + g.int(0, 100) / 100));
      await expectSame({
        op: 'QLinearMatMul', irAttrs: {}, outDtype: dy,
        inputs: [
          ['a', g.codes(da, [...batch, m, kk])], ['as', tensor('float32', [], [sa])], ['az', tensor(da, [], [g.zp(da)])],
          ['b', g.codes(db, [...batch, kk, n])], ['bs', tensor('float32', [], [sb])], ['bz', tensor(db, [], [g.zp(db)])],
          ['ys', tensor('float32', [], [sy])], ['yz', tensor(dy, [], [g.zp(dy)])],
        ],
      });
    }
  });

  it('QLinearConv with bias, padding, stride, groups and per-channel weights', async () => {
    const g = gen(prng(4));
    for (let k = 0; k < 10; k++) {
      // onnxruntime implements (uint8, uint8 | int8) -> uint8 and (int8, int8) -> int8
      const dx: DType = k % 4 === 3 ? 'int8' : 'uint8', dw: DType = dx === 'int8' || k % 2 === 0 ? 'int8' : 'uint8', dy = dx;
      const group = k % 3 === 2 ? 2 : 1, c = 2 * g.int(1, 2), m = 2 * g.int(1, 2), kh = g.int(1, 3);
      const perChannel = k % 2 === 0;
      const sx = g.scale(), sws = Array.from({ length: perChannel ? m : 1 }, () => g.scale());
      const sy = f32(sx * sws[0]! * kh * 3000 * (0.5 + g.int(0, 100) / 100));
      const attrs = { pads: [1, 0, 1, 1], strides: [1, g.int(1, 2)], group };
      await expectSame({
        op: 'QLinearConv', attrs, irAttrs: { ...attrs, auto_pad: 'NOTSET' }, outDtype: dy,
        inputs: [
          ['x', g.codes(dx, [1, c, 5, 6])], ['xs', tensor('float32', [], [sx])], ['xz', tensor(dx, [], [g.zp(dx)])],
          ['w', g.codes(dw, [m, c / group, kh, kh])], ['ws', tensor('float32', perChannel ? [m] : [], sws)],
          ['wz', tensor(dw, perChannel ? [m] : [], sws.map(() => (dw === 'int8' ? 0 : g.zp(dw))))],
          ['ys', tensor('float32', [], [sy])], ['yz', tensor(dy, [], [g.zp(dy)])],
          ['b', tensor('int32', [m], Array.from({ length: m }, () => g.int(-20000, 20000)))],
        ],
      });
    }
  });

  it('MatMulInteger and ConvInteger (uint8 inputs, zero points)', async () => {
    const g = gen(prng(5));
    for (let k = 0; k < 4; k++) {
      const db = g.codeType();
      await expectSame({
        op: 'MatMulInteger', irAttrs: {}, outDtype: 'int32',
        inputs: [['a', g.codes('uint8', [3, 7])], ['b', g.codes(db, [7, 4])], ['az', tensor('uint8', [], [g.zp('uint8')])], ['bz', tensor(db, [], [db === 'int8' ? 0 : g.zp(db)])]],
      });
      const attrs = { pads: [1, 1, 0, 1] };
      await expectSame({
        op: 'ConvInteger', attrs, irAttrs: { ...attrs, group: 1, auto_pad: 'NOTSET' }, outDtype: 'int32',
        inputs: [['x', g.codes('uint8', [1, 2, 4, 5])], ['w', g.codes('uint8', [3, 2, 2, 2])], ['xz', tensor('uint8', [], [g.zp('uint8')])], ['wz', tensor('uint8', [], [g.zp('uint8')])]],
      });
    }
  });
});

describe('the float32 details that only ties and near-ties reveal, decided by onnxruntime', () => {
  // Candidate readings of "saturate(round(acc * (sa*sb/sy)) + zy)". Inputs are searched (seeded) for
  // accumulators on which the candidates disagree; onnxruntime must agree with tilec's reading on all of them.
  type Reading = (acc: number, sa: number, sb: number, sy: number, zy: number) => number;
  const READINGS: Record<string, Reading> = {
    tilec: (acc, sa, sb, sy, zy) => roundHalfEven(f32(f32(acc) * f32(f32(sa * sb) / sy))) + zy,
    float64: (acc, sa, sb, sy, zy) => roundHalfEven(acc * ((sa * sb) / sy)) + zy,
    numpyReference: (acc, sa, sb, sy, zy) => roundHalfEven(acc * f32(f32(sa * sb) / sy) + zy),
    reciprocal: (acc, sa, sb, sy, zy) => roundHalfEven(f32(f32(acc) * f32(f32(sa * sb) * f32(1 / sy)))) + zy,
    zeroPointFirst: (acc, sa, sb, sy, zy) => roundHalfEven(f32(f32(acc) * f32(f32(sa * sb) / sy)) + zy),
  };

  /** One accumulator per output element: acc codes times a single weight 1, every zero point but y's 0. */
  const oneTimesCase = (op: 'QLinearMatMul' | 'QLinearConv', accs: readonly number[], sa: number, sb: number, sy: number, zy: number): Case => {
    const u8 = (shape: readonly number[], v: readonly number[]): Tensor => tensor('uint8', shape, v);
    const sc = (v: number): Tensor => tensor('float32', [], [v]);
    return op === 'QLinearMatMul'
      ? { op, irAttrs: {}, outDtype: 'uint8', inputs: [['a', u8([accs.length, 1], accs)], ['as', sc(sa)], ['az', u8([], [0])], ['b', u8([1, 1], [1])], ['bs', sc(sb)], ['bz', u8([], [0])], ['ys', sc(sy)], ['yz', u8([], [zy])]] }
      : { op, irAttrs: { group: 1, auto_pad: 'NOTSET' }, outDtype: 'uint8', inputs: [['x', u8([1, 1, accs.length, 1], accs)], ['xs', sc(sa)], ['xz', u8([], [0])], ['w', u8([1, 1, 1, 1], [1])], ['ws', sc(sb)], ['wz', u8([], [0])], ['ys', sc(sy)], ['yz', u8([], [zy])]] };
  };

  it.each(['QLinearMatMul', 'QLinearConv'] as const)('%s requantizes in float32, multiplier f32(f32(sa*sb)/sy), rounding before the zero point', async (op) => {
    const rand = prng(6);
    const zy = 1; // odd, so rounding before or after adding it differs on ties
    const disagreeing = new Map<string, number>(Object.keys(READINGS).map((k) => [k, 0]));
    let cases = 0;
    for (let t = 0; t < 5000 && cases < 8; t++) {
      const sa = f32(0.001 + rand() * 0.01), sb = f32(0.001 + rand() * 0.01);
      const sy = t % 2 === 0 ? f32(sa * sb * (1.5 + rand() * 3)) : f32(sa * sb * 2 ** Math.floor(rand() * 3)) ; // the second kind makes exact ties
      const accs: number[] = [];
      for (let acc = 0; acc <= 255; acc++) {
        const v = Object.values(READINGS).map((r) => Math.min(255, r(acc, sa, sb, sy, zy)));
        if (new Set(v).size > 1) accs.push(acc);
      }
      if (accs.length === 0) continue;
      cases++;
      const c = oneTimesCase(op, accs, sa, sb, sy, zy);
      const want = (await runOrt(c)).data;
      expect(Array.from(runKernel(c).data)).toEqual(want);
      for (const [name, r] of Object.entries(READINGS)) {
        if (accs.some((acc, i) => Math.min(255, r(acc, sa, sb, sy, zy)) !== want[i])) disagreeing.set(name, disagreeing.get(name)! + 1);
      }
    }
    expect(cases).toBe(8);
    // onnxruntime agrees with tilec's reading everywhere, and every other reading is refuted somewhere.
    expect(Object.fromEntries(disagreeing)).toEqual({ tilec: 0, float64: expect.any(Number), numpyReference: expect.any(Number), reciprocal: expect.any(Number), zeroPointFirst: expect.any(Number) });
    for (const [name, n] of disagreeing) if (name !== 'tilec') expect(n, name).toBeGreaterThan(0);
  });

  it('QuantizeLinear divides in float32 (not float64, not by a reciprocal)', async () => {
    const rand = prng(7);
    const xs: number[] = [];
    let s = 0, refutesFloat64 = 0, refutesReciprocal = 0;
    for (let t = 0; t < 200 && xs.length === 0; t++) {
      s = f32(0.01 + rand());
      for (let i = 0; i < 20000 && xs.length < 16; i++) {
        const x = f32((Math.floor(rand() * 200) - 100 + 0.5) * s * (1 + (rand() - 0.5) * 2 ** -21));
        const q32 = roundHalfEven(f32(x / s)), q64 = roundHalfEven(x / s), qr = roundHalfEven(f32(x * f32(1 / s)));
        if (q32 !== q64 || q32 !== qr) xs.push(x);
        if (q32 !== q64) refutesFloat64++;
        if (q32 !== qr) refutesReciprocal++;
      }
    }
    expect(xs.length).toBe(16);
    expect(refutesFloat64).toBeGreaterThan(0);
    expect(refutesReciprocal).toBeGreaterThan(0);
    await expectSame({
      op: 'QuantizeLinear', attrs: { axis: 1 }, irAttrs: { axis: 1 }, outDtype: 'int8',
      inputs: [['x', tensor('float32', [xs.length], xs)], ['s', tensor('float32', [], [s])], ['z', tensor('int8', [], [0])]],
    });
  });
});
