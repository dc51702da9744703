import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

// The real process: shebang entry, exit codes, stdout/stderr separation, no stack traces.
// Few spawns on purpose (each starts node + tsx); everything else is tested in-process.

function tilec(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/tilec.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, TILEC_DEBUG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-spawn-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tilec as a process', () => {
  it('prints the version and exits 0', () => {
    const r = tilec('--version');
    expect(r).toEqual({ code: 0, out: `${(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`, err: '' });
  });

  it('rejects an unknown command with exit 2 and one error line', () => {
    const r = tilec('frobnicate');
    expect(r).toEqual({ code: 2, out: '', err: "error: unknown command 'frobnicate'\n" });
  });

  it('reports a bad model with exit 2, one line, no stack trace', () => {
    const file = path.join(tmp, 'garbage.onnx');
    writeFileSync(file, 'this is not a protobuf, it is a sentence.');
    const r = tilec('inspect', file);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toHaveLength(2); // one line + the final newline
    expect(r.err).toMatch(/^error: .*garbage\.onnx/);
  });

  const mnist = sharedPath('models/mnist-8');
  it.skipIf(!mnist)('check --json prints exactly one JSON document and exits 0', () => {
    const r = tilec('check', mnist!, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ total: 1, passed: 1, failed: 0, unsupported: 0, tests: [{ name: 'mnist-8', status: 'passed', reason: null }] });
  });
});
