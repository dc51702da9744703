import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodeBuilder, type TileProgram } from '../../backend/program.js';
import { assemble, assembleLines, disassemble, disassembleChunks } from '../../backend/tasm.js';
import { encodeTbin } from '../../backend/tbin.js';
import { programArb } from './arbitraries.js';
import { largeProgram, referenceDisassemble } from './tasm-reference.js';

// The streamed .tasm (disassembleChunks) and the line-fed assembler (assembleLines) against the one-string
// forms they replaced: the streamed text must be the bytes of the previous disassemble for every program.

/** The chunks' bytes joined, after checking the chunk contract: whole lines, at most `size` bytes unless one line. */
function joinChecked(p: TileProgram, size: number): string {
  const chunks = [...disassembleChunks(p, size)];
  for (const c of chunks) {
    expect(c.length).toBeGreaterThan(0);
    expect(c[c.length - 1]).toBe(0x0a);
    if (c.length > size) expect(c.indexOf(0x0a)).toBe(c.length - 1);
  }
  return Buffer.concat(chunks).toString('utf8');
}

describe('disassembleChunks', () => {
  it('gives the bytes of the previous one-string disassemble, whatever the chunk size (random programs)', () => {
    fc.assert(fc.property(programArb, fc.constantFrom(1, 97, 600, 4096), (p, size) => {
      const reference = referenceDisassemble(p);
      expect(joinChecked(p, size)).toBe(reference);
      expect(disassemble(p)).toBe(reference);
    }), { seed: 4545, numRuns: 150 });
  });

  it('streams a program of many chunks: long lines, UTF-8 names, constants across chunk ends', () => {
    const p = largeProgram();
    const reference = referenceDisassemble(p);
    expect(reference.length).toBeGreaterThan(3 * 65536);
    for (const size of [65536, 100_003, 1 << 20]) expect(joinChecked(p, size)).toBe(reference);
    expect(disassemble(p)).toBe(reference);
    expect([...disassembleChunks(p, 65536)].length).toBeGreaterThan(4);
  });

  it('with reuse, gives the same bytes from two chunk buffers when each chunk is taken before the next', () => {
    const p = largeProgram();
    const reference = referenceDisassemble(p);
    for (const size of [1, 97, 65536]) {
      const copies: Buffer[] = [];
      const memories = new Set<ArrayBufferLike>();
      for (const c of disassembleChunks(p, size, true)) {
        copies.push(Buffer.from(c));
        if (c.length <= size) memories.add(c.buffer);
      }
      expect(Buffer.concat(copies).toString('utf8')).toBe(reference);
      expect(memories.size).toBeLessThanOrEqual(2);
    }
  });

  it('prints MATMULs whose words recur, collide in its text cache and get evicted exactly as formatInstruction does', () => {
    const code = new CodeBuilder();
    // 40,000 MATMULs over ~9,000 field sets, revisited in a scrambled order: cache hits, misses and evictions.
    for (let i = 0; i < 40_000; i++) {
      const j = (i * 7919) % 9001;
      code.matmul(j % 37, (j * 7) % 101, 0xfffffff0 + (j % 13), 1 + (j % 16), 1 + ((j >> 4) % 16), 1 + ((j >> 8) % 16), (j & 1) === 0);
    }
    const p: TileProgram = { ...largeProgram(), constants: [], hostData: new Uint8Array(0), code: code.bytes() };
    expect(joinChecked(p, 1 << 16)).toBe(referenceDisassemble(p));
    // A short program has a small cache (16 entries here): field sets differing in one field share entries.
    for (const field of [0, 1, 2, 3, 4, 5, 6]) {
      const small = new CodeBuilder();
      for (let rep = 0; rep < 3; rep++) {
        for (let v = 1; v <= 40; v++) {
          const scattered = field < 3 ? Math.imul(v, 40503) >>> 0 : field < 6 ? 1 + ((v * 40503) & 0xff) : v & 1;
          const f = [3, 5, 7, 16, 16, 16, 1].map((x, i) => (i === field ? scattered : x));
          small.matmul(f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!, f[6] === 1);
        }
      }
      const q: TileProgram = { ...p, code: small.bytes() };
      expect(joinChecked(q, 1 << 16)).toBe(referenceDisassemble(q));
    }
  });
});

describe('assembleLines', () => {
  it('assembles lines to the same program as assemble does the text', () => {
    const p = largeProgram();
    const text = disassemble(p);
    const lines = text.split('\n');
    const bin = Buffer.from(encodeTbin(assembleLines(lines, 'big.tasm')));
    // Buffer.equals: toEqual walks half a megabyte element by element.
    expect(bin.equals(encodeTbin(assemble(text, 'big.tasm')))).toBe(true);
    expect(bin.equals(encodeTbin(p))).toBe(true);
  });

  it('reports the same line numbers, up to the end of the input', () => {
    const text = disassemble(largeProgram());
    // A .const cut short at the end: the error names the .const's line, counted over every line.
    const cut = text.slice(0, text.indexOf('.const "empty"'));
    const message = (f: () => unknown): string => { try { f(); } catch (e) { return (e as Error).message; } return 'no error'; };
    const expected = message(() => assemble(cut.replace(/\n\.data [^\n]*\n$/, '\n'), 'c.tasm'));
    expect(expected).toMatch(/^c\.tasm:\d+:1: \.const "big" declares 200001 bytes but its \.data lines hold 200000$/);
    expect(message(() => assembleLines(cut.replace(/\n\.data [^\n]*\n$/, '\n').split(/\r?\n/), 'c.tasm'))).toBe(expected);
    // More data than declared: the line and column of the excess.
    const over = text.replace('bytes=200001', 'bytes=200000');
    expect(message(() => assembleLines(over.split('\n'), 'o.tasm'))).toBe(message(() => assemble(over, 'o.tasm')));
    expect(message(() => assemble(over, 'o.tasm'))).toMatch(/^o\.tasm:\d+:7: \.const "big" declares 200000 bytes but its \.data lines hold more$/);
  });
});
