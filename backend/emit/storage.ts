import { fail, invariant } from '../../ir/errors.js';
import { FirstFitAllocator, alignUp } from './allocator.js';

// Where every tensor of a program lives in DRAM. A *root* is one DRAM buffer; a value is a (root, byte offset)
// view of one. Several values share a root when an op only reinterprets bytes (Reshape, Flatten, a batch-1
// Lift...) or when a producer writes straight into its slice of a concatenation. Roots nest: a root placed
// inside another at an offset forwards its uses there, so liveness and addresses are those of the outermost
// root. Layout: constants, then graph inputs, then a first-fit heap of activations whose buffers are reused
// once their last reader has run.

export type RootKind = 'constant' | 'input' | 'activation' | 'temp';

export interface Root {
  readonly id: number;
  readonly kind: RootKind;
  readonly bytes: number;
  /** Step that writes it first (-1: before the program runs). */
  first: number;
  /** Last step that reads it. */
  last: number;
  /** Live until the end of the program (graph outputs). */
  pinned: boolean;
  /** Placed inside another root at `offset` bytes. */
  parent?: Root;
  offset: number;
  addr: number;
}

export interface Located {
  readonly root: Root;
  readonly offset: number;
}

export class StorageMap {
  private readonly roots: Root[] = [];
  private readonly views = new Map<string, Located>();

  newRoot(kind: RootKind, bytes: number, first: number): Root {
    const r: Root = { id: this.roots.length, kind, bytes, first, last: first, pinned: false, offset: 0, addr: -1 };
    this.roots.push(r);
    return r;
  }

  /** `key` (a value name, or an internal tensor's name) is the bytes of `root` from `offset`. */
  bind(key: string, root: Root, offset = 0): void {
    invariant(!this.views.has(key), `storage for '${key}' is bound twice`);
    this.views.set(key, { root, offset });
  }

  /** `key` is the bytes of `src` from `offset` on (a reshape-like view). */
  alias(key: string, src: string, offset = 0): void {
    const v = this.views.get(src);
    invariant(v, `no storage for '${src}'`);
    this.bind(key, v.root, v.offset + offset);
  }

  has(key: string): boolean { return this.views.has(key); }

  /** The outermost root holding `key`, and its offset there. */
  locate(key: string): Located {
    const v = this.views.get(key);
    invariant(v, `no storage for '${key}'`);
    let { root, offset } = v;
    while (root.parent) { offset += root.offset; root = root.parent; }
    return { root, offset };
  }

  /** Step `step` reads `key`: its buffer must live until then. */
  use(key: string, step: number): void {
    const { root } = this.locate(key);
    if (step > root.last) root.last = step;
  }

  pin(key: string): void { this.locate(key).root.pinned = true; }

  /**
   * Places the whole of `inner` (an outermost root, not yet placed) inside `outer` at `offset`: from now on
   * they are one buffer, alive from the first write of either to the last read of either.
   */
  place(inner: Root, outer: Root, offset: number): void {
    invariant(!inner.parent && !outer.parent && inner !== outer, 'placement of a root that is already placed');
    invariant(offset >= 0 && offset + inner.bytes <= outer.bytes, 'placement outside the outer buffer');
    inner.parent = outer;
    inner.offset = offset;
    outer.first = Math.min(outer.first, inner.first);
    outer.last = Math.max(outer.last, inner.last);
    outer.pinned ||= inner.pinned;
  }

  /** DRAM address of `key`, once allocate() has run. */
  addr(key: string): number {
    const { root, offset } = this.locate(key);
    invariant(root.addr >= 0, `'${key}' has no address yet`);
    return root.addr + offset;
  }

  /**
   * Gives every outermost root an address: constants then inputs, in creation order, then the activation
   * heap, where at each step the buffers first written there are allocated (outputs before temporaries) and
   * then the ones last read there are released. Returns the DRAM size.
   */
  allocate(steps: number): number {
    const outer = this.roots.filter((r) => !r.parent);
    let top = 0;
    for (const kind of ['constant', 'input'] as const) {
      for (const r of outer) if (r.kind === kind) { r.addr = top; top = alignUp(top + Math.max(r.bytes, 1)); }
    }
    const heap = new FirstFitAllocator(top);
    const byFirst = new Map<number, Root[]>(), byLast = new Map<number, Root[]>();
    const push = (m: Map<number, Root[]>, k: number, r: Root): void => { const l = m.get(k); if (l) l.push(r); else m.set(k, [r]); };
    for (const r of outer) {
      if (r.kind !== 'activation' && r.kind !== 'temp') continue;
      invariant(r.first >= 0 && r.first < steps, `activation buffer written at step ${r.first}`);
      push(byFirst, r.first, r);
      if (!r.pinned) push(byLast, Math.max(r.first, r.last), r);
    }
    for (let s = 0; s < steps; s++) {
      for (const r of byFirst.get(s) ?? []) r.addr = heap.alloc(r.bytes);
      for (const r of byLast.get(s) ?? []) heap.release(r.addr, r.bytes);
    }
    const end = Math.max(top, heap.end);
    if (end > 0xffffffff) fail(`the program needs ${end} bytes of DRAM, more than the 4 GiB its 32-bit addresses reach`);
    return end;
  }
}
