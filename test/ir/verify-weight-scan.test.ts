import { describe, expect, it } from 'vitest';
import type { Graph } from '../../ir/graph.js';
import { verifyGraph } from '../../ir/verify.js';
import { miniModel, WEIGHT_BITS, withQuants } from './quant-ops-fixture.js';

// The verifier remembers weight arrays it has scanned (it runs after every pass on the same weights); a
// remembered scan may only ever skip a check it has already passed, never one with a narrower code range.

describe('verifier: weight code ranges are scanned once per array and range', () => {
  it('a weight verified at its own bit width is still rejected at a narrower one', () => {
    const g = miniModel().realized;
    expect(() => verifyGraph(g)).not.toThrow();
    expect(() => verifyGraph(g)).not.toThrow(); // the remembered scan
    const w = g.values.get('W')!.quant!;
    // Same weight array, fewer bits: the codes (up to 2^(WEIGHT_BITS-1)) no longer fit.
    const narrower: Graph = withQuants(g, { W: { ...w, bits: WEIGHT_BITS - 2 } });
    expect(() => verifyGraph(narrower)).toThrow(/input 1 \(w\) 'W' element \d+ = -?\d+ is outside the 4-bit code range \[-8, 7\]/);
    // And wider is fine.
    expect(() => verifyGraph(withQuants(g, { W: { ...w, bits: 8 } }))).not.toThrow();
  });

  it('a new array with an out-of-range code is scanned, whatever was verified before', () => {
    const g = miniModel().realized;
    expect(() => verifyGraph(g)).not.toThrow();
    const initializers = new Map(g.initializers);
    const w = initializers.get('W')!;
    const bad = { ...w, data: Int8Array.from(w.data as Int8Array) };
    bad.data[3] = 2 ** (WEIGHT_BITS - 1); // one above the 6-bit maximum
    initializers.set('W', bad);
    expect(() => verifyGraph({ ...g, initializers })).toThrow(/'W' element 3 = 32 is outside the 6-bit code range \[-32, 31\]/);
  });
});
