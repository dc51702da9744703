import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

// An interrupted compile leaves no partial output: compile writes every file under a hidden temporary name and
// renames them only when all are written (cli/program-file.ts writeFilesAtomically). The compile is killed
// (SIGKILL: no handler can tidy up) the moment its first temporary appears; what is left must be, for every
// visible file, either nothing or the complete file of an uninterrupted compile. mnist-8 at t=2 writes ~12 MB,
// so the kill lands while the temporaries are being written.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-atomic-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spawnCompile = (model: string, out: string): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', 'cli/tilec.ts', 'compile', model, '-o', out, '--tile', '2', '--calib', 'random:2:0'], {
    cwd: REPO_ROOT, env: { ...process.env, TILEC_DEBUG: '' }, stdio: 'ignore',
  });

const exited = (p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve({ code: p.exitCode, signal: p.signalCode });
    else p.on('exit', (code, signal) => resolve({ code, signal }));
  });

const visible = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')).sort() : []);

const mnist = sharedPath('models/mnist-8/model.onnx');
describe.skipIf(!mnist)('an interrupted compile', () => {
  it('leaves no partial .tbin, .tasm or report', async () => {
    const ref = path.join(tmp, 'ref');
    const done = await exited(spawnCompile(mnist!, ref));
    expect(done.code).toBe(0);
    expect(visible(ref)).toEqual(['model.report.json', 'model.tasm', 'model.tbin']);

    const out = path.join(tmp, 'killed');
    const child = spawnCompile(mnist!, out);
    const end = exited(child);
    let sawTemporary = false;
    for (;;) {
      if (existsSync(out) && readdirSync(out).some((f) => f.endsWith('.tmp'))) {
        sawTemporary = true;
        child.kill('SIGKILL');
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    const { signal } = await end;
    // Each visible output is complete (renames are atomic): byte-identical to the uninterrupted compile's.
    for (const f of visible(out)) {
      expect(Buffer.compare(readFileSync(path.join(out, f)), readFileSync(path.join(ref, f))), `${f} is partial`).toBe(0);
    }
    // What SIGKILL can leave besides whole files: hidden temporaries, never under an output's own name.
    for (const f of readdirSync(out).filter((n) => n.startsWith('.'))) expect(f).toMatch(/^\.model\.(tbin|tasm|report\.json)\.\d+\.tmp$/);
    // Either it was killed while writing (the usual case: then normally nothing is visible yet), or it finished whole.
    if (signal !== 'SIGKILL') expect(visible(out)).toEqual(['model.report.json', 'model.tasm', 'model.tbin']);
    else expect(sawTemporary).toBe(true);
  }, 90_000);
});
