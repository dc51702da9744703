import { clip, esc, px } from './format.js';
import type { GraphSummary } from './types.js';

// A graph drawn as a layered node-link diagram: every node sits one row below its deepest producer
// (longest path from the inputs), nodes of a row are ordered by the mean column of their producers (one
// sweep: enough to keep chains and residual branches straight), each row is centred. Graph inputs and
// outputs are drawn as rounded boxes. The result is plain SVG; the page puts it in a scrolling box.

export interface LaidOutBox {
  readonly kind: 'input' | 'node' | 'output';
  readonly title: string;
  readonly sub: string;
  readonly tooltip: string;
  readonly category: string;
  readonly layer: number;
  readonly x: number;
  readonly y: number;
}

export interface GraphLayout {
  readonly boxes: readonly LaidOutBox[];
  /** [producer box, consumer box] indices. */
  readonly edges: readonly (readonly [number, number])[];
  readonly width: number;
  readonly height: number;
}

/** Larger graphs are listed in the table only: an SVG of that many boxes is no longer readable. */
export const MAX_DRAWN_NODES = 2500;

const BOX_W = 150, BOX_H = 34, GAP_X = 30, GAP_Y = 26, PAD = 10, LANE_GAP = 30, NAME_CHARS = 22;

const GEMM_OPS = new Set(['Conv', 'QConv', 'Gemm', 'QGemm', 'MatMul', 'TileGemm', 'ConvInteger', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul']);
const LOWERING_OPS = new Set(['Im2Col', 'Lift']);
const QUANT_OPS = new Set(['Quantize', 'Dequantize', 'Requantize', 'QuantizeLinear', 'DequantizeLinear']);

/** Colour class of an op: matrix unit, im2col/lift, (re)quantization, anything else. */
export function opCategory(op: string): string {
  if (GEMM_OPS.has(op)) return 'gemm';
  if (LOWERING_OPS.has(op)) return 'lowering';
  if (QUANT_OPS.has(op)) return 'quant';
  return 'other';
}

/** `name [1,4,6,6] int8`, or just the name when the graph carries no types. */
export function describeValue(g: GraphSummary, v: string): string {
  const t = g.values?.get(v);
  return t ? `${v} [${t.shape.join(',')}] ${t.dtype}` : v;
}

interface Item { kind: LaidOutBox['kind']; title: string; sub: string; tooltip: string; category: string; preds: number[]; layer: number }

function items(g: GraphSummary): Item[] {
  const list: Item[] = [];
  const producer = new Map<string, number>();
  const predsOf = (values: readonly string[]): number[] =>
    [...new Set(values.flatMap((v) => { const p = producer.get(v); return p === undefined ? [] : [p]; }))];
  const layerAfter = (preds: readonly number[]): number => (preds.length === 0 ? 0 : 1 + Math.max(...preds.map((p) => list[p]!.layer)));

  for (const v of g.inputs) {
    producer.set(v, list.length);
    list.push({ kind: 'input', title: 'input', sub: v, tooltip: `graph input ${describeValue(g, v)}`, category: 'io', preds: [], layer: 0 });
  }
  for (const n of g.nodes) {
    // Only producers seen so far count: a graph out of topological order still lays out (and terminates).
    const preds = predsOf(n.inputs);
    const tooltip = [`${n.op} '${n.name}'`, `inputs: ${n.inputs.filter((v) => v !== '').map((v) => describeValue(g, v)).join(', ') || 'none'}`,
      `outputs: ${n.outputs.filter((v) => v !== '').map((v) => describeValue(g, v)).join(', ') || 'none'}`].join('\n');
    list.push({ kind: 'node', title: n.op, sub: n.name, tooltip, category: opCategory(n.op), preds, layer: layerAfter(preds) });
    for (const v of n.outputs) if (v !== '') producer.set(v, list.length - 1);
  }
  for (const v of g.outputs) {
    const preds = predsOf([v]);
    list.push({ kind: 'output', title: 'output', sub: v, tooltip: `graph output ${describeValue(g, v)}`, category: 'io', preds, layer: layerAfter(preds) });
  }
  return list;
}

export function layoutGraph(g: GraphSummary): GraphLayout {
  const list = items(g);
  const rows: number[][] = [];
  for (let i = 0; i < list.length; i++) (rows[list[i]!.layer] ??= []).push(i);
  const column = new Float64Array(list.length);
  const widest = Math.max(1, ...rows.map((r) => r?.length ?? 0));
  for (const row of rows) {
    if (!row) continue;
    const key = row.map((i) => {
      const preds = list[i]!.preds;
      return preds.length === 0 ? Infinity : preds.reduce((s, p) => s + column[p]!, 0) / preds.length;
    });
    const order = row.map((_, j) => j).sort((a, b) => (key[a]! - key[b]!) || (row[a]! - row[b]!));
    const offset = (widest - row.length) / 2;
    order.forEach((j, c) => { column[row[j]!] = offset + c; });
  }
  const boxes = list.map((it, i): LaidOutBox => ({
    kind: it.kind, title: it.title, sub: it.sub, tooltip: it.tooltip, category: it.category, layer: it.layer,
    x: PAD + column[i]! * (BOX_W + GAP_X), y: PAD + it.layer * (BOX_H + GAP_Y),
  }));
  const edges = list.flatMap((it, i) => it.preds.map((p) => [p, i] as const));
  return {
    boxes, edges,
    width: 2 * PAD + widest * BOX_W + (widest - 1) * GAP_X + LANE_GAP,
    height: 2 * PAD + rows.length * BOX_H + Math.max(0, rows.length - 1) * GAP_Y,
  };
}

export function graphSvg(layout: GraphLayout, id: string, label: string): string {
  const { boxes, edges, width, height } = layout;
  const out: string[] = [
    `<svg class="graph" id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}">`,
  ];
  edges.forEach(([from, to], i) => {
    const a = boxes[from]!, b = boxes[to]!;
    const x1 = a.x + BOX_W / 2, y1 = a.y + BOX_H, x2 = b.x + BOX_W / 2, y2 = b.y, bend = GAP_Y / 2;
    if (b.layer - a.layer <= 1) {
      out.push(`<path class="edge" d="M${px(x1)} ${px(y1)} C${px(x1)} ${px(y1 + bend)} ${px(x2)} ${px(y2 - bend)} ${px(x2)} ${px(y2)}"/>`);
      return;
    }
    // An edge that skips rows (a residual branch) runs in a lane right of both ends, not behind the boxes
    // it passes; neighbouring lanes are staggered so parallel skips stay apart.
    const lane = Math.max(a.x, b.x) + BOX_W + LANE_GAP / 2 + (i % 3) * 4;
    out.push(`<path class="edge skip" d="M${px(x1)} ${px(y1)} C${px(x1)} ${px(y1 + bend)} ${px(lane)} ${px(y1)} ${px(lane)} ${px(y1 + bend)}`
      + ` L${px(lane)} ${px(y2 - bend)} C${px(lane)} ${px(y2)} ${px(x2)} ${px(y2 - bend)} ${px(x2)} ${px(y2)}"/>`);
  });
  for (const b of boxes) {
    const rx = b.kind === 'node' ? 3 : 14;
    out.push(`<g class="node ${b.kind} c-${b.category}"><title>${esc(b.tooltip)}</title>`
      + `<rect x="${px(b.x)}" y="${px(b.y)}" width="${BOX_W}" height="${BOX_H}" rx="${rx}"/>`
      + `<text class="op" x="${px(b.x + BOX_W / 2)}" y="${px(b.y + 14)}" text-anchor="middle">${esc(b.title)}</text>`
      + `<text class="name" x="${px(b.x + BOX_W / 2)}" y="${px(b.y + 27)}" text-anchor="middle">${esc(clip(b.sub, NAME_CHARS))}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
