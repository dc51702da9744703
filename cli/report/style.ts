// The report page's only styling, inlined into the file (the page loads nothing from anywhere).

export const REPORT_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg: #ffffff; --panel: #f6f7f9;
  --tile: #3867d6; --ideal: #9aa9c7; --dram: #20a39e; --sqnr: #8854d0; --explicit: #e1793a; --implicit: #20a39e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 16px 24px 40px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 22px; margin: 8px 0 4px; word-break: break-all; }
h2 { font-size: 17px; margin: 28px 0 6px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.lead, p.hint { color: var(--muted); margin: 2px 0 8px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-all; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { max-width: 320px; word-break: break-all; }
.scroll { max-height: 520px; overflow: auto; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); }
.scroll.tall { max-height: 720px; }
.missing { color: var(--muted); font-style: italic; }
ul.notes li, ul.islands li { margin: 2px 0; }
svg { display: block; }
svg text { font-size: 11px; fill: var(--fg); }
svg text.tick { fill: var(--muted); font-size: 10px; }
svg text.value { font-variant-numeric: tabular-nums; }
svg line.grid { stroke: var(--line); stroke-width: 1; }
rect.s-utilization, rect.s-modeled { fill: var(--tile); }
rect.s-ideal { fill: var(--ideal); }
rect.s-dram { fill: var(--dram); }
rect.s-sqnr { fill: var(--sqnr); }
rect.s-explicit { fill: var(--explicit); }
rect.s-implicit { fill: var(--implicit); }
svg.graph path.edge { fill: none; stroke: #8a93a6; stroke-width: 1.2; }
svg.graph g.node rect { fill: #eef1f6; stroke: #8a93a6; }
svg.graph g.c-gemm rect { fill: #dfe7fb; stroke: var(--tile); }
svg.graph g.c-lowering rect { fill: #fbe9dc; stroke: var(--explicit); }
svg.graph g.c-quant rect { fill: #efe6fa; stroke: var(--sqnr); }
svg.graph g.c-io rect { fill: #ffffff; stroke: var(--fg); }
svg.graph text.op { font-weight: 600; }
svg.graph text.name { fill: var(--muted); font-size: 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 6px 12px; min-width: 130px; }
.card b { display: block; font-size: 16px; font-variant-numeric: tabular-nums; }
.card span { color: var(--muted); font-size: 12px; }
footer.run-info { margin-top: 32px; padding-top: 8px; border-top: 1px dashed var(--line); color: var(--muted); font-size: 12px; }
`;
