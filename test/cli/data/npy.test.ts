import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeNpy, encodeNpy } from '../../../cli/data/npy.js';
import { TilecError } from '../../../ir/errors.js';
import { DTYPES } from '../../../ir/dtype.js';
import { tensor } from '../../../ir/tensor.js';

/** A .npy file written the way numpy does, with a chosen version, header text and payload. */
function npyFile(header: string, payload: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let text = header;
  while ((pre + text.length + 1) % 64 !== 0) text += ' ';
  text += '\n';
  const hb = new TextEncoder().encode(text);
  const out = new Uint8Array(pre + hb.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, hb.length, true); else v.setUint32(8, hb.length, true);
  out.set(hb, pre);
  out.set(payload, pre + hb.length);
  return out;
}
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('decodeNpy', () => {
  it('reads a float32 C-order array (v1)', () => {
    const f = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytesOf(new Float32Array([1, 2, 3, 4, 5, 6.5])));
    const t = decodeNpy(f, 'a.npy');
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
  });

  it('reads v2 and v3 headers, 1-D and scalar shapes', () => {
    const v2 = decodeNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", bytesOf(new Float64Array([0.1, -2, 1e300])), 2), 'b.npy');
    expect(v2.shape).toEqual([3]);
    expect(Array.from(v2.data)).toEqual([0.1, -2, 1e300]);
    const v3 = decodeNpy(npyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", bytesOf(new Int32Array([-7])), 3), 'c.npy');
    expect(v3.dtype).toBe('int32');
    expect(v3.shape).toEqual([]);
    expect(Array.from(v3.data)).toEqual([-7]);
  });

  it('reads every listed integer type, int64 into float64 storage', () => {
    const u8 = decodeNpy(npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([0, 255])), 'u.npy');
    expect([u8.dtype, Array.from(u8.data)]).toEqual(['uint8', [0, 255]]);
    const i8 = decodeNpy(npyFile("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", bytesOf(new Int8Array([-128, 127]))), 'i.npy');
    expect([i8.dtype, Array.from(i8.data)]).toEqual(['int8', [-128, 127]]);
    const i64 = decodeNpy(npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", bytesOf(new BigInt64Array([-5n, 2n ** 53n, 0n]))), 'l.npy');
    expect(i64.dtype).toBe('int64');
    expect(i64.data).toBeInstanceOf(Float64Array);
    expect(Array.from(i64.data)).toEqual([-5, 2 ** 53, 0]);
  });

  it('widens <f2 to float32', () => {
    const t = decodeNpy(npyFile("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", bytesOf(new Uint16Array([0x3c00, 0xc000, 0x3555]))), 'h.npy');
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([1, -2, Math.fround(0.333251953125)]);
  });

  it('does not depend on the payload being aligned in the input buffer', () => {
    const f = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", bytesOf(new Float32Array([3, 4])));
    const shifted = new Uint8Array(f.length + 1);
    shifted.set(f, 1);
    expect(Array.from(decodeNpy(shifted.subarray(1), 's.npy').data)).toEqual([3, 4]);
  });

  it('reads from a Node Buffer that is a view into a larger pool (as readFileSync returns)', () => {
    const f = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", bytesOf(new Float32Array([7, 8])));
    const pool = Buffer.alloc(f.length + 13);
    pool.set(f, 13);
    expect(Array.from(decodeNpy(pool.subarray(13), 'p.npy').data)).toEqual([7, 8]);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['no magic', new Uint8Array(20), /x\.npy: not a \.npy file/],
    ['fortran order', npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)), /x\.npy: .*Fortran order/],
    ['big-endian', npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), /x\.npy: \.npy dtype '>f4' is not supported/],
    ['complex', npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), /dtype '<c8' is not supported/],
    ['structured', npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), /structured/],
    ['short payload', npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(12)), /needs 16 data bytes but the file has 12/],
    ['long payload', npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), /needs 4 data bytes but the file has 8/],
    ['version 4', npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4), 4), /format version 4\.0 is not supported/],
    ['int64 beyond 2^53', npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", bytesOf(new BigInt64Array([2n ** 53n + 1n]))), /beyond the exactly representable/],
  ];
  it.each(bad)('rejects %s with a TilecError naming the file', (_, bytes, msg) => {
    expect(() => decodeNpy(bytes, 'x.npy')).toThrow(TilecError);
    expect(() => decodeNpy(bytes, 'x.npy')).toThrow(msg);
  });

  it('rejects a header length that runs past the end of the file', () => {
    const f = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4));
    expect(() => decodeNpy(f.subarray(0, 40), 't.npy')).toThrow(/t\.npy: \.npy header says \d+ bytes/);
  });
});

describe('encodeNpy', () => {
  it('writes numpy\'s v1 layout: 64-byte aligned header ending in a newline', () => {
    const f = encodeNpy(tensor('float32', [2, 2], [1, 2, 3, 4]));
    const headerLen = new DataView(f.buffer).getUint16(8, true);
    expect((10 + headerLen) % 64).toBe(0);
    const header = new TextDecoder().decode(f.subarray(10, 10 + headerLen));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 2\), \} +\n$/);
    expect(f.length).toBe(10 + headerLen + 16);
  });

  it('writes 1-D shapes as a one-element tuple', () => {
    const header = new TextDecoder().decode(encodeNpy(tensor('uint8', [3], [1, 2, 3])).subarray(10, 74));
    expect(header).toContain("'descr': '|u1'");
    expect(header).toContain("'shape': (3,)");
  });

  it('round-trips every IR dtype and shape (property, fixed seed)', () => {
    const dtypeArb = fc.constantFrom(...DTYPES);
    const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
    fc.assert(fc.property(dtypeArb, shapeArb, fc.integer(), (dtype, shape, salt) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, i) => {
        const k = (i * 7919 + salt) % 100;
        if (dtype === 'bool') return k & 1;
        if (dtype === 'float32' || dtype === 'float64') return (k - 50) / 8;
        if (dtype === 'uint8' || dtype === 'uint16') return Math.abs(k);
        return k - 50;
      });
      const t = tensor(dtype, shape, values);
      const back = decodeNpy(encodeNpy(t), 'rt.npy');
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(shape);
      expect(Array.from(back.data)).toEqual(Array.from(t.data));
    }), { seed: 20240611, numRuns: 200 });
  });
});
