import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, rawBytes } from '../helpers/onnx-builder.js';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from './run-cli.js';

// Hostile or broken models given to `tilec inspect`: each must exit 2 with exactly one stderr line
// `error: ...` naming the file, node or tensor at fault, no stack trace and nothing on stdout.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, bytes);
  return p;
}

async function expectBadInput(file: string, names: RegExp): Promise<string> {
  const r = await runCli('inspect', file);
  expect(r.out).toBe('');
  expect(r.errLines).toHaveLength(1);
  const line = r.errLines[0]!;
  expect(line).toMatch(/^error: /);
  expect(line).not.toMatch(/internal error|\bat .*\.ts:\d+/);
  expect(line).toMatch(names);
  expect(r.code).toBe(2);
  return line;
}

/** A tiny deterministic byte generator (LCG), so "random bytes" are the same on every run. */
function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s >>> 24; }
  return out;
}

const x = { name: 'x', dtype: 'float32' as const, shape: [1, 4] };
const y = { name: 'y', dtype: 'float32' as const, shape: [1, 4] };

const mnist = sharedPath('models/mnist-8/model.onnx');
describe.skipIf(!mnist)('a truncated model', () => {
  it('mnist-8 cut in half names the file', async () => {
    const bytes = readFileSync(mnist!);
    const file = write('half.onnx', bytes.subarray(0, bytes.length >> 1));
    await expectBadInput(file, /half\.onnx/);
  });
});

describe('malformed and unsupported models', () => {
  it('random bytes name the file', async () => {
    await expectBadInput(write('random.onnx', pseudoRandomBytes(4096, 1234)), /random\.onnx/);
  });

  it('an empty file names the file', async () => {
    await expectBadInput(write('empty.onnx', new Uint8Array(0)), /empty\.onnx/);
  });

  it('an unsupported op names the op and the node', async () => {
    const file = write('tanh.onnx', buildModel({
      inputs: [x], outputs: [y],
      nodes: [{ op: 'Tanh', name: 'squash_7', inputs: ['x'], outputs: ['y'] }],
    }));
    const line = await expectBadInput(file, /Tanh/);
    expect(line).toMatch(/squash_7/);
  });

  it('an input that nothing defines (a missing initializer) names the tensor', async () => {
    const file = write('dangling.onnx', buildModel({
      inputs: [x], outputs: [y],
      nodes: [{ op: 'Add', name: 'add_1', inputs: ['x', 'bias_missing'], outputs: ['y'] }],
    }));
    await expectBadInput(file, /bias_missing/);
  });

  it('external data pointing outside the model folder names the location and is not read', async () => {
    write('secret.bin', rawBytes('float32', [1, 2, 3, 4]));
    const file = write('model_dir/escape.onnx', buildModel({
      inputs: [x], outputs: [y],
      initializers: [{ name: 'w', dtype: 'float32', shape: [1, 4], data: [1, 2, 3, 4], external: { location: '../secret.bin' } }],
      nodes: [{ op: 'Add', name: 'add_1', inputs: ['x', 'w'], outputs: ['y'] }],
    }));
    await expectBadInput(file, /\.\.\/secret\.bin/);
  });
});
