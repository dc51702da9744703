import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as arith from '../../ir/arith.js';
import { REPO_ROOT } from '../helpers/shared.js';

// docs/arithmetic.md is the written definition; its "Checked examples" block is evaluated here, so the
// numbers the document quotes are the numbers the code computes.

const doc = readFileSync(path.join(REPO_ROOT, 'docs/arithmetic.md'), 'utf8');
const block = /```arith-examples\n([\s\S]*?)```/.exec(doc)?.[1];

const examples = (block ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
  const m = /^(\w+)\((.*)\) = (.*)$/.exec(line);
  if (!m) throw new Error(`docs/arithmetic.md: unparsable example line: ${line}`);
  return { line, fn: m[1]!, args: JSON.parse(`[${m[2]}]`) as unknown[], expected: JSON.parse(m[3]!) as unknown };
});

describe('docs/arithmetic.md checked examples', () => {
  it('has an arith-examples block with the examples the prose quotes', () => {
    expect(block).toBeDefined();
    expect(examples.length).toBeGreaterThan(40);
  });

  it.each(examples)('$line', ({ fn, args, expected }) => {
    const f = (arith as Record<string, unknown>)[fn];
    expect(typeof f, `ir/arith.ts exports no function ${fn}`).toBe('function');
    const got = (f as (...a: unknown[]) => unknown)(...args);
    expect(got).toEqual(expected);
  });

  it('the prose quotes the same values (spot checks of the worked examples)', () => {
    for (const s of ['{ multiplier: 1982292598, shift: −8 }', '`RDBPOT(−18501, 8) = −72`', '`lo = −2671 − 1536 − 889 − 12800 − 16256 = −34152`',
      '**273**', 'giving **−127**', '**−10**', '`[0, 118]`']) {
      expect(doc).toContain(s);
    }
  });
});
