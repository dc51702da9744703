import { invariant } from '../../ir/errors.js';

// A first-fit allocator over a growing DRAM region: blocks are handed out at the lowest free address that
// holds them (address-ordered free list, neighbours coalesced on free), and the region grows at its end
// when nothing fits. Deterministic: the same sequence of calls gives the same addresses.

/** Alignment of every DRAM buffer: int32 accesses need 4; 64 keeps tensors on cache-line boundaries. */
export const DRAM_ALIGN = 64;

export const alignUp = (v: number, a = DRAM_ALIGN): number => Math.ceil(v / a) * a;

export class FirstFitAllocator {
  /** Free blocks, sorted by address, never adjacent (coalesced). */
  private readonly free: { addr: number; size: number }[] = [];
  private top: number;

  /** Hands out addresses at or above `base`. */
  constructor(private readonly base: number) {
    this.top = base;
  }

  /** Highest address handed out so far (exclusive). */
  get end(): number { return this.top; }

  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size < size) continue;
      const addr = b.addr;
      if (b.size === size) this.free.splice(i, 1);
      else { b.addr += size; b.size -= size; }
      return addr;
    }
    // Nothing fits: extend the region, absorbing a free block that ends at the top.
    const last = this.free[this.free.length - 1];
    if (last && last.addr + last.size === this.top) {
      this.free.pop();
      this.top = last.addr + size;
      return last.addr;
    }
    const addr = this.top;
    this.top += size;
    return addr;
  }

  release(addr: number, bytes: number): void {
    const size = alignUp(Math.max(bytes, 1));
    invariant(addr >= this.base && addr + size <= this.top, `release of [${addr}, ${addr + size}) outside the allocated region`);
    let i = 0;
    while (i < this.free.length && this.free[i]!.addr < addr) i++;
    const prev = this.free[i - 1], next = this.free[i];
    invariant(!prev || prev.addr + prev.size <= addr, `double release at ${addr}`);
    invariant(!next || addr + size <= next.addr, `double release at ${addr}`);
    if (prev && prev.addr + prev.size === addr) {
      prev.size += size;
      if (next && prev.addr + prev.size === next.addr) { prev.size += next.size; this.free.splice(i, 1); }
    } else if (next && addr + size === next.addr) {
      next.addr = addr;
      next.size += size;
    } else {
      this.free.splice(i, 0, { addr, size });
    }
  }
}
