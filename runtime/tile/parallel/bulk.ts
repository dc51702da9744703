import { u32Leb as u32 } from './shared-module.js';

// Bulk copies inside the two-thread runner's shared memory. V8 copies and fills a SharedArrayBuffer from
// JavaScript (TypedArray set/fill/slice) with element-wise relaxed-atomic loops, many times slower than
// memcpy (resetting ResNet-50's 32 MB DRAM took 30-150 ms instead of ~5); WebAssembly's memory.copy and
// memory.fill are plain bulk operations on shared memory too. This is the smallest module that offers them,
// assembled here byte by byte (its text form is in the comments).

const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];

/**
 * (module
 *   (import "env" "memory" (memory 1 maxPages shared))
 *   (func (export "copy") (param $dst i32) (param $src i32) (param $n i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
 *   (func (export "fill") (param $dst i32) (param $value i32) (param $n i32) (memory.fill (local.get 0) (local.get 1) (local.get 2))))
 */
function bulkModuleBytes(maxPages: number): Uint8Array<ArrayBuffer> {
  const copyBody = [0x00, 0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0a, 0x00, 0x00, 0x0b];
  const fillBody = [0x00, 0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0b, 0x00, 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x03, ...u32(1), ...u32(maxPages)]),
    ...section(3, [2, 0, 0]),
    ...section(7, [2, ...name('copy'), 0x00, 0, ...name('fill'), 0x00, 1]),
    ...section(10, [2, copyBody.length, ...copyBody, fillBody.length, ...fillBody]),
  ]);
}

export interface Bulk {
  /** memory[dst .. dst+n) ← memory[src .. src+n) (overlap allowed). */
  copy(dst: number, src: number, n: number): void;
  /** memory[dst .. dst+n) ← value. */
  fill(dst: number, value: number, n: number): void;
}

/** Bulk copy and fill on `memory` (shared, at most 65536 pages). */
export function bulkOps(memory: WebAssembly.Memory): Bulk {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bulkModuleBytes(65536)), { env: { memory } });
  return { copy: instance.exports.copy as Bulk['copy'], fill: instance.exports.fill as Bulk['fill'] };
}
