import { GatherFootprints, RelativeFootprints, geometryKey } from '../gather.js';
import type { Im2ColGeometry } from '../../ir/im2col.js';
import type { LoopOrder, Target } from '../target.js';
import type { GemmSpec } from '../tile-gemm.js';

// GEMM specs as plain data, to cross to the planning worker (plan-worker.ts) by structured clone. Everything in
// a GemmSpec is plain except a gathered B's GatherFootprints (a class with caches); it crosses as its geometry
// and x's address and is rebuilt on the other side, which gives the same footprints (they depend on nothing else).

export type WireSpec = Omit<GemmSpec, 'gather'> & {
  readonly gather?: { readonly gather: 'im2col'; readonly descriptor: number; readonly geo: Im2ColGeometry; readonly x: number };
};

/** What the main thread sends: the GEMMs the worker plans, and how. */
export interface PlanRequest {
  readonly target: Target;
  readonly strategy?: LoopOrder;
  readonly specs: readonly WireSpec[];
}

export function toWire(spec: GemmSpec): WireSpec {
  if (!spec.gather) return spec as Omit<GemmSpec, 'gather'>;
  const { descriptor, footprints } = spec.gather;
  return { ...spec, gather: { gather: 'im2col', descriptor, geo: footprints.geo, x: footprints.x } };
}

/** Rebuilds the specs; GEMMs of one geometry share their relative footprints, as in emit-program. */
export function fromWire(specs: readonly WireSpec[], tile: number): GemmSpec[] {
  const shared = new Map<string, RelativeFootprints>();
  return specs.map((w): GemmSpec => {
    if (!w.gather) return w as GemmSpec;
    const { descriptor, geo, x } = w.gather;
    const key = geometryKey(geo, tile);
    let relative = shared.get(key);
    if (relative === undefined) shared.set(key, relative = new RelativeFootprints(geo, tile));
    return { ...w, gather: { gather: 'im2col', descriptor, footprints: new GatherFootprints(geo, x, tile, relative) } };
  });
}
