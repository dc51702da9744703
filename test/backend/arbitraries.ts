// fast-check arbitraries for tile programs, shared by the ISA and program-format tests.

import fc from 'fast-check';
import type { Instruction } from '../../backend/isa.js';
import { CONSTANT_KINDS, TENSOR_ROLES, CodeBuilder, dtypeBytes, type ConstantBlob, type TensorEntry, type TileProgram } from '../../backend/program.js';
import { DTYPES } from '../../ir/dtype.js';
import { TARGET_PRESETS, withTile } from '../../backend/target.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i8 = fc.integer({ min: -128, max: 127 });

export const instructionArb: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({ op: fc.constant('LOAD' as const), spad: u32, dram: u32, stride: u32, rows: u16, cols: u16 }),
  fc.record({ op: fc.constant('PRELOAD' as const), acc: u32, source: fc.constantFrom('broadcast' as const, 'tile' as const), dram: u32, stride: u32, rows: u16, cols: u16 }),
  fc.record({ op: fc.constant('PRELOAD' as const), acc: u32, source: fc.constant('zero' as const), dram: fc.constant(0), stride: fc.constant(0), rows: u16, cols: u16 }),
  fc.record({ op: fc.constant('MATMUL' as const), acc: u32, a: u32, b: u32, m: u16, n: u16, k: u16, accumulate: fc.boolean() }),
  fc.record({ op: fc.constant('STORE' as const), acc: u32, dram: u32, stride: u32, rows: u16, cols: u16, mode: fc.constant('requant' as const), table: u32, perRow: fc.boolean(), qmin: i8, qmax: i8 }),
  fc.record({ op: fc.constant('STORE' as const), acc: u32, dram: u32, stride: u32, rows: u16, cols: u16, mode: fc.constant('raw32' as const), table: fc.constant(0), perRow: fc.constant(false), qmin: fc.constant(0), qmax: fc.constant(0) }),
  fc.constant({ op: 'FENCE' as const }),
  fc.record({ op: fc.constant('HOST' as const), fn: u16, offset: u32, length: u32 }),
);


const DRAM = 1 << 16;

const nameArb = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('conv1.weight', 'a "quoted" name', 'x;y = z', 'ünï', '[1,2]'));

const tensorArb = (i: number): fc.Arbitrary<TensorEntry> => fc.record({
  role: fc.constantFrom(...TENSOR_ROLES),
  dtype: fc.constantFrom(...DTYPES),
  shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }),
  addr: fc.integer({ min: 0, max: DRAM - 2048 }),
  quant: fc.option(fc.record({
    scale: fc.array(fc.double({ min: 1e-12, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 3 }),
    bits: fc.integer({ min: 1, max: 32 }),
    zp: fc.integer({ min: -2147483648, max: 2147483647 }),
    axis: fc.option(fc.integer({ min: 0, max: 0 }), { nil: undefined }),
  }), { nil: undefined }),
}).map(({ role, dtype, shape, addr, quant }) => ({
  name: `t${i}`, role, dtype, shape, addr,
  ...(quant ? { quant: { scale: quant.scale, zeroPoint: quant.scale.map(() => quant.zp), bits: quant.bits, ...(quant.axis !== undefined && shape.length > 0 ? { axis: quant.axis } : {}) } } : {}),
}));

const constantArb: fc.Arbitrary<ConstantBlob> = fc.record({
  name: nameArb,
  kind: fc.constantFrom(...CONSTANT_KINDS),
  addr4: fc.integer({ min: 0, max: DRAM / 4 - 512 }),
  units: fc.integer({ min: 0, max: 40 }),
  seed: fc.integer(),
}).map(({ name, kind, addr4, units, seed }) => {
  const unit = kind === 'int32' ? 4 : kind === 'requant' ? 12 : 1;
  const data = Uint8Array.from({ length: units * unit }, (_, i) => (seed * 31 + i * 17) & 0xff);
  return { name, kind, addr: addr4 * 4, data };
});

/** Random but valid programs: every tensor and constant inside DRAM, any instruction words. */
export const programArb: fc.Arbitrary<TileProgram> = fc.record({
  preset: fc.constantFrom(...TARGET_PRESETS.values()),
  tile: fc.integer({ min: 1, max: 40 }),
  tensorCount: fc.integer({ min: 0, max: 4 }),
  constants: fc.array(constantArb, { maxLength: 4 }),
  hostData: fc.uint8Array({ maxLength: 50 }),
  code: fc.array(instructionArb, { maxLength: 30 }),
}).chain((r) => fc.tuple(...Array.from({ length: r.tensorCount }, (_, i) => tensorArb(i))).map((tensors) => {
  const code = new CodeBuilder();
  for (const ins of r.code) code.emit(ins);
  return {
    target: withTile(r.preset, r.tile), dramBytes: DRAM, tensors: tensors.filter((t) => t.addr + t.shape.reduce((a, b) => a * b, 1) * dtypeBytes(t.dtype) <= DRAM),
    constants: r.constants, hostData: r.hostData, code: code.bytes(),
  };
}));
