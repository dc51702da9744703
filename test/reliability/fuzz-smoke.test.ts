import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CASE_OPTIONS, makeCase } from '../../fuzz/case.js';
import { runCase } from '../../fuzz/pipeline.js';
import { FUZZ_LIMITS, runFuzz, signature } from '../../fuzz/runner.js';
import { SEED_MODELS } from '../../fuzz/seeds.js';

// A CI-sized fuzz run: 200 mutated models through import, compile, the .tbin/.tasm round trips and the tile
// machine, in the fuzzer's own worker thread with its time bound. Any crash, hang or tile/integer mismatch
// fails the test, and its reproducer is in fuzz/repro/ (`npm run fuzz -- --replay fuzz/repro/S-C.onnx`).

const SEED = 20240611;

const workDir = mkdtempSync(path.join(tmpdir(), 'tilec-fuzz-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('fuzzing', () => {
  it('cases depend only on (seed, index)', () => {
    const a = makeCase(SEED, 17), b = makeCase(SEED, 17), c = makeCase(SEED, 18);
    expect(a.bytes).toEqual(b.bytes);
    expect(a.options).toEqual(b.options);
    expect(a.steps).toEqual(b.steps);
    expect(c.bytes).not.toEqual(a.bytes);
  });

  it('every seed model compiles and runs bit-exact on the tile machine unmutated', () => {
    for (const m of SEED_MODELS) {
      const r = runCase(m.bytes, { ...DEFAULT_CASE_OPTIONS, tile: 4, emitOnnx: true, sampleSeed: 1 }, FUZZ_LIMITS, workDir);
      expect(r.kind, `${m.name}: ${r.stage} ${r.message}`).toBe('success');
    }
  });

  it('200 cases: no crash, hang or mismatch', async () => {
    const s = await runFuzz({ cases: 200, seed: SEED });
    const failures = s.distinct_failures.map((g) => `${g.count} x ${signature(g.first)} (first: case ${g.first.case}, ${g.first.repro ?? 'no repro'})`);
    expect(failures).toEqual([]);
    expect(s.crashes + s.hangs + s.mismatches).toBe(0);
    expect(s.typed_errors + s.successes).toBe(200);
    // The run only means something if cases get past the importer and all the way through.
    expect(s.successes).toBeGreaterThan(20);
    expect(s.typed_errors).toBeGreaterThan(20);
  });
});
