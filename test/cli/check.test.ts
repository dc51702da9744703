import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ModelSpec, buildModel, tensorProtoBytes } from '../helpers/onnx-builder.js';
import { runCli } from './run-cli.js';

// `tilec check` over a small generated suite covering every outcome.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Data = readonly { inputs: readonly [string, number[], number[]][]; outputs: readonly [string, number[], number[]][] }[];

function backendTest(rel: string, model: ModelSpec | Uint8Array, sets: Data): void {
  const dir = path.join(tmp, 'suite', rel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), model instanceof Uint8Array ? model : buildModel(model));
  sets.forEach((set, s) => {
    const sd = path.join(dir, `test_data_set_${s}`);
    mkdirSync(sd);
    set.inputs.forEach(([name, shape, data], i) => writeFileSync(path.join(sd, `input_${i}.pb`), tensorProtoBytes(name, 'float32', shape, data)));
    set.outputs.forEach(([name, shape, data], i) => writeFileSync(path.join(sd, `output_${i}.pb`), tensorProtoBytes(name, 'float32', shape, data)));
  });
}

const relu = (op: string): ModelSpec => ({
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
  nodes: [{ op, name: `${op.toLowerCase()}_0`, inputs: ['x'], outputs: ['y'] }],
});

backendTest('test_pass', relu('Relu'), [{ inputs: [['x', [1, 4], [-1, 2, -3, 4]]], outputs: [['y', [1, 4], [0, 2, 0, 4]]] }]);
backendTest('test_fail', relu('Relu'), [{ inputs: [['x', [1, 4], [-1, 2, -3, 4]]], outputs: [['y', [1, 4], [0, 2, 0.5, 4]]] }]);
backendTest('test_unsup', relu('Tanh'), [{ inputs: [['x', [1, 4], [0, 0, 0, 0]]], outputs: [['y', [1, 4], [0, 0, 0, 0]]] }]);
backendTest('test_bad_model', new TextEncoder().encode('not a model'), [{ inputs: [], outputs: [] }]);
// A symbolic batch dim fixed differently by each data set: the model is prepared per shape.
backendTest('group/test_two_sets', {
  inputs: [{ name: 'a', dtype: 'float32', shape: ['N', 2] }, { name: 'b', dtype: 'float32', shape: ['N', 2] }],
  outputs: [{ name: 's', dtype: 'float32', shape: ['N', 2] }],
  nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['s'] }],
}, [
  { inputs: [['a', [1, 2], [1, 2]], ['b', [1, 2], [10, 20]]], outputs: [['s', [1, 2], [11, 22]]] },
  { inputs: [['a', [3, 2], [1, 2, 3, 4, 5, 6]], ['b', [3, 2], [1, 1, 1, 1, 1, 1]]], outputs: [['s', [3, 2], [2, 3, 4, 5, 6, 7]]] },
]);

describe('tilec check', () => {
  const suite = path.join(tmp, 'suite');

  it('--json reports every test, sorted, and exits 1 because one failed', async () => {
    const r = await runCli('check', suite, '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { total: number; passed: number; failed: number; unsupported: number; tests: { name: string; status: string; reason: string | null }[] };
    expect({ ...doc, tests: undefined }).toEqual({ total: 5, passed: 2, failed: 2, unsupported: 1, tests: undefined });
    expect(doc.tests.map((t) => [t.name, t.status])).toEqual([
      ['group/test_two_sets', 'passed'], ['test_bad_model', 'failed'], ['test_fail', 'failed'], ['test_pass', 'passed'], ['test_unsup', 'unsupported'],
    ]);
    const reason = (name: string) => doc.tests.find((t) => t.name === name)!.reason;
    expect(reason('test_pass')).toBeNull();
    expect(reason('test_fail')).toBe(
      "test_data_set_0 output 'y': 1 of 4 elements differ; worst at [0,2]: got 0, expected 0.5 (|diff| 0.5 > 0.0005001 = atol 1e-7 + rtol 0.001 * |expected|)",
    );
    expect(reason('test_unsup')).toMatch(/Tanh/);
    expect(reason('test_bad_model')).toMatch(/test_bad_model[/\\]model\.onnx/);
    expect(reason('test_bad_model')).not.toMatch(/internal error/);
  });

  it('prints one line per test and a summary in human mode', async () => {
    const r = await runCli('check', suite);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('PASS  group/test_two_sets');
    expect(lines[1]).toMatch(/^FAIL  test_bad_model: /);
    expect(lines[3]).toBe('PASS  test_pass');
    expect(lines[4]).toMatch(/^UNSUP test_unsup: .*Tanh/);
    expect(lines.at(-1)).toBe('5 tests: 2 passed, 2 failed, 1 unsupported');
  });

  it('exits 0 when nothing failed, and honours --rtol', async () => {
    const only = (n: string) => path.join(suite, n);
    expect((await runCli('check', only('test_pass'), only('test_unsup'))).code).toBe(0);
    expect((await runCli('check', only('test_fail'), '--rtol', '0', '--atol', '0.5')).code).toBe(0);
  });
});
