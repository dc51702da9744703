import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';
import { writeSmallCnn } from '../cli/small-cnn.js';

// The bench's measuring child (bench/children/calibrate-memory.ts) on a tiny model: it must calibrate as asked
// and report its memory in a fixed shape. No numbers about speed or size are asserted (that is the bench's job).

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-bench-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const model = writeSmallCnn(tmp);

function child(spec: string, count: number, method: string): Record<string, number | string> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', 'children', 'calibrate-memory.ts'), model, spec, String(count), method], {
    cwd: REPO_ROOT, encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number | string>;
}

describe('bench: calibration memory child', () => {
  it('calibrates the requested samples and reports RSS before, peak and maxRSS in MiB', () => {
    const m = child('random:20:1', 20, 'entropy');
    expect(Object.keys(m).sort()).toEqual([
      'array_buffers_before_mb', 'array_buffers_peak_mb', 'heap_used_peak_mb', 'max_rss_mb', 'method', 'rss_before_calibration_mb', 'rss_peak_mb',
      'samples', 'seconds', 'tensors',
    ]);
    expect([m.samples, m.method]).toEqual([20, 'entropy']);
    // x plus the outputs of conv, relu, pool, flatten and fc.
    expect(m.tensors).toBe(6);
    expect(m.rss_peak_mb as number).toBeGreaterThanOrEqual(m.rss_before_calibration_mb as number);
    expect((m.max_rss_mb as number) + 0.2).toBeGreaterThanOrEqual(m.rss_peak_mb as number);
    expect(m.array_buffers_peak_mb as number).toBeGreaterThanOrEqual(m.array_buffers_before_mb as number);
  });

  it('the seed method runs only its first batch (32 samples), whatever the count', () => {
    expect(child('random:100:1', 100, 'seed').samples).toBe(32);
  });
});
