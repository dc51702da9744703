import { idealCycles } from '../backend/cost.js';
import { type Target, normalizeTarget } from '../backend/target.js';
import { isFloat } from '../ir/dtype.js';
import { type Graph, valueType } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';
import { numel } from '../ir/tensor.js';

// NAME.report.json, the document `compile --json` prints (cli-contract.md: model, target, tile, layers[],
// totals{}, compile_ms). Until the tiling stage produces programs, the per-layer fields that only the tile
// program knows (tile_ops, dram_bytes, cycles, utilization) are null, and `notes` says so.

export interface LayerReport {
  readonly name: string;
  readonly op: string;
  /** The GEMM as the matrix unit runs it, C(m×n) = A(m×k)·B(k×n), A = the weights (docs/isa.md §7):
   * Conv: m = output channels (all groups), k = C/group·kh·kw, n = N·OH·OW; Gemm/MatMul: m = output
   * features, k = the reduction, n = rows of the activation. */
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly tile_ops: number | null;
  readonly macs: number;
  readonly dram_bytes: number | null;
  readonly cycles: number | null;
  readonly utilization: number | null;
}

export interface Totals {
  readonly tile_ops: number | null;
  readonly macs: number;
  readonly dram_bytes: number | null;
  readonly cycles: number | null;
  readonly ideal_cycles: number;
  readonly utilization: number | null;
}

export interface CalibrationReport {
  readonly spec: string;
  readonly method: string;
  readonly samples: number;
  readonly batch: number | null;
  readonly batches: number | null;
}

export interface CompileReport {
  readonly model: string;
  readonly name: string;
  readonly target: ReturnType<typeof normalizeTarget>;
  readonly tile: number;
  readonly bits: number;
  readonly per_channel: boolean;
  readonly unsigned_mapping: string;
  readonly calibration: CalibrationReport;
  readonly layers: readonly LayerReport[];
  /** Nodes computed in float between a Dequantize and a Quantize (no int8 form), by name and op. */
  readonly float_islands: readonly { readonly name: string; readonly op: string }[];
  readonly totals: Totals;
  readonly files: readonly string[];
  readonly compile_ms: number;
  readonly notes: readonly string[];
}

const dims = (g: Graph, v: string): readonly number[] => valueType(g, v).shape;

/** m, n, k of a matrix-unit node (float or realized), or undefined for any other node. */
export function gemmDims(g: Graph, node: Node): { m: number; n: number; k: number } | undefined {
  switch (node.op) {
    case 'Conv': case 'QConv': {
      const w = dims(g, node.inputs[1]!), y = dims(g, node.outputs[0]!);
      const m = w[0]!;
      return { m, n: numel(y) / m, k: numel(w.slice(1)) };
    }
    case 'Gemm': case 'QGemm': {
      const a = dims(g, node.inputs[0]!), y = dims(g, node.outputs[0]!);
      const transA = node.op === 'Gemm' && node.attrs.transA === 1;
      return { m: y[1]!, n: y[0]!, k: transA ? a[0]! : a[1]! };
    }
    case 'MatMul': {
      const a = dims(g, node.inputs[0]!), y = dims(g, node.outputs[0]!);
      const m = y[y.length - 1] ?? 1;
      return { m, n: numel(y) / m, k: a[a.length - 1] ?? 1 };
    }
    default: return undefined;
  }
}

/** Every matrix-unit layer of the graph, with what is known before tiling. */
export function layerReports(g: Graph): LayerReport[] {
  const layers: LayerReport[] = [];
  for (const node of g.nodes) {
    const d = gemmDims(g, node);
    if (d === undefined) continue;
    layers.push({ name: node.name, op: node.op, ...d, tile_ops: null, macs: d.m * d.n * d.k, dram_bytes: null, cycles: null, utilization: null });
  }
  return layers;
}

/** Nodes of a realized graph that compute in float: anything but Dequantize with a float output. */
export function floatIslands(g: Graph): { name: string; op: string }[] {
  return g.nodes
    .filter((n) => n.op !== 'Dequantize' && n.outputs.some((o) => o !== '' && isFloat(valueType(g, o).dtype)))
    .map((n) => ({ name: n.name, op: n.op }));
}

export const UNTILED_NOTE = 'the tiling stage is not implemented yet: tile_ops, dram_bytes, cycles and utilization are null, and no .tbin/.tasm is written';

export interface ReportInput {
  readonly model: string;
  readonly name: string;
  readonly target: Target;
  readonly bits: number;
  readonly perChannel: boolean;
  readonly unsignedMapping: string;
  readonly calibration: CalibrationReport;
  /** The realized graph. */
  readonly graph: Graph;
  readonly files: readonly string[];
  readonly compileMs: number;
  readonly notes: readonly string[];
}

export function buildReport(r: ReportInput): CompileReport {
  const layers = layerReports(r.graph);
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  return {
    model: r.model,
    name: r.name,
    target: normalizeTarget(r.target),
    tile: r.target.tile,
    bits: r.bits,
    per_channel: r.perChannel,
    unsigned_mapping: r.unsignedMapping,
    calibration: r.calibration,
    layers,
    float_islands: floatIslands(r.graph),
    totals: { tile_ops: null, macs, dram_bytes: null, cycles: null, ideal_cycles: idealCycles(macs, r.target.tile), utilization: null },
    files: r.files,
    compile_ms: r.compileMs,
    notes: r.notes,
  };
}
