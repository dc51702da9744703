import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INSTRUCTION_BYTES, decodeInstruction, encodeInstruction, type Instruction } from '../../backend/isa.js';
import { instructionArb } from './arbitraries.js';
import { CodeBuilder } from '../../backend/program.js';
import { TilecError } from '../../ir/errors.js';

const word = (ins: Instruction): DataView => {
  const v = new DataView(new ArrayBuffer(INSTRUCTION_BYTES));
  encodeInstruction(ins, v, 0);
  return v;
};

const decodeError = (v: DataView): string => {
  try { decodeInstruction(v, 0, 'instruction ', 7); } catch (e) { expect(e).toBeInstanceOf(TilecError); return (e as Error).message; }
  throw new Error('expected a decode error');
};

describe('instruction words', () => {
  it('decode(encode(x)) = x for every instruction', () => {
    fc.assert(fc.property(instructionArb, (ins) => {
      expect(decodeInstruction(word(ins), 0, 'instruction ', 0)).toEqual(ins);
    }), { seed: 9001, numRuns: 2000 });
  });

  it('CodeBuilder typed emitters write the same words as encodeInstruction', () => {
    fc.assert(fc.property(instructionArb, (ins) => {
      const typed = new CodeBuilder();
      switch (ins.op) {
        case 'LOAD': typed.load(ins.spad, ins.dram, ins.stride, ins.rows, ins.cols); break;
        case 'PRELOAD': typed.preload(ins.acc, ins.source, ins.dram, ins.stride, ins.rows, ins.cols); break;
        case 'MATMUL': typed.matmul(ins.acc, ins.a, ins.b, ins.m, ins.n, ins.k, ins.accumulate); break;
        case 'STORE': if (ins.mode === 'requant' && ins.qmin > ins.qmax) return; typed.store(ins.acc, ins.dram, ins.stride, ins.rows, ins.cols, ins.mode, ins.table, ins.perRow, ins.qmin, ins.qmax); break;
        case 'FENCE': typed.fence(); break;
        case 'HOST': typed.host(ins.fn, ins.offset, ins.length); break;
      }
      const generic = new CodeBuilder();
      generic.emit(ins);
      expect(typed.bytes()).toEqual(generic.bytes());
    }), { seed: 9002, numRuns: 1000 });
  });

  it('emit keeps every word when the buffer grows (found by the fuzzer: programs over 256 instructions)', () => {
    const code = new CodeBuilder();
    const n = 1000;
    for (let i = 0; i < n; i++) code.emit({ op: 'HOST', fn: 1, offset: i, length: i + 1 });
    const bytes = code.bytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(bytes.byteLength).toBe(n * INSTRUCTION_BYTES);
    for (const i of [0, 255, 256, 257, 511, 999]) {
      expect(decodeInstruction(view, i * INSTRUCTION_BYTES, 'instruction ', i)).toEqual({ op: 'HOST', fn: 1, offset: i, length: i + 1 });
    }
  });

  it('lays fields out as documented in docs/isa.md', () => {
    const v = word({ op: 'STORE', acc: 3, dram: 0x1000, stride: 49, rows: 16, cols: 5, mode: 'requant', table: 0x2000, perRow: true, qmin: -128, qmax: 127 });
    expect([...new Uint8Array(v.buffer)]).toEqual([
      0x04, 0x02, 16, 0, 5, 0, 0x80, 0x7f, 3, 0, 0, 0, 0x00, 0x10, 0, 0, 49, 0, 0, 0, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('rejects non-canonical words, naming the instruction', () => {
    const load = (): DataView => word({ op: 'LOAD', spad: 1, dram: 2, stride: 3, rows: 4, cols: 5 });
    let v = load(); v.setUint8(30, 1);
    expect(decodeError(v)).toBe('instruction 7: reserved byte 30 of the instruction word is 1, must be 0');
    v = load(); v.setUint8(0, 0x42);
    expect(decodeError(v)).toBe('instruction 7: unknown opcode 0x42');
    v = load(); v.setUint8(1, 1);
    expect(decodeError(v)).toBe('instruction 7 (LOAD): unknown flag bits 0x1');
    v = load(); v.setUint32(20, 9, true);
    expect(decodeError(v)).toBe('instruction 7 (LOAD): field f3 is 9 but LOAD does not use it (must be 0)');
    v = word({ op: 'PRELOAD', acc: 0, source: 'zero', dram: 0, stride: 0, rows: 1, cols: 1 }); v.setUint32(12, 4, true);
    expect(decodeError(v)).toBe('instruction 7 (PRELOAD): field dram is 4 but PRELOAD does not use it (must be 0)');
    v = word({ op: 'FENCE' }); v.setUint16(2, 1, true);
    expect(decodeError(v)).toBe('instruction 7 (FENCE): field rows is 1 but FENCE does not use it (must be 0)');
  });

  it('rejects out-of-range fields when encoding', () => {
    expect(() => word({ op: 'LOAD', spad: -1, dram: 0, stride: 0, rows: 1, cols: 1 })).toThrow('LOAD operand 0 must be an integer in 0..4294967295, got -1');
    expect(() => word({ op: 'MATMUL', acc: 0, a: 0, b: 0, m: 1, n: 1, k: 70000, accumulate: true })).toThrow('MATMUL k must be an integer in 0..65535, got 70000');
    expect(() => word({ op: 'STORE', acc: 0, dram: 0, stride: 0, rows: 1, cols: 1, mode: 'requant', table: 0, perRow: false, qmin: -129, qmax: 0 })).toThrow('STORE qmin must be an integer in -128..127, got -129');
  });
});
