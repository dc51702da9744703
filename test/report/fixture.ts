import type { GraphSummary, ReportData, ReportExtras, ReportLayer } from '../../cli/report/types.js';

// Report data for the HTML report tests, shaped like what compile (with the tile program's numbers) and
// verify produce, built in code. Values are a fixed function of the layer index, so pages are reproducible.

/** A name that must come out of the page as text, never as markup. */
export const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">&amp;'"`;

/** `count` layers: convs, one host step every 10th layer, the last one a Gemm; layer 1 is named HOSTILE. */
export function syntheticLayers(count: number, tile = 16): ReportLayer[] {
  return Array.from({ length: count }, (_, i): ReportLayer => {
    if (i % 10 === 9) return { name: `pool_${i}`, op: 'MaxPool', kind: 'host', m: 0, n: 0, k: 0, tile_ops: 0, macs: 0, dram_bytes: 512 * (i + 1), cycles: 300 + i, utilization: 0 };
    const m = 8 * (1 + (i % 4)), n = 36 * (1 + (i % 3)), k = 18 * (1 + (i % 5));
    const macs = m * n * k;
    const ideal = Math.ceil(macs / (tile * tile));
    const cycles = ideal + 40 + 7 * i;
    const name = i === 1 ? HOSTILE : i === count - 1 ? 'fc' : `conv_${i}`;
    return {
      name, op: i === count - 1 ? 'QGemm' : 'QConv', kind: 'tile', m, n, k,
      tile_ops: Math.ceil(m / tile) * Math.ceil(n / tile) * Math.ceil(k / tile), macs, dram_bytes: 1000 + 97 * i, cycles,
      utilization: ideal / cycles, schedule: 'OS 2x2x2 spad×2 acc×2',
    };
  });
}

export function syntheticReport(count: number, overrides: Partial<ReportData> = {}): ReportData {
  const layers = syntheticLayers(count);
  const sum = (f: (l: ReportLayer) => number): number => layers.reduce((s, l) => s + f(l), 0);
  const macs = sum((l) => l.macs), cycles = sum((l) => l.cycles ?? 0), ideal = Math.ceil(macs / 256);
  return {
    model: `models/${HOSTILE}.onnx`, name: `net${count}`, target: { name: 'default' }, tile: 16, bits: 8, per_channel: false,
    calibration: { spec: 'random:8:0', method: 'seed', samples: 8 },
    layers,
    totals: { tile_ops: sum((l) => l.tile_ops ?? 0), macs, dram_bytes: sum((l) => l.dram_bytes ?? 0), cycles, ideal_cycles: ideal, utilization: ideal / cycles },
    float_islands: [{ name: 'softmax', op: 'Softmax' }],
    notes: [],
    compile_ms: 123,
    ...overrides,
  };
}

/** A CNN-like chain with a residual Add every 4th node (so rows have 1 or 2 boxes). */
export function syntheticGraph(nodes: number, label?: string): GraphSummary {
  const list: { name: string; op: string; inputs: string[]; outputs: string[] }[] = [];
  let prev = 'x', skip = 'x';
  for (let i = 0; i < nodes; i++) {
    const out = `v${i}`;
    if (i % 4 === 3) {
      list.push({ name: `add_${i}`, op: 'QAdd', inputs: [prev, skip], outputs: [out] });
      skip = out;
    } else {
      list.push({ name: i === 1 ? HOSTILE : `conv_${i}`, op: i % 4 === 2 ? 'Relu' : 'QConv', inputs: [prev, `w${i}`, ''], outputs: [out] });
    }
    prev = out;
  }
  return { ...(label !== undefined ? { label } : {}), inputs: ['x'], outputs: [prev], nodes: list };
}

export function syntheticExtras(count: number): ReportExtras {
  return {
    sqnr: Array.from({ length: count }, (_, i) => (i === 0 ? { name: 'x:q', sqnr_db: null, exact: true } : { name: `v${i}`, sqnr_db: 20 + (i % 7) * 2.5, exact: false })),
    graphBefore: syntheticGraph(count),
    graphAfter: syntheticGraph(count + 2),
    im2colTraffic: { explicit: 40_000, implicit: 12_000, layers: [{ name: 'conv_0', explicit: 30_000, implicit: 9_000 }, { name: 'conv_2', explicit: 10_000, implicit: 3_000 }] },
  };
}
