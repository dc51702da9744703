// npm run bench [-- --json] [-- --only SECTION] [-- --quick]: performance measurements, never part of `npm test`.
// Writes bench/results.json (the document --json prints) and prints a table per section otherwise.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable } from '../cli/table.js';
import type { BenchContext, BenchSection, SectionResult } from './section.js';
import { calibrationMemory } from './sections/calibration-memory.js';
import { compileTime } from './sections/compile.js';
import { programQuality } from './sections/quality.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');
const sharedRoot = path.resolve(repoRoot, '../shared');

/**
 * Sections written alongside this harness, loaded when their file exists (a missing one is skipped with a
 * note). Each exports a BenchSection under the given name.
 */
const OPTIONAL: readonly { file: string; exportName: string; after: string }[] = [
  { file: 'tile-runtime.ts', exportName: 'tileRuntime', after: 'compile' },
  { file: 'reference-kernels.ts', exportName: 'referenceKernels', after: 'tile_runtime' },
];

async function loadSections(log: (line: string) => void): Promise<BenchSection[]> {
  const sections: BenchSection[] = [compileTime, programQuality, calibrationMemory];
  for (const o of OPTIONAL) {
    const file = path.join(benchDir, 'sections', o.file);
    if (!existsSync(file)) { log(`bench: no bench/sections/${o.file} yet; its section is left out`); continue; }
    try {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      // Accept the named export or any exported BenchSection, so a rename does not silently drop it.
      const found = (mod[o.exportName] ?? Object.values(mod).find(isSection)) as BenchSection | undefined;
      if (!found || !isSection(found)) { log(`bench: bench/sections/${o.file} exports no bench section; left out`); continue; }
      const at = sections.findIndex((s) => s.name === o.after);
      sections.splice(at < 0 ? sections.length : at + 1, 0, found);
    } catch (e) {
      log(`bench: bench/sections/${o.file} failed to load (${e instanceof Error ? e.message : String(e)}); left out`);
    }
  }
  return sections;
}

function isSection(v: unknown): v is BenchSection {
  return typeof v === 'object' && v !== null && typeof (v as BenchSection).name === 'string' && typeof (v as BenchSection).run === 'function';
}

/** The headline figures of the --json document; null when this run did not measure them. */
const HEADLINE = ['mnist8_runtime_ratio', 'resnet50_runtime_ratio', 'resnet50_compile_ms', 'resnet50_compile_peak_rss_mb',
  'resnet50_cycles_over_ideal', 'resnet50_dram_over_lower_bound'] as const;

function parseArgs(argv: readonly string[], names: readonly string[]): { json: boolean; quick: boolean; only?: string } {
  let json = false, quick = false, only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--quick') quick = true;
    else if (a === '--only' && argv[i + 1] !== undefined) only = argv[++i];
    else {
      process.stderr.write(`error: unknown bench argument '${a}' (use --json, --quick, --only SECTION)\n`);
      process.exit(2);
    }
  }
  if (only !== undefined && !names.includes(only)) {
    process.stderr.write(`error: no bench section '${only}' (sections: ${names.join(', ')})\n`);
    process.exit(2);
  }
  return { json, quick, only };
}

const log = (line: string): void => { process.stderr.write(`${line}\n`); };
const sections = await loadSections(log);
const { json, quick, only } = parseArgs(process.argv.slice(2), sections.map((s) => s.name));
const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'tilec-bench-'));
const ctx: BenchContext = {
  repoRoot, benchDir, tmpDir, quick, log,
  shared(rel) {
    const p = path.join(sharedRoot, rel);
    if (existsSync(p)) return p;
    log(`skipped: ../shared/${rel} is missing`);
    return undefined;
  },
};

const results: Record<string, unknown> = {};
const summary: Record<string, unknown> = Object.fromEntries(HEADLINE.map((k) => [k, null]));
const tables: string[] = [];
const started = performance.now();
try {
  for (const section of sections) {
    if (only !== undefined && section.name !== only) continue;
    if (quick && only === undefined && section.slow) { log(`bench: --quick leaves out '${section.name}'`); continue; }
    log(`bench: ${section.title}`);
    let r: SectionResult;
    try {
      r = await section.run(ctx);
    } catch (e) {
      // One broken section must not cost the others' figures.
      const message = e instanceof Error ? e.message : String(e);
      log(`bench: section '${section.name}' failed: ${message}`);
      results[section.name] = { error: message };
      continue;
    }
    results[section.name] = r.data;
    mergeSummary(summary, r.summary ?? pickHeadline(r.data));
    tables.push(`${section.title}\n\n${formatTable(r.table.headers, r.table.rows, new Set(r.table.headers.map((_, i) => i).slice(1)))}`);
  }
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}

/** Sections without a `summary` may still carry headline keys at the top of their data. */
function pickHeadline(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null) return {};
  const d = data as Record<string, unknown>;
  return Object.fromEntries(HEADLINE.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
}

function mergeSummary(into: Record<string, unknown>, from: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(from)) {
    const prev = into[k];
    if (isPlainObject(prev) && isPlainObject(v)) into[k] = { ...prev, ...v };
    else into[k] = v;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const doc = {
  ...summary,
  date: new Date().toISOString(),
  quick,
  ...(only !== undefined ? { only } : {}),
  seconds: Math.round((performance.now() - started) / 1000),
  machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30) },
  sections: results,
};
writeFileSync(path.join(benchDir, 'results.json'), `${JSON.stringify(doc, null, 2)}\n`);
if (json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
else process.stdout.write(`${tables.join('\n')}\nwrote bench/results.json\n`);
