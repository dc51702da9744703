import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../ir/parse.js';
import { printGraph } from '../../ir/print.js';
import { verifyGraph } from '../../ir/verify.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { evaluateFloat } from '../../runtime/float/index.js';

// Before/after .ir pairs: fixtures/<pass>.<case>.before.ir run through <pass> ('float-pipeline': all of
// FLOAT_PIPELINE) must print exactly like <pass>.<case>.after.ir. Comparing printed text keeps the
// failure readable: vitest shows a line diff of the two IRs.

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const PASSES = new Map([...FLOAT_PIPELINE.map((p) => [p.name, [p]] as const), ['float-pipeline', FLOAT_PIPELINE] as const]);
const read = (file: string) => parseGraph(readFileSync(path.join(DIR, file), 'utf8'), file);

describe('pass fixtures', () => {
  const befores = readdirSync(DIR).filter((f) => f.endsWith('.before.ir')).sort();
  it('exist for every pass of the float pipeline', () => {
    for (const p of FLOAT_PIPELINE) expect(befores.some((f) => f.startsWith(`${p.name}.`)), p.name).toBe(true);
  });
  for (const before of befores) {
    it(before.replace('.before.ir', ''), () => {
      const passes = PASSES.get(before.split('.')[0]!);
      expect(passes, `no pass named by ${before}`).toBeDefined();
      const input = read(before);
      verifyGraph(input);
      const { graph } = runPasses(input, passes!, { evaluate: evaluateFloat, options: {} });
      expect(printGraph(graph)).toBe(printGraph(read(before.replace('.before.ir', '.after.ir'))));
    });
  }
});
