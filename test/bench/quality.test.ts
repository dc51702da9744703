import { describe, expect, it } from 'vitest';
import { quality } from '../../bench/sections/quality.js';

// The bench's program-quality figures come from `tilec compile --json` totals; a failed or older compile
// gives null (a 'failed' cell), never a made-up ratio.

const totals = { cycles: 1150, ideal_cycles: 1000, dram_bytes: 300, dram_lower_bound: 200, host_cycles: 50, macs: 256_000, cycles_by_bound: { compute: 900, dma: 200, host: 50 } };

describe('bench quality figures', () => {
  it('divides cycles by ideal and DRAM bytes by the lower bound', () => {
    expect(quality({ code: 0, report: { compile_ms: 1, totals, layers: [] } })).toEqual({
      cycles: 1150, ideal_cycles: 1000, cycles_over_ideal: 1.15, dram_bytes: 300, dram_lower_bound: 200, dram_over_lower_bound: 1.5,
      cycles_by_bound: { compute: 900, dma: 200, host: 50 },
    });
  });
  it('is null for a failed compile or a report without a lower bound', () => {
    expect(quality({ code: 2, error: 'error: x' })).toBeNull();
    const { dram_lower_bound: _, ...old } = totals;
    expect(quality({ code: 0, report: { compile_ms: 1, totals: old, layers: [] } })).toBeNull();
  });
});
