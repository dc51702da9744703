import { describe, expect, it } from 'vitest';
import { CodeBuilder, type TileProgram } from '../../../backend/program.js';
import { HOST_FN, encodeHostOperands, tensorBytes, type HostOperands } from '../../../backend/host-ops.js';
import { presetTarget } from '../../../backend/target.js';
import { TilecError } from '../../../ir/errors.js';
import { tensor } from '../../../ir/tensor.js';
import { TileMachine } from '../../../runtime/tile/machine.js';
import { hostOps } from '../../../runtime/tile/host/index.js';

// The tile machine's host operations on hand-written programs: operands read from and written to DRAM,
// the reference kernels' results, the cycle charge, and faults that name the instruction and the node.

const target = presetTarget('default');

function program(ops: [number, HostOperands][], dram = 4096, constants: TileProgram['constants'] = []): TileProgram {
  const code = new CodeBuilder();
  const blocks: Uint8Array[] = [];
  let at = 0;
  for (const [fn, o] of ops) {
    const b = encodeHostOperands(o);
    code.host(fn, at, b.length);
    blocks.push(b);
    at += b.length;
  }
  const hostData = new Uint8Array(at);
  at = 0;
  for (const b of blocks) { hostData.set(b, at); at += b.length; }
  return { target, dramBytes: dram, tensors: [], constants, hostData, code: code.bytes() };
}

const run = (p: TileProgram): TileMachine => {
  const m = new TileMachine(p, { hostOps: hostOps(target) });
  m.run();
  return m;
};

const faultOf = (p: TileProgram): string => {
  try { run(p); } catch (e) { expect(e).toBeInstanceOf(TilecError); return (e as Error).message; }
  throw new Error('expected a fault');
};

describe('host operations on the tile machine', () => {
  it('Requantize then Transpose read and write DRAM through their operand blocks', () => {
    const x = tensor('int8', [2, 3], [-4, 10, 127, 0, -128, 7]);
    const p = program([
      [HOST_FN.Requantize, {
        node: 'rq', inputs: [{ addr: 0, dtype: 'int8', shape: [2, 3] }], outputs: [{ addr: 64, dtype: 'int8', shape: [2, 3] }],
        attrs: { multiplier: [1073741824], shift: [0], zeroPoint: 1, qmin: -128, qmax: 127, inZeroPoint: 0 },
      }],
      [HOST_FN.Transpose, {
        node: 'tr', inputs: [{ addr: 64, dtype: 'int8', shape: [2, 3] }], outputs: [{ addr: 128, dtype: 'int8', shape: [3, 2] }], attrs: { perm: [1, 0] },
      }],
    ], 4096, [{ name: 'x', kind: 'int8', addr: 0, data: tensorBytes(x) }]);
    const m = run(p);
    // requantize by 1/2 (ties away from zero), + 1
    expect(Array.from(new Int8Array(m.dram.buffer, 64, 6))).toEqual([-1, 6, 65, 1, -63, 5]);
    expect(Array.from(new Int8Array(m.dram.buffer, 128, 6))).toEqual([-1, 1, 6, -63, 65, 5]);
  });

  it('charges each HOST the model\'s cycles, in order', () => {
    const op: HostOperands = { node: 'c', inputs: [{ addr: 0, dtype: 'int8', shape: [1000] }], outputs: [{ addr: 1024, dtype: 'int8', shape: [1000] }], attrs: { perm: [0] } };
    const m = new TileMachine(program([[HOST_FN.Transpose, op], [HOST_FN.Transpose, op]]), { hostOps: hostOps(target) });
    const c = m.run();
    expect(c.hostOps).toBe(2);
    expect(c.cycles).toBe(2 * (100 + Math.ceil(2000 / 16)));
  });

  it('faults name the instruction, the function and the node', () => {
    const x = { addr: 0, dtype: 'int8' as const, shape: [4] };
    expect(faultOf(program([[HOST_FN.QAdd, { node: 'add_1', inputs: [x], outputs: [x], attrs: {} }]])))
      .toMatch(/^tile machine fault at instruction 0 \(HOST\): fn 4 \(QAdd\): QAdd 'add_1': /);
    // An output that is not what the block promises.
    expect(faultOf(program([[HOST_FN.Transpose, { node: 't', inputs: [{ addr: 0, dtype: 'int8', shape: [2, 3] }], outputs: [{ addr: 64, dtype: 'int8', shape: [2, 3] }], attrs: { perm: [1, 0] } }]])))
      .toBe("tile machine fault at instruction 0 (HOST): fn 10 (Transpose): Transpose 't' output 0 came out as int8[3,2] but the operand block says int8[2,3]");
    // An operand beyond DRAM.
    expect(faultOf(program([[HOST_FN.Transpose, { node: 't', inputs: [{ addr: 4090, dtype: 'int8', shape: [10] }], outputs: [{ addr: 0, dtype: 'int8', shape: [10] }], attrs: {} }]])))
      .toBe('tile machine fault at instruction 0 (HOST): fn 10 (Transpose): input 0 (int8[10] at 0x00000ffa) ends at 0x00001004, beyond the DRAM size 4096');
    // A malformed block.
    const bad = program([[HOST_FN.Relu, { node: 'r', inputs: [], outputs: [], attrs: {} }]]);
    expect(faultOf({ ...bad, hostData: bad.hostData.subarray(0, 3), code: (() => { const c = new CodeBuilder(); c.host(HOST_FN.Relu, 0, 3); return c.bytes(); })() }))
      .toMatch(/^tile machine fault at instruction 0 \(HOST\): fn 35 \(Relu\): operand block: truncated/);
    // An unknown function code.
    const c = new CodeBuilder();
    c.host(999, 0, 0);
    expect(faultOf({ ...bad, code: c.bytes() })).toBe('tile machine fault at instruction 0 (HOST): host function 999 is not implemented by this machine');
  });
});
