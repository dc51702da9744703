// npm run bench [-- --json] [-- --only SECTION]: performance measurements, never part of `npm test`.
// Writes bench/results.json (the document --json prints) and a table per section otherwise.
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../cli/table.js';
import type { BenchContext, BenchSection } from './section.js';
import { calibrationMemory } from './sections/calibration-memory.js';

/** In run order. Add a section here and nowhere else. */
const SECTIONS: readonly BenchSection[] = [calibrationMemory];

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');
const sharedRoot = path.resolve(repoRoot, '../shared');

function parseArgs(argv: readonly string[]): { json: boolean; only?: string } {
  let json = false, only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--only' && argv[i + 1] !== undefined) only = argv[++i];
    else {
      process.stderr.write(`error: unknown bench argument '${a}' (use --json, --only SECTION)\n`);
      process.exit(2);
    }
  }
  if (only !== undefined && !SECTIONS.some((s) => s.name === only)) {
    process.stderr.write(`error: no bench section '${only}' (sections: ${SECTIONS.map((s) => s.name).join(', ')})\n`);
    process.exit(2);
  }
  return { json, only };
}

const { json, only } = parseArgs(process.argv.slice(2));
const ctx: BenchContext = {
  repoRoot,
  benchDir,
  shared(rel) {
    const p = path.join(sharedRoot, rel);
    if (existsSync(p)) return p;
    process.stderr.write(`skipped: ../shared/${rel} is missing\n`);
    return undefined;
  },
  log: (line) => process.stderr.write(`${line}\n`),
};

const results: Record<string, unknown> = {};
const tables: string[] = [];
for (const section of SECTIONS) {
  if (only !== undefined && section.name !== only) continue;
  ctx.log(`bench: ${section.title}`);
  const r = section.run(ctx);
  results[section.name] = r.data;
  tables.push(`${section.title}\n\n${formatTable(r.table.headers, r.table.rows, new Set(r.table.headers.map((_, i) => i).slice(1)))}`);
}

const doc = {
  date: new Date().toISOString(),
  machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30) },
  sections: results,
};
writeFileSync(path.join(benchDir, 'results.json'), `${JSON.stringify(doc, null, 2)}\n`);
if (json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
else process.stdout.write(`${tables.join('\n')}\nwrote bench/results.json\n`);
