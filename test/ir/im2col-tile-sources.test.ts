import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { im2colGeometry, im2colSource, im2colTileSources } from '../../ir/im2col.js';

// The tile machine gathers LOAD_IM2COL tiles with im2colTileSources once its table cache is full; it must give
// exactly im2colSource, element for element, on any geometry and any tile window.

const geometry = fc.integer({ min: 1, max: 3 }).chain((rank) => fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  channels: fc.integer({ min: 1, max: 4 }),
  channelStart: fc.integer({ min: 0, max: 2 }),
  spatial: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: rank, maxLength: rank }),
  kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
  strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
  dilations: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: rank, maxLength: rank }),
  pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2 * rank, maxLength: 2 * rank }),
  tile: fc.integer({ min: 1, max: 17 }),
  pick: fc.tuple(fc.nat(), fc.nat()),
}));

describe('im2colTileSources', () => {
  it('equals im2colSource on every element of random tiles of random geometries', () => {
    let checked = 0;
    fc.assert(fc.property(geometry, (p) => {
      const xShape = [p.batch, p.channelStart + p.channels, ...p.spatial];
      const attrs = { kernel_shape: p.kernel, strides: p.strides, dilations: p.dilations, pads: p.pads, padValue: 0, channelStart: p.channelStart, channels: p.channels };
      let g;
      try { g = im2colGeometry(xShape, attrs, 'test'); } catch { return; } // a kernel larger than the padded input
      const row0 = (p.pick[0] % Math.ceil(g.rows / p.tile)) * p.tile, col0 = (p.pick[1] % Math.ceil(g.cols / p.tile)) * p.tile;
      const rows = Math.min(p.tile, g.rows - row0), cols = Math.min(p.tile, g.cols - col0);
      const out = new Int32Array(rows * cols).fill(-7);
      im2colTileSources(g, row0, col0, rows, cols, out);
      const want = Int32Array.from({ length: rows * cols }, (_, e) => im2colSource(g, row0 + Math.floor(e / cols), col0 + (e % cols)));
      expect(out).toEqual(want);
      checked++;
    }), { seed: 20261127, numRuns: 400 });
    expect(checked).toBeGreaterThan(200);
  });
});
