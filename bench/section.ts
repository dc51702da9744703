// One section of `npm run bench`: a named measurement that returns plain data (written to results.json and
// printed with --json) and a table for people. Later sections (compile time, runtime vs onnxruntime-node,
// tile-program quality) plug into bench/run.ts's list the same way.

export interface BenchContext {
  readonly repoRoot: string;
  readonly benchDir: string;
  /** Absolute path of `rel` under ../shared, or undefined (the section then skips that case and says so). */
  shared(rel: string): string | undefined;
  /** Progress lines (stderr). */
  log(line: string): void;
}

export interface BenchTable {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface SectionResult {
  readonly data: unknown;
  readonly table: BenchTable;
}

export interface BenchSection {
  /** Key in results.json. */
  readonly name: string;
  readonly title: string;
  run(ctx: BenchContext): SectionResult;
}
