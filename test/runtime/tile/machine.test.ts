import { describe, expect, it } from 'vitest';
import { TileMachine, runTileProgram, type HostOp } from '../../../runtime/tile/machine.js';
import { CodeBuilder, type ConstantBlob, type TileProgram } from '../../../backend/program.js';
import { costOfCode } from '../../../backend/cost.js';
import type { Target } from '../../../backend/target.js';
import { quantizeMultiplier, requantize } from '../../../ir/arith.js';
import { TilecError, fail } from '../../../ir/errors.js';

// t = 2 and round numbers, so the cost model can be followed by hand (docs/isa.md, "Cost model").
const T2: Target = {
  name: 'hand', tile: 2, scratchpadBytes: 4 * 4, accumulatorBytes: 2 * 16, dramBytesPerCycle: 2,
  latency: { load: 10, matmul: 5, store: 3 }, loopOrder: 'auto', unlimitedMemory: false,
};

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v.map((x) => x & 0xff));
const int32s = (...v: number[]): Uint8Array => new Uint8Array(Int32Array.from(v).buffer);

function program(build: (c: CodeBuilder) => void, constants: ConstantBlob[] = [], target: Target = T2, dramBytes = 4096): TileProgram {
  const code = new CodeBuilder();
  build(code);
  return { target, dramBytes, tensors: [], constants, hostData: Uint8Array.of(5, 6, 7), code: code.bytes() };
}

const faultOf = (p: TileProgram, options = {}): string => {
  try { new TileMachine(p, options).run(); } catch (e) { expect(e).toBeInstanceOf(TilecError); return (e as Error).message; }
  throw new Error('expected a fault');
};

describe('instruction semantics', () => {
  it('LOAD copies a strided window and zero-fills the rest of the tile', () => {
    const m = new TileMachine(program((c) => { c.load(3, 0, 5, 1, 2); c.load(2, 5, 5, 2, 1); }, [{ name: 'd', kind: 'int8', addr: 0, data: bytes(1, -2, 3, 4, 5, 6, -7, 8, 9, 10, 11) }]));
    m.run();
    expect([...m.scratchpadTile(3)]).toEqual([1, -2, 0, 0]);
    expect([...m.scratchpadTile(2)]).toEqual([6, 0, 11, 0]);
  });

  it('PRELOAD zero / broadcast / tile', () => {
    const m = new TileMachine(program((c) => {
      c.preload(0, 'broadcast', 16, 4, 2, 2);
      c.preload(1, 'tile', 16, 8, 1, 2);
    }, [{ name: 'b', kind: 'int32', addr: 16, data: int32s(-5, 7, 9, 11) }]));
    m.run();
    expect([...m.accumulatorTile(0)]).toEqual([-5, -5, 7, 7]);
    expect([...m.accumulatorTile(1)]).toEqual([-5, 7, 0, 0]);
    const z = new TileMachine(program((c) => { c.preload(1, 'tile', 16, 8, 2, 2); c.preload(1, 'zero', 0, 0, 1, 1); }, [{ name: 'b', kind: 'int32', addr: 16, data: int32s(1, 2, 3, 4) }]));
    z.run();
    expect([...z.accumulatorTile(1)]).toEqual([0, 0, 0, 0]);
  });

  it('MATMUL overwrites or accumulates exactly the m×n region, summing k products', () => {
    // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]
    const consts = [{ name: 'ab', kind: 'int8' as const, addr: 0, data: bytes(1, 2, 3, 4, 5, 6, 7, 8) }];
    const m = new TileMachine(program((c) => {
      c.load(0, 0, 2, 2, 2);
      c.load(1, 4, 2, 2, 2);
      c.preload(0, 'broadcast', 16, 0, 2, 2);
      c.matmul(0, 0, 1, 2, 2, 2, true); // bias 100 + A·B
      c.matmul(1, 0, 1, 1, 2, 1, false); // row 0, k = 1 only: [1*5, 1*6]
    }, [...consts, { name: 'bias', kind: 'int32', addr: 16, data: int32s(100) }]));
    m.run();
    expect([...m.accumulatorTile(0)]).toEqual([119, 122, 143, 150]);
    expect([...m.accumulatorTile(1)]).toEqual([5, 6, 0, 0]);
  });

  it('STORE requantizes with the table entry of each row (or the one entry), clamps, and stores raw int32', () => {
    const q0 = quantizeMultiplier(0.37), q1 = quantizeMultiplier(1.9);
    const table = new Uint8Array(new Int32Array([q0.multiplier, q0.shift, 3, q1.multiplier, q1.shift, -2]).buffer);
    const m = new TileMachine(program((c) => {
      c.preload(0, 'tile', 64, 8, 2, 2);
      c.store(0, 128, 2, 2, 2, 'requant', 32, true, -10, 100);
      c.store(0, 136, 2, 2, 2, 'requant', 32, false, -128, 127);
      c.store(0, 144, 8, 2, 2, 'raw32', 0, false, 0, 0);
    }, [{ name: 't', kind: 'requant', addr: 32, data: table }, { name: 'acc', kind: 'int32', addr: 64, data: int32s(100, -100, 50, 1000) }]));
    m.run();
    const view = new DataView(m.dram.buffer);
    const i8 = (a: number): number => view.getInt8(a);
    expect([i8(128), i8(129), i8(130), i8(131)]).toEqual([
      requantize(100, q0.multiplier, q0.shift, 3, -10, 100), requantize(-100, q0.multiplier, q0.shift, 3, -10, 100),
      requantize(50, q1.multiplier, q1.shift, -2, -10, 100), requantize(1000, q1.multiplier, q1.shift, -2, -10, 100),
    ]);
    expect([i8(128), i8(129), i8(130), i8(131)]).toEqual([40, -10, 93, 100]);
    expect([i8(136), i8(137), i8(138), i8(139)]).toEqual([40, -34, 22, 127]);
    expect([0, 4, 8, 12].map((o) => view.getInt32(144 + o, true))).toEqual([100, -100, 50, 1000]);
  });

  it('int32 accumulators wrap like hardware by default, and can fault on overflow instead', () => {
    // 2147483600 + 127*127: past INT32_MAX.
    const p = program((c) => {
      c.load(0, 0, 1, 1, 1);
      c.preload(0, 'broadcast', 8, 4, 1, 1);
      c.matmul(0, 0, 0, 1, 1, 1, true);
    }, [{ name: 'x', kind: 'int8', addr: 0, data: bytes(127) }, { name: 'b', kind: 'int32', addr: 8, data: int32s(2147483600) }]);
    const m = new TileMachine(p);
    m.run();
    expect(m.accumulatorTile(0)[0]).toBe(2147483600 + 16129 - 2 ** 32);
    expect(faultOf(p, { overflow: 'fault' })).toBe('tile machine fault at instruction 2 (MATMUL): accumulator overflow: element (0, 0) of slot 0 would be 2147499729, outside int32');
  });

  it('HOST runs a registered operation on DRAM and is charged its cycles', () => {
    const seen: number[] = [];
    const inc: HostOp = { name: 'inc', run: (ctx) => { seen.push(...ctx.operands); ctx.dram[0]! += 1; return 100; } };
    const p = { ...program((c) => { c.host(9, 1, 2); c.host(9, 0, 1); }) };
    const m = new TileMachine(p, { hostOps: new Map([[9, inc]]) });
    const counters = m.run();
    expect(seen).toEqual([6, 7, 5]);
    expect(m.dram[0]).toBe(2);
    expect([counters.hostOps, counters.cycles]).toEqual([2, 200]);
  });

  it('runTileProgram writes inputs and returns every output tensor', () => {
    const p: TileProgram = {
      ...program((c) => { c.load(0, 0, 2, 2, 2); c.matmul(0, 0, 0, 2, 2, 2, false); c.store(0, 8, 8, 2, 2, 'raw32', 0, false, 0, 0); }),
      tensors: [{ name: 'x', role: 'input', dtype: 'int8', shape: [2, 2], addr: 0 }, { name: 'y', role: 'output', dtype: 'int32', shape: [2, 2], addr: 8 }],
    };
    const { outputs } = runTileProgram(p, new Map([['x', [1, 2, 3, 4]]]));
    expect([...outputs.get('y')!.data]).toEqual([7, 10, 15, 22]);
  });
});

describe('faults name the instruction', () => {
  const d = (n: number): ConstantBlob[] => [{ name: 'd', kind: 'bytes', addr: 0, data: new Uint8Array(n) }];
  it.each([
    ['LOAD past the end of DRAM', program((c) => { c.fence(); c.load(0, 4091, 4, 2, 2); }),
      'tile machine fault at instruction 1 (LOAD): LOAD reads or writes DRAM 0x00000ffb..0x00001001 (2 rows of 2 bytes, stride 4) beyond the DRAM size 4096'],
    ['scratchpad slot beyond capacity', program((c) => c.load(4, 0, 2, 2, 2)), 'tile machine fault at instruction 0 (LOAD): scratchpad slot 4 is beyond the scratchpad\'s 4 slots'],
    ['accumulator slot beyond capacity', program((c) => c.matmul(2, 0, 0, 1, 1, 1, false)), 'tile machine fault at instruction 0 (MATMUL): accumulator slot 2 is beyond the accumulator\'s 2 slots'],
    ['operand larger than t', program((c) => c.matmul(0, 0, 1, 2, 2, 3, false)), 'tile machine fault at instruction 0 (MATMUL): k 3 is outside 1..2 (tile size t = 2)'],
    ['zero rows', program((c) => c.load(0, 0, 2, 0, 2)), 'tile machine fault at instruction 0 (LOAD): rows 0 is outside 1..2 (tile size t = 2)'],
    ['misaligned int32 preload', program((c) => c.preload(0, 'tile', 2, 8, 2, 2)), 'tile machine fault at instruction 0 (PRELOAD): PRELOAD address 0x00000002 / stride 8 must be 4-byte aligned'],
    ['overlapping store rows', program((c) => c.store(0, 0, 1, 2, 2, 'requant', 16, false, -128, 127)), 'tile machine fault at instruction 0 (STORE): stride 1 is shorter than a row of 2 bytes, so rows would overlap'],
    ['clamp qmin > qmax', program((c) => c.emit({ op: 'STORE', acc: 0, dram: 0, stride: 2, rows: 1, cols: 1, mode: 'requant', table: 16, perRow: false, qmin: 5, qmax: 4 })), 'tile machine fault at instruction 0 (STORE): clamp qmin 5 > qmax 4'],
    ['bad requant shift', program((c) => c.store(0, 0, 2, 1, 1, 'requant', 16, false, -128, 127), [{ name: 't', kind: 'requant', addr: 16, data: int32s(1 << 30, 31, 0) }]),
      'tile machine fault at instruction 0 (STORE): requant entry at 0x00000010 has shift 31, outside -31..30'],
    ['negative multiplier', program((c) => c.store(0, 0, 2, 1, 1, 'requant', 16, false, -128, 127), [{ name: 't', kind: 'requant', addr: 16, data: int32s(-5, 0, 0) }]),
      'tile machine fault at instruction 0 (STORE): requant entry at 0x00000010 has a negative multiplier -5'],
    ['unknown host function', program((c) => c.host(4, 0, 1)), 'tile machine fault at instruction 0 (HOST): host function 4 is not implemented by this machine'],
    ['host operands out of range', program((c) => c.host(1, 2, 5)), 'tile machine fault at instruction 0 (HOST): operand block 2+5 lies beyond the 3 bytes of host data'],
  ])('%s', (_what, p, message) => {
    const hostOps = new Map([[1, { name: 'nop', run: () => 0 }]]);
    expect(faultOf({ ...p, constants: p.constants.length ? p.constants : d(0) }, { hostOps })).toBe(message);
  });

  it('a host operation that rejects its operands faults with its name', () => {
    const bad: HostOp = { name: 'maxpool', run: () => fail('kernel 0 is not >= 1') };
    expect(faultOf(program((c) => { c.fence(); c.host(2, 0, 0); }), { hostOps: new Map([[2, bad]]) }))
      .toBe('tile machine fault at instruction 1 (HOST): maxpool: kernel 0 is not >= 1');
  });

  it('a non-canonical word is rejected before anything runs', () => {
    const p = program((c) => { c.load(0, 0, 2, 1, 1); c.fence(); });
    const code = p.code.slice();
    code[32 + 28] = 1;
    expect(faultOf({ ...p, code })).toBe('tile machine fault at instruction 1: reserved byte 28 of the instruction word is 1, must be 0');
  });

  it('refuses to simulate an unlimited-memory program that names absurd slots', () => {
    const p = program((c) => c.load(4_000_000_000, 0, 1, 1, 1), [], { ...T2, unlimitedMemory: true });
    expect(() => new TileMachine(p)).toThrow(/more than the simulator allows/);
  });
});

describe('cost model (worked example of docs/isa.md)', () => {
  // t = 2, 2 bytes/cycle, latencies load 10, matmul 5, store 3; C lives in another DRAM page than A and B.
  const build = (fence: boolean) => program((c) => {
    c.load(0, 0, 2, 2, 2); //        load q:  start 0, busy 2, done 12
    c.load(1, 4, 2, 2, 2); //        load q:  start 2, busy 2, done 14
    c.matmul(0, 0, 1, 2, 2, 2, false); // compute: waits for both loads: start 14, busy t = 2, done 21
    c.store(0, 2048, 2, 2, 2, 'requant', 16, false, -128, 127); // store q: 4 + 12 table bytes: start 21, busy 8, done 32
    if (fence) c.fence(); //           everything after waits for 32
    c.load(0, 8, 2, 2, 2); //        reuses slot 0: waits for the MATMUL that read it: start 21 (or 32), done 33 (or 44)
  }, [{ name: 't', kind: 'requant', addr: 16, data: int32s(1 << 30, 1, 0) }]);

  it('queues overlap where dependences allow', () => {
    const c = new TileMachine(build(false)).run();
    expect(c).toEqual({
      instructions: 5, loads: 3, preloads: 0, matmuls: 1, stores: 1, fences: 0, hostOps: 0, macs: 8,
      loadBytes: 12, storeBytes: 4, tableBytes: 12, cycles: 33, busy: { load: 6, compute: 2, store: 8 },
    });
    expect(costOfCode(build(false).code, T2)).toEqual(c);
  });

  it('FENCE serializes', () => {
    expect(new TileMachine(build(true)).run().cycles).toBe(44);
  });

  it('a DRAM read-after-write through the same page waits for the store', () => {
    const p = program((c) => {
      c.matmul(0, 0, 0, 1, 1, 1, false); // compute: start 0, done 7
      c.store(0, 100, 1, 1, 1, 'raw32', 0, false, 0, 0); // start 7, busy 2, done 12
      c.load(0, 100, 1, 1, 1); // reads the page the store wrote: start 12, busy 1, done 23
    });
    expect(new TileMachine(p).run().cycles).toBe(23);
  });
});
