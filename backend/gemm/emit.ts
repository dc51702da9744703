import { invariant } from '../../ir/errors.js';
import { REQUANT_ENTRY_BYTES, type TileSink } from '../isa.js';
import type { GemmDims, GemmSpec } from './spec.js';
import { footprint, type Schedule } from './schedule.js';

// Emits the tile instructions of one schedule. Scratchpad layout: the A region (spadBuffers halves of
// ti×tk slots) then the B region (halves of tk×tj slots); the accumulator holds accBuffers halves of the
// C block (or row panel). Within a block, tile (r, c) of a region is slot base + r·pitch + c.

/** Which block each buffer half holds, least recently used half evicted first. Allocated once per GEMM. */
class Halves {
  private readonly keys: number[];
  private readonly used: number[];
  private clock = 0;
  constructor(count: number) {
    this.keys = new Array<number>(count).fill(-1);
    this.used = new Array<number>(count).fill(0);
  }
  /** Half holding `key`, or -1. */
  find(key: number): number {
    const h = this.keys.indexOf(key);
    if (h >= 0) this.used[h] = ++this.clock;
    return h;
  }
  /** Evicts the least recently used half and gives it to `key`. */
  claim(key: number): number {
    let h = 0;
    for (let i = 1; i < this.keys.length; i++) if (this.used[i]! < this.used[h]!) h = i;
    this.keys[h] = key;
    this.used[h] = ++this.clock;
    return h;
  }
}

export function emitSchedule(spec: GemmSpec, d: GemmDims, s: Schedule, sink: TileSink): void {
  new GemmEmitter(spec, d, s, sink).run();
}

class GemmEmitter {
  private readonly t: number;
  private readonly nIb: number;
  private readonly nJb: number;
  private readonly nKb: number;
  private readonly aHalf: number;
  private readonly bHalf: number;
  private readonly bBase: number;
  private readonly aRes: Halves;
  private readonly bRes: Halves;
  private accParity = 0;

  constructor(private readonly spec: GemmSpec, private readonly d: GemmDims, private readonly s: Schedule, private readonly sink: TileSink) {
    this.t = d.t;
    this.nIb = Math.ceil(d.nI / s.ti);
    this.nJb = Math.ceil(d.nJ / s.tj);
    this.nKb = Math.ceil(d.nK / s.tk);
    this.aHalf = s.ti * s.tk;
    this.bHalf = s.tk * s.tj;
    this.bBase = s.spadBuffers * this.aHalf;
    this.aRes = new Halves(s.spadBuffers);
    this.bRes = new Halves(s.spadBuffers);
    if (s.dataflow === 'weight-stationary' && s.partials === 'spill') {
      invariant(spec.scratch !== undefined && spec.scratch.bytes >= footprint(s, d).scratchBytes, `GEMM '${spec.name}': spill schedule without enough scratch`);
    }
  }

  run(): void {
    if (this.s.dataflow === 'output-stationary') this.outputStationary();
    else this.weightStationary();
  }

  private outputStationary(): void {
    const { s, d } = this;
    const cHalf = s.ti * s.tj;
    for (let bi = 0; bi < this.nIb; bi++) {
      const iTiles = Math.min(s.ti, d.nI - bi * s.ti);
      for (let bj = 0; bj < this.nJb; bj++) {
        const jTiles = Math.min(s.tj, d.nJ - bj * s.tj);
        const cBase = this.nextAccHalf() * cHalf;
        for (let bk = 0; bk < this.nKb; bk++) {
          const kTiles = Math.min(s.tk, d.nK - bk * s.tk);
          const aBase = this.ensureA(bi, bk, iTiles, kTiles);
          const bBase = this.ensureB(bk, bj, kTiles, jTiles);
          if (bk === 0) this.preloadBias(cBase, s.tj, bi, iTiles, bj * s.tj, jTiles);
          this.matmuls(cBase, s.tj, aBase, bBase, bi, iTiles, bj * s.tj, jTiles, bk, kTiles);
        }
        this.stores(cBase, s.tj, bi, iTiles, bj * s.tj, jTiles, false);
      }
    }
  }

  private weightStationary(): void {
    const { s, d } = this;
    const spill = s.partials === 'spill';
    for (let bi = 0; bi < this.nIb; bi++) {
      const iTiles = Math.min(s.ti, d.nI - bi * s.ti);
      // Resident: the whole row panel (ti × nJ tiles) lives in one accumulator half for all of K.
      const panelBase = spill ? 0 : this.nextAccHalf() * s.ti * d.nJ;
      for (let bk = 0; bk < this.nKb; bk++) {
        const kTiles = Math.min(s.tk, d.nK - bk * s.tk);
        const aBase = this.ensureA(bi, bk, iTiles, kTiles);
        const last = bk === this.nKb - 1;
        for (let bj = 0; bj < this.nJb; bj++) {
          const jTiles = Math.min(s.tj, d.nJ - bj * s.tj);
          const bBase = this.ensureB(bk, bj, kTiles, jTiles);
          // Spill: a fresh ti×tj accumulator half per step, tiles addressed from column 0 of the block.
          const cBase = spill ? this.nextAccHalf() * s.ti * s.tj : panelBase + bj * s.tj;
          const pitch = spill ? s.tj : d.nJ;
          if (bk === 0) this.preloadBias(cBase, pitch, bi, iTiles, bj * s.tj, jTiles);
          else if (spill) this.preloadPartials(cBase, pitch, bi, iTiles, bj * s.tj, jTiles);
          this.matmuls(cBase, pitch, aBase, bBase, bi, iTiles, bj * s.tj, jTiles, bk, kTiles, spill && bk > 0);
          if (last) this.stores(cBase, pitch, bi, iTiles, bj * s.tj, jTiles, false);
          else if (spill) this.stores(cBase, pitch, bi, iTiles, bj * s.tj, jTiles, true);
        }
      }
    }
  }

  private nextAccHalf(): number {
    const h = this.accParity;
    if (this.s.accBuffers === 2) this.accParity ^= 1;
    return h;
  }

  private rowsOf(rowTile: number): number { return Math.min(this.t, this.d.m - rowTile * this.t); }
  private colsOf(colTile: number): number { return Math.min(this.t, this.d.n - colTile * this.t); }
  private depthOf(kTile: number): number { return Math.min(this.t, this.d.k - kTile * this.t); }

  /** Slot base of A block (bi, bk), loading it unless a buffer half still holds it. */
  private ensureA(bi: number, bk: number, iTiles: number, kTiles: number): number {
    const key = bi * this.nKb + bk;
    let h = this.s.reuse ? this.aRes.find(key) : -1;
    if (h >= 0) return h * this.aHalf;
    h = this.aRes.claim(key);
    const base = h * this.aHalf;
    const { a } = this.spec;
    const t = this.t;
    for (let ii = 0; ii < iTiles; ii++) {
      const rowTile = bi * this.s.ti + ii;
      for (let kk = 0; kk < kTiles; kk++) {
        const kTile = bk * this.s.tk + kk;
        this.sink.load(base + ii * this.s.tk + kk, a.addr + rowTile * t * a.stride + kTile * t, a.stride, this.rowsOf(rowTile), this.depthOf(kTile));
      }
    }
    return base;
  }

  /** Slot base of B block (bk, bj), loading it unless a buffer half still holds it. */
  private ensureB(bk: number, bj: number, kTiles: number, jTiles: number): number {
    const key = bk * this.nJb + bj;
    let h = this.s.reuse ? this.bRes.find(key) : -1;
    if (h >= 0) return this.bBase + h * this.bHalf;
    h = this.bRes.claim(key);
    const base = this.bBase + h * this.bHalf;
    const { b, gather } = this.spec;
    const t = this.t;
    for (let kk = 0; kk < kTiles; kk++) {
      const kTile = bk * this.s.tk + kk;
      for (let jj = 0; jj < jTiles; jj++) {
        const colTile = bj * this.s.tj + jj;
        const slot = base + kk * this.s.tj + jj, rows = this.depthOf(kTile), cols = this.colsOf(colTile);
        if (gather) this.sink.loadIm2col(slot, gather.descriptor, kTile * t, colTile * t, rows, cols, gather.footprints.at(kTile * t, colTile * t, rows, cols));
        else this.sink.load(slot, b.addr + kTile * t * b.stride + colTile * t, b.stride, rows, cols);
      }
    }
    return base;
  }

  private preloadBias(cBase: number, pitch: number, bi: number, iTiles: number, j0: number, jTiles: number): void {
    const { bias } = this.spec;
    if (bias === undefined) return; // the first MATMUL overwrites instead
    for (let ii = 0; ii < iTiles; ii++) {
      const rowTile = bi * this.s.ti + ii;
      for (let jj = 0; jj < jTiles; jj++) {
        this.sink.preload(cBase + ii * pitch + jj, 'broadcast', bias + rowTile * this.t * 4, 4, this.rowsOf(rowTile), this.colsOf(j0 + jj));
      }
    }
  }

  /** Scratch holds the current row panel's partial sums: row r of the panel, column c at r·4N + 4c. */
  private partialAddr(ii: number, colTile: number): number {
    return this.spec.scratch!.addr + ii * this.t * this.d.n * 4 + colTile * this.t * 4;
  }

  private preloadPartials(cBase: number, pitch: number, bi: number, iTiles: number, j0: number, jTiles: number): void {
    for (let ii = 0; ii < iTiles; ii++) {
      const rowTile = bi * this.s.ti + ii;
      for (let jj = 0; jj < jTiles; jj++) {
        this.sink.preload(cBase + ii * pitch + jj, 'tile', this.partialAddr(ii, j0 + jj), this.d.n * 4, this.rowsOf(rowTile), this.colsOf(j0 + jj));
      }
    }
  }

  private matmuls(cBase: number, pitch: number, aBase: number, bBase: number, bi: number, iTiles: number, j0: number, jTiles: number, bk: number, kTiles: number, preloaded = false): void {
    // The accumulator starts from the bias (or preloaded partials) when there is one; otherwise the first
    // product of the first K block overwrites whatever the slot held.
    const startsFresh = bk === 0 && this.spec.bias === undefined && !preloaded;
    const sink = this.sink, tk = this.s.tk, tj = this.s.tj, t = this.t;
    // Columns of the block's last column tile (the others, not the matrix's last, are t wide).
    const lastCols = this.colsOf(j0 + jTiles - 1);
    // j innermost: the array keeps one A tile while B's column tiles stream past it (docs/isa.md §6), so
    // only the first MATMUL of each run pays for switching A.
    for (let ii = 0; ii < iTiles; ii++) {
      const rows = this.rowsOf(bi * this.s.ti + ii);
      for (let kk = 0; kk < kTiles; kk++) {
        const depth = this.depthOf(bk * tk + kk);
        const accumulate = !(startsFresh && kk === 0);
        const acc = cBase + ii * pitch, a = aBase + ii * tk + kk, b = bBase + kk * tj;
        for (let jj = 0; jj < jTiles; jj++) {
          sink.matmul(acc + jj, a, b + jj, rows, jj === jTiles - 1 ? lastCols : t, depth, accumulate);
        }
      }
    }
  }

  private stores(cBase: number, pitch: number, bi: number, iTiles: number, j0: number, jTiles: number, partial: boolean): void {
    const { c, requant } = this.spec;
    const t = this.t;
    for (let ii = 0; ii < iTiles; ii++) {
      const rowTile = bi * this.s.ti + ii;
      const rows = this.rowsOf(rowTile);
      for (let jj = 0; jj < jTiles; jj++) {
        const colTile = j0 + jj;
        const slot = cBase + ii * pitch + jj;
        const cols = this.colsOf(colTile);
        if (partial) {
          this.sink.store(slot, this.partialAddr(ii, colTile), this.d.n * 4, rows, cols, 'raw32', 0, false, 0, 0);
        } else if (requant) {
          const table = requant.table + (requant.perRow ? rowTile * t * REQUANT_ENTRY_BYTES : 0);
          this.sink.store(slot, c.addr + rowTile * t * c.stride + colTile * t, c.stride, rows, cols, 'requant', table, requant.perRow, requant.qmin, requant.qmax);
        } else {
          this.sink.store(slot, c.addr + rowTile * t * c.stride + colTile * t * 4, c.stride, rows, cols, 'raw32', 0, false, 0, 0);
        }
      }
    }
  }
}
