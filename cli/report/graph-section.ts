import { esc, int } from './format.js';
import { MAX_DRAWN_NODES, describeValue, graphSvg, layoutGraph } from './graph-svg.js';
import type { GraphSummary } from './types.js';

// "Graph before and after lowering": op counts side by side (readable for any size), then each graph as a
// scrollable node-link drawing and, folded, its full node table.

function opCounts(g: GraphSummary): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of g.nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  return counts;
}

function countsTable(graphs: readonly [string, GraphSummary][]): string {
  const counts = graphs.map(([, g]) => opCounts(g));
  const ops = [...new Set(counts.flatMap((c) => [...c.keys()]))].sort();
  const head = `<tr><th>op</th>${graphs.map(([label]) => `<th class="num">${esc(label)}</th>`).join('')}</tr>`;
  const body = ops.map((op) => `<tr><td><code>${esc(op)}</code></td>${counts.map((c) => `<td class="num">${int(c.get(op) ?? 0)}</td>`).join('')}</tr>`);
  const total = `<tr><th>nodes</th>${graphs.map(([, g]) => `<th class="num">${int(g.nodes.length)}</th>`).join('')}</tr>`;
  return `<table class="op-counts">${head}${body.join('')}${total}</table>`;
}

function nodeTable(g: GraphSummary): string {
  const rows = g.nodes.map((n, i) => {
    const values = (vs: readonly string[]): string => vs.filter((v) => v !== '').map((v) => `<code>${esc(describeValue(g, v))}</code>`).join('<br>');
    return `<tr><td class="num">${i}</td><td class="name">${esc(n.name)}</td><td><code>${esc(n.op)}</code></td><td>${values(n.inputs)}</td><td>${values(n.outputs)}</td></tr>`;
  });
  return `<details><summary>all ${int(g.nodes.length)} nodes</summary><div class="scroll"><table class="nodes">`
    + `<tr><th class="num">#</th><th>node</th><th>op</th><th>inputs</th><th>outputs</th></tr>${rows.join('')}</table></div></details>`;
}

function oneGraph(label: string, g: GraphSummary, id: string): string {
  const drawing = g.nodes.length > MAX_DRAWN_NODES
    ? `<p class="missing">${int(g.nodes.length)} nodes: too many to draw readably; see the op counts above and the node table.</p>`
    : `<div class="scroll tall">${graphSvg(layoutGraph(g), id, `graph ${label}`)}</div>`;
  return `<h3>${esc(label)}: ${int(g.nodes.length)} nodes</h3>\n${drawing}\n${nodeTable(g)}`;
}

/** The section, or '' when no graph was given. */
export function graphSection(before: GraphSummary | undefined, after: GraphSummary | undefined): string {
  const graphs: [string, GraphSummary, string][] = [];
  if (before) graphs.push([before.label ?? 'before lowering', before, 'graph-before']);
  if (after) graphs.push([after.label ?? 'after lowering', after, 'graph-after']);
  if (graphs.length === 0) return '';
  return `<section id="graphs"><h2>Graphs: ${graphs.map(([label]) => esc(label)).join(', ')}</h2>
<p class="hint">Boxes: blue = matrix-unit layers, orange = im2col / lift, purple = (re)quantization, grey = other ops. Hover a box for its values and shapes.</p>
${countsTable(graphs.map(([label, g]) => [label, g]))}
${graphs.map(([label, g, id]) => oneGraph(label, g, id)).join('\n')}
</section>`;
}
