// One section of `npm run bench`: a named measurement that returns plain data (written to results.json and
// printed with --json) and a table for people. Sections are listed in bench/run.ts.

export interface BenchContext {
  readonly repoRoot: string;
  readonly benchDir: string;
  /** A scratch directory for this bench run (compile outputs, calibration tables); removed at the end. */
  readonly tmpDir: string;
  /** --quick: the fewest cases that still give every headline figure (mnist-8 and ResNet-50). */
  readonly quick: boolean;
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
  /**
   * Headline figures for the top level of the --json document (e.g. `resnet50_compile_ms`); null when a
   * figure could not be measured in this run.
   */
  readonly summary?: Readonly<Record<string, unknown>>;
}

export interface BenchSection {
  /** Key in results.json. */
  readonly name: string;
  readonly title: string;
  /** Left out by --quick (unless named by --only). */
  readonly slow?: boolean;
  run(ctx: BenchContext): SectionResult | Promise<SectionResult>;
}
