import { describe, expect, it } from 'vitest';
import { INSTRUCTION_BYTES } from '../../backend/isa.js';
import { CodeBuilder, decodeCode } from '../../backend/program.js';

// CodeBuilder keeps its words in pages (no copying while a big program is built); the bytes must be exactly
// the words in order, across page boundaries, for typed writes and appended blocks alike.

describe('CodeBuilder pages', () => {
  it('writes and appends across many pages, giving the words in order', () => {
    const b = new CodeBuilder();
    const scratch = new CodeBuilder();
    for (let i = 0; i < 300; i++) scratch.load(i, 4 * i, 16, 1, 1);
    const block = scratch.bytes();
    const expected: number[] = [];
    for (let round = 0; round < 400; round++) { // ~ 400 × 301 words: past the 32768-word page cap
      b.fence();
      expected.push(-1);
      b.append(block);
      for (let i = 0; i < 300; i++) expected.push(i);
    }
    expect(b.length).toBe(expected.length);
    const bytes = b.bytes();
    expect(bytes.length).toBe(expected.length * INSTRUCTION_BYTES);
    const words = decodeCode(bytes, 'test');
    words.forEach((w, k) => {
      if (expected[k] === -1) expect(w.op).toBe('FENCE');
      else expect(w).toMatchObject({ op: 'LOAD', spad: expected[k], dram: 4 * expected[k]! });
    });
  });

  it('reserve() then take(): the same words, one page without a copy when the reservation holds them', () => {
    const emit = (b: CodeBuilder, from: number, count: number): void => { for (let i = from; i < from + count; i++) b.load(i % 97, 8 * i, 16, 2, 3); };
    const reference = new CodeBuilder();
    emit(reference, 0, 5000);
    const want = reference.bytes();
    for (const [before, reserved] of [[0, 5000], [10, 4990], [300, 1000], [0, 0], [4999, 1]] as const) {
      const b = new CodeBuilder();
      emit(b, 0, before);
      b.reserve(reserved);
      emit(b, before, 5000 - before);
      const got = b.take();
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
      // Reserved before the first word and big enough: take() hands over the page itself (no copy, so a
      // second take() sees the same memory); otherwise the pages are concatenated into a fresh copy each time.
      expect(b.take().buffer === got.buffer).toBe(before === 0 && reserved >= 5000);
    }
  });
});
