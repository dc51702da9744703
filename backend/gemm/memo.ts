import type { Target } from '../target.js';
import { DRAM_PAGE_BYTES, type CostCounters } from '../cost.js';
import { REQUANT_ENTRY_BYTES } from '../isa.js';
import { numel } from '../../ir/tensor.js';
import type { GemmSpec } from './spec.js';
import type { Schedule } from './schedule.js';

// Remembering a schedule's timing across GEMMs that differ only in where their operands live. The cost
// model (backend/cost.ts) sees an address only through the DRAM pages (DRAM_PAGE_BYTES) an access touches,
// and a page's state only through the earlier accesses to that page; every access of a GEMM lies inside
// one operand's byte range (A, B or the gathered x, C, bias, requant table, scratch). Group the operands
// whose page ranges overlap (transitively) into clusters: no page is shared by two clusters. Moving a whole
// cluster by a multiple of DRAM_PAGE_BYTES renames its pages one to one and changes nothing else, so the
// same schedule gives the same counters. Moreover a GEMM timed alone writes only C and scratch, so its
// timings track hazards only on their pages (writtenPages; exact, see CostModel.trackOnly): an operand
// sharing none of those pages is never tracked, and its cluster may lie anywhere. A timing is therefore keyed
// by the geometry and, per cluster holding C or scratch, its members, their byte offsets from the cluster's
// lowest address, and that address modulo DRAM_PAGE_BYTES.
// docs/isa.md, "GEMM tiling" (how the search is made fast).

type Range = readonly [first: number, last: number];

/** First and last byte of a row-major window of `rows` rows of `rowBytes`, `stride` apart. */
const rowsRange = (addr: number, stride: number, rows: number, rowBytes: number): Range => [addr, addr + (rows - 1) * stride + rowBytes - 1];

/** Every byte range the cost model may touch when timing `spec`, by operand, named. */
export function operandRanges(spec: GemmSpec): { name: string; range: Range }[] {
  const out = [{ name: 'A', range: rowsRange(spec.a.addr, spec.a.stride, spec.m, spec.k) }];
  if (spec.gather) {
    const f = spec.gather.footprints;
    out.push({ name: 'x', range: [f.x, f.x + numel(f.geo.xShape) - 1] });
  } else {
    out.push({ name: 'B', range: rowsRange(spec.b.addr, spec.b.stride, spec.k, spec.n) });
  }
  out.push({ name: 'C', range: rowsRange(spec.c.addr, spec.c.stride, spec.m, spec.requant ? spec.n : 4 * spec.n) });
  if (spec.bias !== undefined) out.push({ name: 'bias', range: [spec.bias, spec.bias + 4 * spec.m - 1] });
  if (spec.requant) out.push({ name: 'table', range: [spec.requant.table, spec.requant.table + (spec.requant.perRow ? spec.m : 1) * REQUANT_ENTRY_BYTES - 1] });
  if (spec.scratch) out.push({ name: 'scratch', range: [spec.scratch.addr, spec.scratch.addr + spec.scratch.bytes - 1] });
  return out;
}

interface Cluster {
  /** Lowest address of any member. */
  readonly base: number;
  readonly members: readonly { readonly name: string; readonly range: Range }[];
}

/** The operands grouped into clusters of (transitively) overlapping page ranges, in address order. */
function clusters(spec: GemmSpec): Cluster[] {
  const ops = operandRanges(spec).map((o) => ({ ...o, p0: Math.floor(o.range[0] / DRAM_PAGE_BYTES), p1: Math.floor(o.range[1] / DRAM_PAGE_BYTES) }))
    .sort((x, y) => x.range[0] - y.range[0] || x.name.localeCompare(y.name));
  const out: Cluster[] = [];
  for (let i = 0; i < ops.length;) {
    let p1 = ops[i]!.p1, j = i + 1;
    while (j < ops.length && ops[j]!.p0 <= p1) p1 = Math.max(p1, ops[j++]!.p1);
    out.push({ base: ops[i]!.range[0], members: ops.slice(i, j) });
    i = j;
  }
  return out;
}

/**
 * Each page cluster holding C or scratch as "lowest address mod DRAM_PAGE_BYTES:member@offset from that
 * address,...". Other clusters are left out: they share no page with what the GEMM writes, so the cost model
 * does not track them (writtenPages) and where they lie changes nothing. Equal lists mean equal placements
 * up to whole-page moves of each tracked cluster.
 */
export function pageClusters(spec: GemmSpec): string[] {
  return clusters(spec).filter(holdsWritten)
    .map((c) => `${c.base % DRAM_PAGE_BYTES}:${c.members.map((o) => `${o.name}@${o.range[0] - c.base}`).join(',')}`);
}

const holdsWritten = (c: Cluster): boolean => c.members.some((o) => o.name === 'C' || o.name === 'scratch');

/**
 * The whole pages (first and last byte) of C and of scratch: a GEMM timed alone stores nowhere else, so
 * accesses touching neither need no hazard tracking (CostModel.trackOnly).
 */
export function writtenPages(spec: GemmSpec): Range[] {
  const pages = ([first, last]: Range): Range => [Math.floor(first / DRAM_PAGE_BYTES) * DRAM_PAGE_BYTES, (Math.floor(last / DRAM_PAGE_BYTES) + 1) * DRAM_PAGE_BYTES - 1];
  return operandRanges(spec).filter((o) => o.name === 'C' || o.name === 'scratch').map((o) => pages(o.range));
}

const scheduleKey = (s: Schedule): string => `${s.dataflow}/${s.partials ?? '-'}/${s.ti}/${s.tj}/${s.tk}/${s.spadBuffers}/${s.accBuffers}/${s.reuse}`;

/**
 * What a timing of `spec` depends on besides the schedule and the target: the shapes, strides, requant
 * layout and gather geometry, and the operands' placement up to whole-page moves of each page cluster.
 */
export function timingKey(spec: GemmSpec): string {
  return JSON.stringify([
    spec.m, spec.n, spec.k, spec.a.stride, spec.gather ? spec.gather.footprints.key : spec.b.stride, spec.c.stride,
    spec.bias !== undefined, spec.requant?.perRow ?? null, spec.scratch?.bytes ?? null, pageClusters(spec),
  ]);
}

const copy = (c: CostCounters): CostCounters => ({ ...c, busy: { ...c.busy } });

/** Full timings of schedules for one target, shared by the GEMMs of one program. */
export class TimingMemo {
  private readonly timings = new Map<string, CostCounters>();
  /** Timings answered from memory (for tests and reports on the memo itself). */
  hits = 0;

  constructor(readonly target: Target) {}

  /** `time()`'s counters for `schedule` on `spec`, remembered. */
  counters(spec: GemmSpec, schedule: Schedule, time: () => CostCounters): CostCounters {
    const key = timingKey(spec);
    const full = `${scheduleKey(schedule)}|${key}`;
    const known = this.timings.get(full);
    if (known !== undefined) { this.hits++; return copy(known); }
    const c = time();
    this.timings.set(full, copy(c));
    return c;
  }
}
