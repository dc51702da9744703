import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HOST_CALL_CYCLES, decodeHostOperands, encodeHostOperands, hostOpCycles, tensorBytes, tensorFromBytes, type HostOperands,
} from '../../../backend/host-ops.js';
import { presetTarget } from '../../../backend/target.js';
import { FirstFitAllocator } from '../../../backend/emit/allocator.js';
import { DTYPES } from '../../../ir/dtype.js';
import { TilecError } from '../../../ir/errors.js';
import { tensor } from '../../../ir/tensor.js';

const operands: HostOperands = {
  node: 'pool "1"',
  inputs: [{ addr: 64, dtype: 'int8', shape: [1, 3, 4, 4] }, undefined, { addr: 0xfffffff0, dtype: 'int64', shape: [] }],
  outputs: [{ addr: 1024, dtype: 'float32', shape: [2, 0, 5] }, undefined],
  attrs: {
    kernel_shape: [3, 3], alpha: -0.5, huge: 2 ** 53, neg0: -0, nan: NaN, empty: [], mode: 'reflect', coerce2d: true, off: false,
    value: tensor('int64', [3], [-(2 ** 53), -1, 2 ** 40]), mask: tensor('bool', [2], [1, 0]), f: tensor('float32', [1, 2], [0.1, -3]),
  },
};

describe('HOST operand blocks', () => {
  it('round-trip every attribute kind, absent operands and extreme addresses exactly', () => {
    const back = decodeHostOperands(encodeHostOperands(operands));
    expect(back.node).toBe(operands.node);
    expect(back.inputs).toEqual(operands.inputs);
    expect(back.outputs).toEqual(operands.outputs);
    const a = back.attrs as Record<string, unknown>;
    expect(a.kernel_shape).toEqual([3, 3]);
    expect(Object.is(a.neg0, -0)).toBe(true);
    expect(a.nan).toBeNaN();
    expect([a.alpha, a.huge, a.mode, a.coerce2d, a.off, a.empty]).toEqual([-0.5, 2 ** 53, 'reflect', true, false, []]);
    expect(a.value).toEqual(operands.attrs.value);
    expect(a.mask).toEqual(operands.attrs.mask);
    expect(a.f).toEqual(operands.attrs.f);
  });

  it('write attributes in key order, so equal attributes give equal bytes', () => {
    const x = encodeHostOperands({ node: 'n', inputs: [], outputs: [], attrs: { b: 1, a: [2] } });
    const y = encodeHostOperands({ node: 'n', inputs: [], outputs: [], attrs: { a: [2], b: 1, c: undefined as unknown as number } });
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true);
  });

  it('reject truncated blocks, unknown kinds and trailing bytes with a TilecError', () => {
    const good = encodeHostOperands(operands);
    for (let cut = 0; cut < good.length; cut += 7) {
      expect(() => decodeHostOperands(good.subarray(0, cut), 'block')).toThrow(TilecError);
    }
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expect(() => decodeHostOperands(trailing, 'block')).toThrow('block: 1 unexpected bytes after the attributes');
    const kind = encodeHostOperands({ node: '', inputs: [], outputs: [], attrs: { k: 1 } });
    kind[2 + 2 + 2 + 2 + 1] = 9; // name '', counts, attribute count, key 'k' -> kind byte
    expect(() => decodeHostOperands(kind, 'block')).toThrow("block: attribute 'k' has unknown kind 9");
    // A hostile block cannot reach the attribute object's prototype.
    const proto = encodeHostOperands({ node: '', inputs: [], outputs: [], attrs: { __proto_a: 1 } });
    proto.set(new TextEncoder().encode('__proto__'), 2 + 2 + 2 + 2);
    expect(() => decodeHostOperands(proto, 'block')).toThrow("block: attribute name '__proto__' is not allowed");
  });

  it('random operand blocks round-trip (seeded)', () => {
    const ref = fc.option(fc.record({ addr: fc.integer({ min: 0, max: 0xffffffff }), dtype: fc.constantFrom(...DTYPES), shape: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 5 }) }), { nil: undefined });
    const attr = fc.oneof(fc.double(), fc.array(fc.double()), fc.string(), fc.boolean());
    fc.assert(fc.property(fc.string(), fc.array(ref, { maxLength: 4 }), fc.array(ref, { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'), attr), (node, inputs, outputs, attrs) => {
      const back = decodeHostOperands(encodeHostOperands({ node, inputs, outputs, attrs }));
      expect(back).toEqual({ node, inputs, outputs, attrs: Object.fromEntries(Object.keys(attrs).sort().map((k) => [k, attrs[k]])) });
    }), { seed: 0x0b10c, numRuns: 300 });
  });
});

describe('tensors in DRAM', () => {
  it('every dtype round-trips through its little-endian bytes; int64 is 8-byte two\'s complement', () => {
    for (const d of DTYPES) {
      const values = d === 'bool' ? [1, 0, 1] : d === 'uint8' || d === 'uint16' ? [0, 7, 200] : [-3, 0, 100];
      const t = tensor(d, [3], values);
      expect(tensorFromBytes(d, [3], tensorBytes(t))).toEqual(t);
    }
    expect(Array.from(tensorBytes(tensor('int64', [1], [-2])))).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });
});

describe('host cycle model', () => {
  it('QAdd of two int8 [1,64,56,56] on default: 100 + max(602112 B / 16, 200704 / 4) (docs/host-ops.md)', () => {
    const x = { dtype: 'int8' as const, shape: [1, 64, 56, 56] };
    expect(hostOpCycles('QAdd', [x, x], [x], {}, presetTarget('default'))).toBe(50276);
  });

  it('movement is bandwidth bound; pools pay per window element', () => {
    const x = { dtype: 'int8' as const, shape: [1, 8, 10, 10] }, y = { dtype: 'int8' as const, shape: [1, 8, 5, 5] };
    expect(hostOpCycles('Transpose', [x], [x], {}, presetTarget('tiny'))).toBe(HOST_CALL_CYCLES + 1600 / 8);
    expect(hostOpCycles('MaxPool', [x], [y, undefined], { kernel_shape: [3, 3] }, presetTarget('tiny'))).toBe(HOST_CALL_CYCLES + Math.ceil((200 * 9) / 4));
  });
});

describe('first-fit allocator', () => {
  it('reuses the lowest freed block that fits, coalesces neighbours and grows at the end', () => {
    const a = new FirstFitAllocator(128);
    const [p, q, r] = [a.alloc(10), a.alloc(100), a.alloc(64)];
    expect([p, q, r]).toEqual([128, 192, 320]);
    a.release(q, 100);
    expect(a.alloc(64)).toBe(192); // first fit, split
    expect(a.alloc(64)).toBe(256);
    a.release(p, 10);
    a.release(192, 64);
    a.release(256, 64);
    expect(a.alloc(190)).toBe(128); // p, 192 and 256 coalesced into one 192-byte block
    a.release(r, 64);
    expect(a.alloc(200)).toBe(320); // the top block is extended in place
    expect(a.end).toBe(320 + 256);
    expect(() => a.release(128, 64)).not.toThrow();
    expect(() => a.release(128, 64)).toThrow('double release');
  });
});
