import fc from 'fast-check';

// Random pooling windows for property tests of the pool kernels and their host-op fast paths: rank 1 to 3,
// batch and channels, sizes, kernels, strides, dilations, pads (begins then ends, 3 each, the first `rank` of
// each used) and ceil_mode, plus a seed for the input codes.

export interface PoolCase {
  readonly rank: number; readonly n: number; readonly c: number;
  readonly size: readonly number[]; readonly kernel: readonly number[]; readonly stride: readonly number[];
  readonly dilation: readonly number[]; readonly pads: readonly number[]; readonly ceil: number; readonly seed: number;
}

const axes = (min: number, max: number, length = 3): fc.Arbitrary<number[]> => fc.array(fc.integer({ min, max }), { minLength: length, maxLength: length });

export const poolCase: fc.Arbitrary<PoolCase> = fc.record({
  rank: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }),
  size: axes(1, 9), kernel: axes(1, 3), stride: axes(1, 3), dilation: axes(1, 2), pads: axes(0, 2, 6),
  ceil: fc.integer({ min: 0, max: 1 }), seed: fc.integer(),
});

/** The window attributes of a pool over `g` (count_include_pad and zero points are the caller's). */
export function poolWindowAttrs(g: PoolCase): { kernel_shape: number[]; strides: number[]; dilations: number[]; pads: number[]; auto_pad: string; ceil_mode: number; storage_order: number } {
  const r = g.rank;
  return {
    kernel_shape: g.kernel.slice(0, r), strides: g.stride.slice(0, r), dilations: g.dilation.slice(0, r),
    pads: [...g.pads.slice(0, r), ...g.pads.slice(3, 3 + r)], auto_pad: 'NOTSET', ceil_mode: g.ceil, storage_order: 0,
  };
}

/** The pooled input's shape, N × C × spatial. */
export const poolInputShape = (g: PoolCase): number[] => [g.n, g.c, ...g.size.slice(0, g.rank)];
