import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeTbin, encodeTbin } from '../../backend/tbin.js';
import { assemble, disassemble } from '../../backend/tasm.js';
import { CodeBuilder, type TileProgram } from '../../backend/program.js';
import { presetTarget } from '../../backend/target.js';
import { TilecError } from '../../ir/errors.js';
import { programArb } from './arbitraries.js';
import { buildGemm } from './gemm-fixture.js';

const err = (f: () => unknown): string => {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(TilecError); return (e as Error).message; }
  throw new Error('expected a TilecError');
};

function sample(): TileProgram {
  const code = new CodeBuilder();
  code.load(0, 0x100, 28, 16, 16);
  code.preload(1, 'broadcast', 0x400, 4, 16, 16);
  code.matmul(1, 0, 0, 16, 16, 16, true);
  code.store(1, 0x800, 16, 16, 16, 'requant', 0x600, true, 0, 127);
  code.fence();
  code.host(3, 0, 4);
  return {
    target: presetTarget('default'),
    dramBytes: 4096,
    tensors: [
      { name: 'input', role: 'input', dtype: 'int8', shape: [1, 1, 28, 28], addr: 0x100, quant: { scale: [0.0039215686], zeroPoint: [-128], bits: 8 } },
      { name: 'w "conv"', role: 'weight', dtype: 'int8', shape: [4, 9], addr: 0x500, quant: { scale: [0.1, 0.2, 0.3, 0.4], zeroPoint: [0, 0, 0, 0], axis: 0, bits: 8 } },
      { name: 'out', role: 'output', dtype: 'int8', shape: [16, 16], addr: 0x800 },
    ],
    constants: [
      { name: 'bias', kind: 'int32', addr: 0x400, data: new Uint8Array(64).map((_, i) => i) },
      { name: 'w "conv"', kind: 'int8', addr: 0x500, data: new Uint8Array(36).map((_, i) => 200 - i) },
      { name: 'requant', kind: 'requant', addr: 0x600, data: new Uint8Array(16 * 12).fill(7) },
    ],
    hostData: Uint8Array.of(1, 2, 3, 4),
    code: code.bytes(),
  };
}

describe('.tbin', () => {
  it('decode(encode(p)) reproduces the program, and encoding is deterministic', () => {
    const p = sample();
    const bin = encodeTbin(p);
    const q = decodeTbin(bin, 'a.tbin');
    expect(q).toEqual({ ...p, target: { ...p.target } });
    expect(encodeTbin(q)).toEqual(bin);
    expect(new TextDecoder().decode(bin.subarray(0, 8))).toBe('TILECBIN');
  });

  it('round-trips random programs byte for byte', () => {
    fc.assert(fc.property(programArb, (p) => {
      const bin = encodeTbin(p);
      expect(encodeTbin(decodeTbin(bin, 'r.tbin'))).toEqual(bin);
    }), { seed: 4242, numRuns: 300 });
  });

  it('rejects bad files with the file name and the reason', () => {
    const bin = encodeTbin(sample());
    const patched = (at: number, v: number): Uint8Array => { const b = bin.slice(); b[at] = v; return b; };
    expect(err(() => decodeTbin(patched(0, 0x58), 'x.tbin'))).toBe('tbin \'x.tbin\': not a tilec program (magic "XILECBIN", expected "TILECBIN")');
    expect(err(() => decodeTbin(patched(8, 2), 'x.tbin'))).toBe("tbin 'x.tbin': format version 2.0 is not supported (this tilec reads 1.0..1.0)");
    expect(err(() => decodeTbin(bin.subarray(0, 40), 'x.tbin'))).toMatch(/^tbin 'x.tbin': truncated: needs \d+ bytes for TRGT payload at byte 24/);
    expect(err(() => decodeTbin(Uint8Array.of(...bin, 0, 0, 0, 0, 0, 0, 0, 0), 'x.tbin'))).toBe("tbin 'x.tbin': 8 unexpected bytes after the CODE section");
    expect(err(() => decodeTbin(patched(16, 0x51), 'x.tbin'))).toBe('tbin \'x.tbin\': expected section TRGT at byte 16, found "QRGT"');
    // The last instruction's reserved byte.
    expect(err(() => decodeTbin(patched(bin.length - 1, 9), 'x.tbin'))).toBe("tbin 'x.tbin': instruction 5: reserved byte 31 of the instruction word is 9, must be 0");
  });

  it('rejects a tensor outside DRAM', () => {
    const p = sample();
    expect(err(() => encodeTbin({ ...p, dramBytes: 0x8ff }))).toBe("tile program: tensor 'out' (256 bytes at 0x00000800) does not fit in DRAM of 2303 bytes");
  });
});

describe('.tasm', () => {
  it('assemble(disassemble(p)) encodes to the identical .tbin (random programs)', () => {
    fc.assert(fc.property(programArb, (p) => {
      const bin = encodeTbin(p);
      const text = disassemble(decodeTbin(bin, 'r.tbin'));
      expect(encodeTbin(assemble(text, 'r.tasm'))).toEqual(bin);
      expect(disassemble(assemble(text, 'r.tasm'))).toBe(text);
    }), { seed: 4343, numRuns: 300 });
  });

  it('round-trips a tiled GEMM program', () => {
    const { program } = buildGemm({ m: 37, n: 21, k: 50, seed: 3, bias: true, perRow: true, pad: 2 }, presetTarget('tiny'));
    const bin = encodeTbin(program);
    expect(encodeTbin(assemble(disassemble(program)))).toEqual(bin);
  });

  it('prints one instruction per line with every field', () => {
    const lines = disassemble(sample()).split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '; tilec tile program: `tilec asm` assembles this back into the identical .tbin',
      '.tbin 1.0',
      '.dram 4096',
      '.target "default" tile=16 scratchpad_bytes=262144 accumulator_bytes=65536 dram_bytes_per_cycle=16 latency_load=80 latency_matmul=32 latency_store=40 loop_order=auto unlimited_memory=false',
    ]);
    expect(lines).toContain('.tensor "w \\"conv\\"" role=weight dtype=int8 shape=[4,9] addr=0x00000500 bits=8 scale=[0.1,0.2,0.3,0.4] zero_point=[0,0,0,0] axis=0');
    const code = lines.slice(lines.indexOf('.code') + 1, -1);
    expect(code).toEqual([
      'LOAD spad=0 dram=0x00000100 stride=28 rows=16 cols=16 ; #0',
      'PRELOAD acc=1 broadcast dram=0x00000400 stride=4 rows=16 cols=16 ; #1',
      'MATMUL acc=1 a=0 b=0 m=16 n=16 k=16 accumulate ; #2',
      'STORE acc=1 requant dram=0x00000800 stride=16 rows=16 cols=16 table=0x00000600 per_row qmin=0 qmax=127 ; #3',
      'FENCE ; #4',
      'HOST fn=3 offset=0 length=4 ; #5',
    ]);
  });

  const header = '.tbin 1.0\n.dram 4096\n.target "t" tile=4 scratchpad_bytes=64 accumulator_bytes=64 dram_bytes_per_cycle=1 latency_load=0 latency_matmul=0 latency_store=0 loop_order=auto unlimited_memory=false\n';

  it.each([
    ['.code\nLOAD spad=0 dram=0 stride=4 rows=4', 'p.tasm:5:1: LOAD needs cols=...'],
    ['.code\nLOAD spad=0 dram=0 stride=4 rows=4 cols=4 colz=1', "p.tasm:5:43: unknown operand 'colz' for LOAD"],
    ['.code\n  MATMUL acc=0 a=0 b=1 m=4 n=4 k=4', 'p.tasm:5:3: MATMUL needs one of: accumulate, overwrite'],
    ['.code\nMATMUL acc=0 a=0 b=1 m=4 n=4 k=x overwrite', "p.tasm:5:32: k must be an integer, got 'x'"],
    ['.code\nSTORE acc=0 requant dram=0 stride=4 rows=1 cols=1 table=0 per_row qmin=-129 qmax=0', 'p.tasm:5:72: qmin must be in -128..127, got -129'],
    ['.code\nJUMP 3', "p.tasm:5:1: unknown instruction 'JUMP' (LOAD, PRELOAD, MATMUL, STORE, FENCE, LOAD_IM2COL, HOST)"],
    ['LOAD spad=0 dram=0 stride=4 rows=4 cols=4', "p.tasm:4:1: instruction 'LOAD' before .code"],
    ['.tensor x role=input dtype=int8 shape=[1] addr=0', 'p.tasm:4:9: .tensor needs a quoted name first, e.g. .tensor "x"'],
    ['.tensor "x role=input', 'p.tasm:4:9: unterminated string'],
    ['.tensor "x" role=input dtype=int4 shape=[1] addr=0', "p.tasm:4:30: dtype must be one of float32, float64, int8, uint8, int16, uint16, int32, int64, bool, got 'int4'"],
    ['.tensor "x" role=input dtype=int8 shape=[1, 2] addr=0', "p.tasm:4:41: shape must be a list like [1,2,3] (no spaces), got '[1,'"],
    ['.const "c" kind=int8 addr=0 bytes=4\n.data AQID', 'p.tasm:4:1: .const "c" declares 4 bytes but its .data lines hold 3'],
    ['.const "c" kind=int8 addr=0 bytes=2\n.data AQI$', 'p.tasm:5:7: not valid base64'],
    ['.data AQID', 'p.tasm:4:1: .data must follow a .const or .hostdata'],
    ['.frobnicate', "p.tasm:4:1: unknown directive '.frobnicate'"],
  ])('%j', (body, message) => {
    expect(err(() => assemble(header + body, 'p.tasm'))).toBe(message);
  });

  it('reports a missing header and a bad target with its line', () => {
    expect(err(() => assemble('.code\n', 'p.tasm'))).toBe('p.tasm:1:1: missing .tbin directive');
    expect(err(() => assemble(header.replace('tile=4', 'tile=0'), 'p.tasm'))).toBe("target 'p.tasm:3': tile must be an integer between 1 and 4096, got 0");
  });
});

describe('program validation', () => {
  it('names the file when its target is invalid', () => {
    const p = sample();
    expect(err(() => encodeTbin({ ...p, target: { ...p.target, tile: 0 } }))).toBe('tile program: target: tile must be an integer between 1 and 4096, got 0');
    const bin = encodeTbin(p);
    // TRGT payload: u16 name length (7), "default", then u32 tile at byte 16 + 8 + 2 + 7.
    const bad = bin.slice();
    new DataView(bad.buffer).setUint32(33, 0, true);
    expect(err(() => decodeTbin(bad, 'x.tbin'))).toBe("tbin 'x.tbin': target: tile must be an integer between 1 and 4096, got 0");
  });
});
