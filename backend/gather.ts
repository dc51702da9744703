import { fail } from '../ir/errors.js';
import { im2colGeometry, im2colTileSources, type Im2ColGeometry } from '../ir/im2col.js';
import type { Im2ColAttrs } from '../ir/ops.js';
import { numel } from '../ir/tensor.js';

// The im2col gather descriptor that LOAD_IM2COL references (docs/isa.md, "LOAD_IM2COL"), and the footprint
// of one gathered tile, the one definition shared by the tiler (cost of a schedule), the cost model and the
// tile machine. Which input byte a matrix element holds is ir/im2col.ts's im2colSource (per tile: im2colTileSources), nothing else.

/** Fixed words before the per-axis lists: x address, rank, N, C. */
const HEAD_WORDS = 4;
/** Largest spatial rank a descriptor may declare (keeps a corrupt rank from reading megabytes). */
export const MAX_GATHER_RANK = 8;

/** Bytes of a descriptor for `rank` spatial axes: 4 + 6·rank + 3 int32 words. */
export const gatherDescriptorBytes = (rank: number): number => 4 * (HEAD_WORDS + 6 * rank + 3);

/** What a descriptor says: where x lives, its shape, and the Im2Col attributes. */
export interface GatherDescriptor {
  readonly x: number;
  readonly xShape: readonly number[];
  readonly attrs: Im2ColAttrs;
}

/**
 * Encodes a descriptor (little-endian int32 words): x address, r, N, C, spatial[r], kernel[r], strides[r],
 * dilations[r], pads[2r] (begins then ends, ONNX order), padValue, channelStart, channels.
 */
export function encodeGatherDescriptor(d: GatherDescriptor): Uint8Array {
  const r = d.xShape.length - 2, a = d.attrs;
  const words = [d.x, r, d.xShape[0]!, d.xShape[1]!, ...d.xShape.slice(2), ...a.kernel_shape, ...a.strides, ...a.dilations, ...a.pads,
    a.padValue, a.channelStart, a.channels];
  const out = new Uint8Array(gatherDescriptorBytes(r));
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setInt32(4 * i, w, true));
  return out;
}

/**
 * Reads the descriptor at `addr` of `dram` and resolves its geometry (validated by im2colGeometry). Throws
 * TilecError naming the address on a descriptor outside DRAM, a bad rank, a bad geometry, or an x outside DRAM.
 */
export function readGatherDescriptor(view: DataView, addr: number): { desc: GatherDescriptor; geo: Im2ColGeometry } {
  const where = descriptorName(addr);
  const { desc, geo } = parseGatherDescriptor(view, addr);
  const x = desc.x, xBytes = numel(desc.xShape);
  if (x + xBytes > view.byteLength) fail(`${where}: input x (${xBytes} bytes at 0x${x.toString(16)}) lies beyond the DRAM size ${view.byteLength}`);
  return { desc, geo };
}

const descriptorName = (addr: number): string => `im2col descriptor at 0x${addr.toString(16).padStart(8, '0')}`;

/**
 * readGatherDescriptor without the check that x lies in `view`: the descriptor's words at `addr` and its
 * geometry, for a view that holds the descriptor but not DRAM (a program's constant).
 */
export function parseGatherDescriptor(view: DataView, addr: number): { desc: GatherDescriptor; geo: Im2ColGeometry } {
  const where = descriptorName(addr);
  if (addr % 4 !== 0) fail(`${where} must be 4-byte aligned`);
  if (addr + 4 * HEAD_WORDS > view.byteLength) fail(`${where} lies beyond the DRAM size ${view.byteLength}`);
  const word = (i: number): number => view.getInt32(addr + 4 * i, true);
  const r = word(1);
  if (r < 1 || r > MAX_GATHER_RANK) fail(`${where} declares spatial rank ${r}, outside 1..${MAX_GATHER_RANK}`);
  if (addr + gatherDescriptorBytes(r) > view.byteLength) fail(`${where} (${gatherDescriptorBytes(r)} bytes) lies beyond the DRAM size ${view.byteLength}`);
  const list = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => word(from + i));
  const x = view.getUint32(addr, true);
  const xShape = [word(2), word(3), ...list(HEAD_WORDS, r)];
  if (!xShape.every((v) => v >= 1)) fail(`${where}: input shape [${xShape.join(',')}] must be positive`);
  const at = HEAD_WORDS + r;
  const attrs: Im2ColAttrs = {
    kernel_shape: list(at, r), strides: list(at + r, r), dilations: list(at + 2 * r, r), pads: list(at + 3 * r, 2 * r),
    padValue: word(at + 5 * r), channelStart: word(at + 5 * r + 1), channels: word(at + 5 * r + 2),
  };
  return { desc: { x, xShape, attrs }, geo: im2colGeometry(xShape, attrs, where) };
}

/** What one gathered tile reads from DRAM: the distinct bytes of x it touches and their address range. */
export interface GatherFootprint {
  /** Distinct input bytes read (padding taps are generated, not read). */
  readonly bytes: number;
  /** First and last DRAM byte read (meaningless when bytes = 0). */
  readonly first: number;
  readonly last: number;
}

/**
 * Footprint of the tile rows row0..row0+rows-1, columns col0..col0+cols-1 of the im2col matrix of x at
 * DRAM address `x`. `scratch` must hold rows·cols entries (reused, so the hot path allocates nothing).
 */
export function gatherFootprint(geo: Im2ColGeometry, x: number, row0: number, col0: number, rows: number, cols: number, scratch: Int32Array): GatherFootprint {
  im2colTileSources(geo, row0, col0, rows, cols, scratch);
  const xBytes = numel(geo.xShape);
  if (seen.length < xBytes) seen = new Int32Array(xBytes);
  if (mark === 0x7fffffff) { seen.fill(0); mark = 0; }
  const m = ++mark;
  // Each source byte counts once: the first time it is met this call, its mark is set (no sort, no set).
  let distinct = 0, lo = xBytes, hi = -1;
  for (let e = 0; e < rows * cols; e++) {
    const src = scratch[e]!;
    if (src < 0 || seen[src] === m) continue;
    seen[src] = m;
    distinct++;
    if (src < lo) lo = src;
    if (src > hi) hi = src;
  }
  if (distinct === 0) return { bytes: 0, first: 0, last: 0 };
  return { bytes: distinct, first: x + lo, last: x + hi };
}

/** gatherFootprint's marks: seen[src] === mark when input byte src was met by the current call. */
let seen = new Int32Array(0);
let mark = 0;

export const geometryKey = (geo: Im2ColGeometry, tile: number): string => `${tile}|${JSON.stringify(geo)}`;

/**
 * Footprints of every tile of one geometry relative to x (x = 0), computed once per tile and shared by the
 * GEMMs gathering with that geometry from different inputs (ResNet-50 repeats its blocks).
 */
export class RelativeFootprints {
  private readonly bytes: Float64Array;
  private readonly first: Float64Array;
  private readonly last: Float64Array;
  private readonly known: Uint8Array;
  private readonly scratch: Int32Array;

  /** Equal for geometries with equal fields (they gather the same tiles). */
  readonly key: string;

  constructor(readonly geo: Im2ColGeometry, readonly tile: number) {
    this.key = geometryKey(geo, tile);
    const tiles = Math.ceil(geo.rows / tile) * Math.ceil(geo.cols / tile);
    this.bytes = new Float64Array(tiles);
    this.first = new Float64Array(tiles);
    this.last = new Float64Array(tiles);
    this.known = new Uint8Array(tiles);
    this.scratch = new Int32Array(tile * tile);
  }

  /** The footprint of tile `key` (row0, col0, rows, cols) for x at `x`: gatherFootprint's value. */
  at(key: number, x: number, row0: number, col0: number, rows: number, cols: number): GatherFootprint {
    if (this.known[key] === 0) {
      const f = gatherFootprint(this.geo, 0, row0, col0, rows, cols, this.scratch);
      this.bytes[key] = f.bytes; this.first[key] = f.first; this.last[key] = f.last;
      this.known[key] = 1;
    }
    const bytes = this.bytes[key]!;
    // gatherFootprint gives first = last = 0 for a tile of padding only, wherever x is.
    return bytes === 0 ? { bytes: 0, first: 0, last: 0 } : { bytes, first: x + this.first[key]!, last: x + this.last[key]! };
  }
}

/** Footprints of every tile of one gathered GEMM, computed once per tile (the tiler times many schedules). */
export class GatherFootprints {
  // Dense by tile index (row tile · column tiles + column tile): the tiler asks for the same tiles millions of times.
  private readonly cache: (GatherFootprint | undefined)[];
  private readonly colTiles: number;
  private readonly relative: RelativeFootprints;

  /** `shared`: footprints of this geometry and tile already computed for another x (else computed here). */
  constructor(readonly geo: Im2ColGeometry, readonly x: number, readonly tile: number, shared?: RelativeFootprints) {
    this.relative = shared !== undefined && (shared.geo === geo || shared.key === geometryKey(geo, tile)) ? shared : new RelativeFootprints(geo, tile);
    this.colTiles = Math.ceil(geo.cols / tile);
    this.cache = new Array<GatherFootprint | undefined>(Math.ceil(geo.rows / tile) * this.colTiles).fill(undefined);
  }

  /** geometryKey(geo, tile): equal for footprints of equal geometries (whatever x). */
  get key(): string { return this.relative.key; }

  at(row0: number, col0: number, rows: number, cols: number): GatherFootprint {
    const key = (row0 / this.tile) * this.colTiles + col0 / this.tile;
    let f = this.cache[key];
    if (f === undefined) {
      f = this.relative.at(key, this.x, row0, col0, rows, cols);
      this.cache[key] = f;
    }
    return f;
  }
}
