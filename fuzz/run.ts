import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { type CaseOptions, DEFAULT_CASE_OPTIONS, makeCase } from './case.js';
import { runCase } from './pipeline.js';
import { DEFAULT_TIMEOUT_MS, FUZZ_LIMITS, type FuzzSummary, clean, runFuzz } from './runner.js';

// `npm run fuzz -- --cases N --seed S [--json]`: mutates the seed models and runs each case through the
// whole compiler and the tile machine (fuzz/README.md). Exit 0 when nothing crashed, hung or mismatched,
// 1 otherwise, 2 on a bad option.
//   --only C       runs case C of the seed in this thread and prints the outcome with its stack;
//   --replay FILE  runs a saved reproducer (with the options in its .txt, when present).

const count = (text: string): number => {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v)) throw new InvalidArgumentError('expected a non-negative integer.');
  return v;
};

interface Opts { cases: number; seed: number; from: number; timeout: number; json?: boolean; reproDir?: string; only?: number; replay?: string }

function summaryLine(s: FuzzSummary): string {
  return `cases ${s.cases}, typed_errors ${s.typed_errors}, successes ${s.successes}, crashes ${s.crashes}, hangs ${s.hangs}, mismatches ${s.mismatches}`;
}

/** Runs one case here (no worker, no time bound) and prints everything known about it. */
function runInline(bytes: Uint8Array, options: CaseOptions, title: string): number {
  const workDir = mkdtempSync(path.join(tmpdir(), 'tilec-fuzz-'));
  let r;
  try {
    r = runCase(bytes, options, FUZZ_LIMITS, workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write(`${title}\noptions: ${JSON.stringify(options)}\noutcome: ${r.kind}${r.stage ? ` (stage ${r.stage})` : ''}\n`);
  if (r.message) process.stdout.write(`message: ${r.message}\n`);
  if (r.stack && r.kind !== 'typed') process.stdout.write(`${r.stack}\n`);
  return r.kind === 'success' || r.kind === 'typed' ? 0 : 1;
}

function replay(file: string): number {
  const note = file.replace(/\.onnx$/, '.txt');
  const line = existsSync(note) ? readFileSync(note, 'utf8').split('\n').find((l) => l.startsWith('options: ')) : undefined;
  const options = line ? { ...DEFAULT_CASE_OPTIONS, ...(JSON.parse(line.slice('options: '.length)) as Partial<CaseOptions>) } : DEFAULT_CASE_OPTIONS;
  return runInline(readFileSync(file), options, `replay ${file}`);
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('fuzz')
    .description('Mutates valid models and runs each through import, compile and the tile machine; reports crashes and hangs.')
    .option('--cases <N>', 'number of cases', count, 1000)
    .option('--seed <S>', 'run seed (cases depend only on it and their index)', count, 1)
    .option('--from <C>', 'start at case C (resumes a run cut short: cases C..N-1 of the same seed)', count, 0)
    .option('--timeout <MS>', 'per-case time bound in ms; past it the case is a hang', count, DEFAULT_TIMEOUT_MS)
    .option('--repro-dir <DIR>', 'where reproducers of failures are written (default fuzz/repro)')
    .option('--only <C>', 'run only case C, in this thread, and print its outcome and stack', count)
    .option('--replay <FILE>', 'run a saved reproducer .onnx in this thread')
    .option('--json', 'print the summary as one JSON document')
    .exitOverride();
  let o: Opts;
  try {
    o = program.parse(argv, { from: 'user' }).opts<Opts>();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return 2;
    }
    throw e;
  }
  if (o.replay !== undefined) return replay(o.replay);
  if (o.only !== undefined) {
    const c = makeCase(o.seed, o.only);
    return runInline(c.bytes, c.options, `seed ${o.seed} case ${o.only}: ${c.base}, ${c.steps.length > 0 ? c.steps.join('; ') : 'unmutated'}`);
  }
  const progressEvery = Math.max(100, Math.ceil(o.cases / 20));
  const s = await runFuzz({
    cases: o.cases, seed: o.seed, from: o.from, timeoutMs: o.timeout, ...(o.reproDir ? { reproDir: o.reproDir } : {}),
    onCase: (i, r) => {
      if (r.kind === 'crash' || r.kind === 'hang' || r.kind === 'mismatch') process.stderr.write(`case ${i}: ${r.kind}: ${r.message ?? ''}\n`);
      if ((i + 1) % progressEvery === 0) process.stderr.write(`${i + 1}/${o.cases} cases\n`); // case indices: resumable with --from
    },
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
  } else {
    const lines = [`fuzz seed ${s.seed}: ${summaryLine(s)} (${(s.elapsed_ms / 1000).toFixed(1)} s)`];
    lines.push(`typed errors by stage: ${Object.entries(s.typed_by_stage).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    for (const g of s.distinct_failures) {
      const f = g.first;
      lines.push(`${g.count} x ${f.kind}${f.stage ? ` (${f.stage})` : ''}: ${f.message}`, `    first: case ${f.case}${f.repro ? `, ${f.repro}` : ''}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return clean(s) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
