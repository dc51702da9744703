import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverTests } from '../../cli/check/discover.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-discover-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function testDir(...parts: string[]): string {
  const d = path.join(tmp, ...parts);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'model.onnx'), '');
  return d;
}

describe('discoverTests', () => {
  testDir('suite', 'test_b');
  testDir('suite', 'test_a');
  testDir('suite', 'group', 'test_c');
  testDir('suite', 'group', 'deeper', 'test_too_deep');
  mkdirSync(path.join(tmp, 'empty'));

  it('takes a test directory itself', () => {
    expect(discoverTests([path.join(tmp, 'suite', 'test_a')])).toEqual([{ name: 'test_a', dir: path.join(tmp, 'suite', 'test_a') }]);
  });

  it('finds tests one and two levels down, sorted by name, not deeper', () => {
    expect(discoverTests([path.join(tmp, 'suite')]).map((t) => t.name)).toEqual(['group/test_c', 'test_a', 'test_b']);
  });

  it('lists a directory reached twice only once', () => {
    symlinkSync(path.join(tmp, 'suite', 'test_a'), path.join(tmp, 'link_a'));
    const tests = discoverTests([path.join(tmp, 'suite'), path.join(tmp, 'link_a'), path.join(tmp, 'suite', 'test_b')]);
    expect(tests.map((t) => t.name)).toEqual(['group/test_c', 'test_a', 'test_b']);
  });

  it('names a missing, non-directory or test-less DIR', () => {
    expect(() => discoverTests([path.join(tmp, 'nope')])).toThrow(/'.*nope': no such directory/);
    expect(() => discoverTests([path.join(tmp, 'suite', 'test_a', 'model.onnx')])).toThrow(/model\.onnx' is not a directory/);
    expect(() => discoverTests([path.join(tmp, 'empty')])).toThrow(/empty': no model\.onnx in it or in its subdirectories/);
  });
});
