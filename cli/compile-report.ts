import type { EmitResult, EmitTotals, LayerReport } from '../backend/emit/index.js';
import { type Target, normalizeTarget } from '../backend/target.js';
import { isFloat } from '../ir/dtype.js';
import { type Graph, valueType } from '../ir/graph.js';

// NAME.report.json, the document `compile --json` prints (cli-contract.md: model, target, tile, layers[],
// totals{}, compile_ms). The per-layer rows and totals are the emitter's (backend/emit/report.ts: one row per
// step that emits instructions, GEMMs on the matrix unit and HOST steps, under the cost model); this file
// only adds what the compile session knows around them.

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
  readonly im2col: string;
  readonly calibration: CalibrationReport;
  readonly layers: readonly LayerReport[];
  /** Nodes of the realized graph computed in float between a Dequantize and a Quantize (no int8 form). */
  readonly float_islands: readonly { readonly name: string; readonly op: string }[];
  readonly totals: EmitTotals;
  readonly files: readonly string[];
  readonly compile_ms: number;
  readonly notes: readonly string[];
}

/** Nodes of a realized graph that compute in float: anything but Dequantize with a float output. */
export function floatIslands(g: Graph): { name: string; op: string }[] {
  return g.nodes
    .filter((n) => n.op !== 'Dequantize' && n.outputs.some((o) => o !== '' && isFloat(valueType(g, o).dtype)))
    .map((n) => ({ name: n.name, op: n.op }));
}

export interface ReportInput {
  readonly model: string;
  readonly name: string;
  readonly target: Target;
  readonly bits: number;
  readonly perChannel: boolean;
  readonly unsignedMapping: string;
  readonly im2col: string;
  readonly calibration: CalibrationReport;
  /** The realized graph (before lowering). */
  readonly quantized: Graph;
  readonly emitted: EmitResult;
  readonly files: readonly string[];
  readonly compileMs: number;
  readonly notes: readonly string[];
}

export function buildReport(r: ReportInput): CompileReport {
  return {
    model: r.model,
    name: r.name,
    target: normalizeTarget(r.target),
    tile: r.target.tile,
    bits: r.bits,
    per_channel: r.perChannel,
    unsigned_mapping: r.unsignedMapping,
    im2col: r.im2col,
    calibration: r.calibration,
    layers: r.emitted.report,
    float_islands: floatIslands(r.quantized),
    totals: r.emitted.totals,
    files: r.files,
    compile_ms: r.compileMs,
    notes: [...r.emitted.notes, ...r.notes],
  };
}
