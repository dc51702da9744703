import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEED_MODELS } from '../../fuzz/seeds.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

// Compiling the same model twice, in two separate processes, gives byte-identical outputs: .tbin, .tasm,
// report.json, report.html and the --json document on stdout. Separate processes, because in-process runs
// share module state, JIT warm-up and Map insertion histories that a second process does not. `compile_ms`
// (wall time; cli/README.md documents it as varying) is the one field that may differ: in report.json and
// --json it is masked, in report.html its one footer line ("Run-dependent: compile time N ms"); every other
// byte must match.

/** report.json fields that are measurements of the run, not of the model. */
const VARYING = ['compile_ms'];

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-determinism-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `node --import tsx cli/tilec.ts ARGS` in its own process; resolves with its exit code, stdout and stderr. */
function tilec(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'cli/tilec.ts', ...args], {
      cwd: REPO_ROOT, env: { ...process.env, TILEC_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

/** The text with every VARYING JSON field's value replaced by 0: key order and number formatting still compared. */
const maskJson = (text: string): string => text.replace(new RegExp(`"(${VARYING.join('|')})": [0-9.e+-]+`, 'g'), '"$1": 0');
/** report.html with the run-dependent footer's compile time replaced by 0. */
const maskHtml = (text: string): string => text.replace(/(<footer class="run-info">Run-dependent: compile time )[0-9,]+( ms)/, '$10$2');

/** Every file compile wrote, by name. */
function outputs(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(path.join(dir, f))]));
}

function withoutVarying(json: Buffer): unknown {
  const doc = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
  for (const k of VARYING) delete doc[k];
  return doc;
}

async function compileTwice(name: string, model: string, options: readonly string[]): Promise<void> {
  const dirs = [path.join(tmp, `${name}-a`), path.join(tmp, `${name}-b`)];
  // One after the other: two at once would only compete for the machine's cores.
  const stdout: string[] = [];
  for (const dir of dirs) {
    const r = await tilec(['compile', model, '-o', dir, '--report', '--json', ...options]);
    expect(r.code, r.err).toBe(0);
    stdout.push(r.out);
  }
  expect(withoutVarying(Buffer.from(stdout[1]!)), '--json').toEqual(withoutVarying(Buffer.from(stdout[0]!)));
  expect(maskJson(stdout[1]!), '--json').toBe(maskJson(stdout[0]!));
  const [a, b] = dirs.map(outputs) as [Map<string, Buffer>, Map<string, Buffer>];
  const stem = path.basename(model, '.onnx');
  expect([...a.keys()]).toEqual(expect.arrayContaining([`${stem}.tbin`, `${stem}.tasm`, `${stem}.report.json`, `${stem}.report.html`]));
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [file, bytes] of a) {
    if (file.endsWith('.report.json')) {
      expect(withoutVarying(b.get(file)!), file).toEqual(withoutVarying(bytes));
      // Beyond the varying fields, the very same text: key order and number formatting included.
      expect(maskJson(b.get(file)!.toString('utf8')), file).toBe(maskJson(bytes.toString('utf8')));
    } else if (file.endsWith('.report.html')) {
      const [x, y] = [bytes, b.get(file)!].map((t) => t.toString('utf8'));
      expect(maskHtml(x!), 'the footer is there to mask').not.toBe(x);
      expect(maskHtml(y!), file).toBe(maskHtml(x!));
    } else {
      expect(Buffer.compare(b.get(file)!, bytes), `${file} differs between two compiles`).toBe(0);
    }
  }
}

describe('compile is deterministic across processes', () => {
  it('a model with Pad, pools, Concat, a residual Add and Reshape (per-channel, entropy calibration, t=8)', async () => {
    const model = path.join(tmp, 'shapes.onnx');
    writeFileSync(model, SEED_MODELS.find((m) => m.name === 'shapes')!.bytes);
    await compileTwice('shapes', model, ['--calib', 'random:6:3', '--calib-method', 'entropy', '--per-channel', '--tile', '8']);
  });

  const mnist = sharedPath('models/mnist-8/model.onnx');
  it.skipIf(!mnist)('mnist-8 with the default options', async () => {
    await compileTwice('mnist', mnist!, ['--calib', 'random:4:7']);
  });
});
