import { clip, esc, px } from './format.js';

// A horizontal bar chart as inline SVG: one row per layer (so 200+ layers stay readable in a scrolling
// box), one bar per series in each row, a value text at the end of the row. Static markup styled by the
// page's CSS: it needs no script to be seen.

export interface BarSeries {
  /** CSS class suffix of the bars (`bar s-KEY`) and legend entry. */
  readonly key: string;
  readonly label: string;
}

export interface BarRow {
  readonly label: string;
  /** Hover text (full name, exact values). */
  readonly tooltip: string;
  /** One per series; null draws no bar (the value is unknown or does not apply). */
  readonly values: readonly (number | null)[];
  readonly text: string;
}

export interface BarChart {
  readonly id: string;
  readonly title: string;
  readonly series: readonly BarSeries[];
  readonly rows: readonly BarRow[];
  /** The value at the full bar length; default the largest value (at least 1). */
  readonly max?: number;
  readonly tick: (v: number) => string;
}

const WIDTH = 780, LABEL_RIGHT = 214, BAR_X = 222, BAR_W = 400, TEXT_X = BAR_X + BAR_W + 8;
const BAR_H = 10, BAR_GAP = 2, ROW_PAD = 8, TOP = 34, LABEL_CHARS = 30;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

/** Axis maxima whose quarters (the ticks) are round: 1 -> .25 .5 .75, 1.2 -> .3 .6 .9, 4 -> 1 2 3, ... */
const NICE = [1, 1.2, 1.6, 2, 4, 6, 8, 10];

/** The smallest NICE × 10^k at or above v (v > 0). */
export function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of NICE) if (m * p >= v * (1 - 1e-12)) return Number((m * p).toPrecision(12));
  return 10 * p;
}

export function barChartSvg(c: BarChart): string {
  const rowH = c.series.length * (BAR_H + BAR_GAP) - BAR_GAP + ROW_PAD;
  const height = TOP + c.rows.length * rowH + 6;
  const max = c.max ?? niceCeil(Math.max(1, ...c.rows.flatMap((r) => r.values.filter((v): v is number => v !== null))));
  const out: string[] = [
    `<svg class="chart" id="${esc(c.id)}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(c.title)}" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
  ];
  // Legend (multi-series only) and the value axis.
  if (c.series.length > 1) {
    c.series.forEach((s, i) => {
      const x = BAR_X + i * 150;
      out.push(`<rect class="legend s-${esc(s.key)}" x="${x}" y="2" width="12" height="10"/><text class="tick" x="${x + 16}" y="11">${esc(s.label)}</text>`);
    });
  }
  for (const t of TICKS) {
    const x = px(BAR_X + t * BAR_W);
    out.push(`<line class="grid" x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${height - 4}"/>`,
      `<text class="tick" x="${x}" y="${TOP - 10}" text-anchor="middle">${esc(c.tick(t * max))}</text>`);
  }
  c.rows.forEach((r, i) => {
    const y = TOP + i * rowH;
    out.push(`<g class="row"><title>${esc(r.tooltip)}</title>`,
      `<text class="label" x="${LABEL_RIGHT}" y="${px(y + (rowH - ROW_PAD) / 2 + 4)}" text-anchor="end">${esc(clip(r.label, LABEL_CHARS))}</text>`);
    r.values.forEach((v, s) => {
      if (v === null) return;
      const w = v <= 0 ? 0 : Math.max(1, Math.min(1, v / max) * BAR_W);
      out.push(`<rect class="bar s-${esc(c.series[s]!.key)}" x="${BAR_X}" y="${y + s * (BAR_H + BAR_GAP)}" width="${px(w)}" height="${BAR_H}"/>`);
    });
    out.push(`<text class="value" x="${TEXT_X}" y="${px(y + (rowH - ROW_PAD) / 2 + 4)}">${esc(r.text)}</text></g>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
