// What the HTML report reads. These are structural subsets of what the stages already produce, so callers
// pass their own objects unchanged: a `CompileReport` (cli/compile-report.ts) or the emission report
// (backend/emit/report.ts) is a `ReportData`, verify's `layers` are `SqnrEntry[]`, and an IR `Graph` is a
// `GraphSummary`. Nothing here is computed by the report; it only formats.

export interface ReportLayer {
  readonly name: string;
  readonly op: string;
  /** 'host' steps (backend/emit/report.ts) have no GEMM: no utilization bar, ideal cycles 0. */
  readonly kind?: 'tile' | 'host';
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** null until the tiling stage has produced the program. */
  readonly tile_ops: number | null;
  readonly macs: number;
  readonly dram_bytes: number | null;
  readonly cycles: number | null;
  readonly utilization: number | null;
  readonly schedule?: string;
  readonly note?: string;
  /** What limits the step under the cost model (backend/emit/report.ts); absent before tiling. */
  readonly bound?: 'compute' | 'dma' | 'host';
}

export interface ReportTotals {
  readonly tile_ops: number | null;
  readonly macs: number;
  readonly dram_bytes: number | null;
  readonly cycles: number | null;
  readonly ideal_cycles: number;
  readonly utilization: number | null;
}

export interface ReportData {
  /** The model file as given on the command line. */
  readonly model: string;
  /** The model's name (NAME of NAME.report.html); defaults to `model`. */
  readonly name?: string;
  readonly target: { readonly name: string };
  readonly tile: number;
  readonly bits?: number;
  readonly per_channel?: boolean;
  readonly calibration?: { readonly spec: string; readonly method: string; readonly samples: number };
  readonly layers: readonly ReportLayer[];
  readonly totals: ReportTotals;
  readonly float_islands?: readonly { readonly name: string; readonly op: string }[];
  readonly notes?: readonly string[];
  /** Varies run to run: shown apart from the deterministic part of the page. */
  readonly compile_ms?: number;
}

/** Per-value SQNR as `verify --json` prints it: null when not finite, `exact` when that was +∞. */
export interface SqnrEntry {
  readonly name: string;
  readonly sqnr_db: number | null;
  readonly exact?: boolean;
}

/** A graph as the report draws it; an IR `Graph` fits as is (values give the shapes in the node table). */
export interface GraphSummary {
  /** Section title, e.g. 'after lowering'; the caller's slot name is used when absent. */
  readonly label?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly { readonly name: string; readonly op: string; readonly inputs: readonly string[]; readonly outputs: readonly string[] }[];
  readonly values?: ReadonlyMap<string, { readonly dtype: string; readonly shape: readonly number[] }>;
}

/** DRAM bytes of the convolutions with explicit im2col (matrix materialised) and implicit (gathering loads). */
export interface Im2colTraffic {
  readonly explicit: number;
  readonly implicit: number;
  /** Per conv layer, when known. */
  readonly layers?: readonly { readonly name: string; readonly explicit: number; readonly implicit: number }[];
}

export interface ReportExtras {
  /** From verify; the SQNR chart is drawn only when given. */
  readonly sqnr?: readonly SqnrEntry[];
  /** Overrides the report's own `float_islands` (names only). */
  readonly floatIslands?: readonly string[];
  readonly graphBefore?: GraphSummary;
  readonly graphAfter?: GraphSummary;
  readonly im2colTraffic?: Im2colTraffic;
}
