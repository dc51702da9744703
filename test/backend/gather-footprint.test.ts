import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatherFootprint } from '../../backend/gather.js';
import { im2colGeometry, im2colSource, type Im2ColGeometry } from '../../ir/im2col.js';
import { type PoolCase, poolCase, poolInputShape, poolWindowAttrs } from '../helpers/pool-cases.js';

// gatherFootprint counts each input byte a gathered tile reads once (marks, no sort); here against the
// definition: the set of im2colSource over the tile's elements, padding taps left out.

function reference(geo: Im2ColGeometry, x: number, row0: number, col0: number, rows: number, cols: number): { bytes: number; first: number; last: number } {
  const used = new Set<number>();
  for (let r = row0; r < row0 + rows; r++) for (let c = col0; c < col0 + cols; c++) {
    const src = im2colSource(geo, r, c);
    if (src >= 0) used.add(src);
  }
  if (used.size === 0) return { bytes: 0, first: 0, last: 0 };
  return { bytes: used.size, first: x + Math.min(...used), last: x + Math.max(...used) };
}

/** A conv geometry over channels channelStart.. of a random pooling window's input, or undefined when it has no output. */
function geometry(g: PoolCase, channelStart: number): Im2ColGeometry | undefined {
  const w = poolWindowAttrs(g);
  const channels = g.c - Math.min(channelStart, g.c - 1);
  try {
    return im2colGeometry(poolInputShape(g), { kernel_shape: w.kernel_shape, strides: w.strides, pads: w.pads, dilations: w.dilations, padValue: 0, channelStart: g.c - channels, channels }, 'conv');
  } catch {
    return undefined;
  }
}

describe('gatherFootprint', () => {
  it('equals the distinct bytes and address range of the tile\'s im2col sources, for every tile of random geometries', () => {
    fc.assert(fc.property(fc.array(fc.tuple(poolCase, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 5000 })), { minLength: 1, maxLength: 4 }), (cases) => {
      // Several geometries in a row: each call must ignore the marks the calls before it left.
      for (const [g, channelStart, t, x] of cases) {
        const geo = geometry(g, channelStart);
        if (geo === undefined) continue;
        const scratch = new Int32Array(t * t);
        for (let r0 = 0; r0 < geo.rows; r0 += t) {
          for (let c0 = 0; c0 < geo.cols; c0 += t) {
            const rows = Math.min(t, geo.rows - r0), cols = Math.min(t, geo.cols - c0);
            expect(gatherFootprint(geo, x, r0, c0, rows, cols, scratch)).toEqual(reference(geo, x, r0, c0, rows, cols));
          }
        }
      }
    }), { numRuns: 60, seed: 20261127 });
  });

  it('counts a tile of padding only as no bytes at address 0', () => {
    const geo = im2colGeometry([1, 1, 2, 2], { kernel_shape: [1, 1], strides: [1, 1], pads: [2, 2, 0, 0], dilations: [1, 1], padValue: 0, channelStart: 0, channels: 1 }, 'conv');
    expect(gatherFootprint(geo, 500, 0, 0, 1, 2, new Int32Array(2))).toEqual({ bytes: 0, first: 0, last: 0 });
  });
});
