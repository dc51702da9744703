import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/tilec.js';
import { MAX_OPSET } from '../../frontend/index.js';
import { type ModelSpec, buildModel, buildModelProto, encodeModel, rawBytes } from '../helpers/onnx-builder.js';
import { sharedPath } from '../helpers/shared.js';

// The hostile-input corpus: every file goes through `tilec compile -o EMPTY_DIR` in-process and must end
// as the contract's bad-input outcome — exit 2, exactly one stderr line `error: ...` that names the
// culprit, no stack trace, nothing on stdout, and nothing written into (or creating) the output directory.

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, bytes);
  return p;
}

let outDirs = 0;
/** Runs `tilec compile FILE -o DIR` and checks the bad-input contract; returns the error line. */
async function expectRejected(file: string, mentions: RegExp, opts: { createOutDir?: boolean } = {}): Promise<string> {
  const out = path.join(tmp, `out-${++outDirs}`);
  if (opts.createOutDir ?? true) mkdirSync(out);
  let stdout = '', stderr = '';
  const code = await main(['compile', file, '-o', out, '--calib', 'random:2:0'], {
    out: (t) => { stdout += t; }, err: (t) => { stderr += t; },
  });
  const lines = stderr.split('\n');
  expect(lines.pop(), 'stderr ends with a newline').toBe('');
  expect(lines, `stderr: ${stderr}`).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toMatch(/^error: /);
  expect(line).not.toMatch(/internal error|tilec bug|\bat .*\.[jt]s:\d+/);
  expect(line).toMatch(mentions);
  expect(stdout).toBe('');
  expect(code).toBe(2);
  if (opts.createOutDir ?? true) expect(readdirSync(out)).toEqual([]);
  else expect(() => readdirSync(out), 'a failed compile must not create -o').toThrow(/ENOENT/);
  return line;
}

const x = { name: 'x', dtype: 'float32' as const, shape: [1, 4] };
const y = { name: 'y', dtype: 'float32' as const, shape: [1, 4] };
const reluModel: ModelSpec = { inputs: [x], outputs: [y], nodes: [{ op: 'Relu', name: 'relu_1', inputs: ['x'], outputs: ['y'] }] };
const addModel = (w: ModelSpec['initializers']): ModelSpec => ({
  inputs: [x], outputs: [y], initializers: w, nodes: [{ op: 'Add', name: 'add_1', inputs: ['x', 'w'], outputs: ['y'] }],
});

/** Deterministic bytes (LCG): "random" input that is the same on every run. */
function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s >>> 24; }
  return out;
}

const mnist = sharedPath('models/mnist-8/model.onnx');
describe.skipIf(!mnist)('mnist-8 truncated at every sixteenth of its length', () => {
  const bytes = mnist ? readFileSync(mnist) : new Uint8Array(0);
  for (let k = 0; k < 16; k++) {
    it(`cut at ${k}/16`, async () => {
      const n = Math.floor((bytes.length * k) / 16);
      const file = write(`mnist_cut_${k}.onnx`, bytes.subarray(0, n));
      await expectRejected(file, new RegExp(`mnist_cut_${k}\\.onnx`));
    });
  }
});

describe('malformed protobuf', () => {
  it('random bytes', async () => {
    await expectRejected(write('random.onnx', pseudoRandomBytes(4096, 1234)), /random\.onnx/);
  });

  it('random bytes do not create a missing -o directory', async () => {
    await expectRejected(write('random2.onnx', pseudoRandomBytes(777, 99)), /random2\.onnx/, { createOutDir: false });
  });

  // onnx-proto's decoders pick a field's reader by number only; the wire check must refuse these.
  const valid = buildModel(reluModel);
  const graphTag = valid.indexOf((7 << 3) | 2);
  for (const [label, at, tag] of [
    ['graph (field 7) as a varint', graphTag, (7 << 3) | 0],
    ['graph (field 7) as fixed32', graphTag, (7 << 3) | 5],
    ['ir_version (field 1) as length-delimited', 0, (1 << 3) | 2],
    ['graph with the invalid wire type 7', graphTag, (7 << 3) | 7],
    ['graph as a group start', graphTag, (7 << 3) | 3],
  ] as const) {
    it(`wrong wire type: ${label}`, async () => {
      expect(valid[at]).toBe(at === 0 ? (1 << 3) | 0 : (7 << 3) | 2);
      const bytes = Uint8Array.from(valid);
      bytes[at] = tag;
      await expectRejected(write(`wire_${at}_${tag}.onnx`, bytes), /wire type \d/);
    });
  }

  it('a packed float list whose length is not a multiple of 4', async () => {
    const proto = buildModelProto({ ...reluModel, nodes: [{ op: 'LeakyRelu', name: 'lr', inputs: ['x'], outputs: ['y'], attrs: { alpha: { f: 0.5 } } }] });
    const bytes = encodeModel(proto);
    // The attribute's `f` (field 2, fixed32, right after the name 'alpha') becomes `floats` (field 7)
    // packed into 3 bytes.
    const name = [...new TextEncoder().encode('alpha'), (2 << 3) | 5];
    const at = bytes.findIndex((_, i) => name.every((b, j) => bytes[i + j] === b)) + name.length - 1;
    expect(at).toBeGreaterThan(name.length);
    const edited = Uint8Array.from(bytes);
    edited[at] = (7 << 3) | 2;
    edited[at + 1] = 3;
    await expectRejected(write('packed.onnx', edited), /floats.*packs 3 bytes/);
  });
});

describe('hostile tensors', () => {
  it('an initializer of 2^40 elements is refused before allocating', async () => {
    const proto = buildModelProto(addModel([{ name: 'w', dtype: 'float32', shape: [1, 4], data: [0, 0, 0, 0] }]));
    const w = proto.graph!.initializer![0]!;
    w.dims = [2 ** 20, 2 ** 20];
    w.rawData = new Uint8Array(0);
    await expectRejected(write('huge_init.onnx', encodeModel(proto)), /initializer 'w'.*\[1048576,1048576\]/);
  });

  it('a graph input of 2^40 elements passed straight to the output', async () => {
    const file = write('huge_input.onnx', buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [2 ** 20, 2 ** 20] }], outputs: [{ name: 'x', dtype: 'float32' }], nodes: [],
    }));
    await expectRejected(file, /graph input 'x'.*\[1048576,1048576\]/);
  });

  it('a node output of 2^40 elements (ConstantOfShape [2^20,2^20]) is refused while typing, before folding allocates it', async () => {
    const file = write('huge_const.onnx', buildModel({
      inputs: [x], outputs: [y],
      initializers: [{ name: 'shape', dtype: 'int64', shape: [2], data: [2 ** 20, 2 ** 20] }],
      nodes: [
        { op: 'ConstantOfShape', name: 'fill_1', inputs: ['shape'], outputs: ['big'] },
        { op: 'Add', name: 'add_1', inputs: ['x', 'big'], outputs: ['y'] },
      ],
    }));
    await expectRejected(file, /ConstantOfShape 'fill_1'.*\[1048576,1048576\]/);
  });

  it('a broadcast Add whose output has 2^40 elements ([2^20,1] + [1,2^20])', async () => {
    const file = write('huge_broadcast.onnx', buildModel({
      inputs: [{ name: 'a', dtype: 'float32', shape: [2 ** 20, 1] }, { name: 'b', dtype: 'float32', shape: [1, 2 ** 20] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'Add', name: 'add_big', inputs: ['a', 'b'], outputs: ['y'] }],
    }));
    await expectRejected(file, /Add 'add_big'.*\[1048576,1048576\]/);
  });

  it('a negative dim in an initializer', async () => {
    const proto = buildModelProto(addModel([{ name: 'w', dtype: 'float32', shape: [1, 4], data: [0, 0, 0, 0] }]));
    proto.graph!.initializer![0]!.dims = [-1, 4];
    await expectRejected(write('neg_init.onnx', encodeModel(proto)), /initializer 'w'.*negative dimension -1/);
  });

  it('a negative dim in a graph input', async () => {
    const file = write('neg_input.onnx', buildModel({ ...reluModel, inputs: [{ name: 'x', dtype: 'float32', shape: [1, -3] }] }));
    await expectRejected(file, /graph input 'x'.*negative dimension -3/);
  });

  it('raw_data shorter than its dims', async () => {
    const proto = buildModelProto(addModel([{ name: 'w', dtype: 'float32', shape: [1, 4], data: [0, 0, 0, 0] }]));
    proto.graph!.initializer![0]!.rawData = rawBytes('float32', [1, 2]);
    await expectRejected(write('short_raw.onnx', encodeModel(proto)), /initializer 'w': raw_data has 8 bytes but dims \[1,4\]/);
  });

  it('an unsupported dtype (float8e4m3fn) in an initializer', async () => {
    const proto = buildModelProto(addModel([{ name: 'w', dtype: 'float32', shape: [1, 4], data: [0, 0, 0, 0] }]));
    proto.graph!.initializer![0]!.dataType = 17;
    proto.graph!.initializer![0]!.rawData = new Uint8Array(4);
    await expectRejected(write('float8_init.onnx', encodeModel(proto)), /initializer 'w'.*FLOAT8E4M3FN|initializer 'w'.*code 17/i);
  });

  it('an unsupported dtype (float8e5m2) on a graph input', async () => {
    const file = write('float8_input.onnx', buildModel({ ...reluModel, inputs: [{ name: 'x', dtype: 19, shape: [1, 4] }] }));
    await expectRejected(file, /graph input 'x'.*(FLOAT8E5M2|code 19)/i);
  });
});

describe('hostile graphs', () => {
  it('a cycle', async () => {
    const file = write('cycle.onnx', buildModel({
      inputs: [x], outputs: [y],
      nodes: [
        { op: 'Add', name: 'add_a', inputs: ['x', 'b'], outputs: ['a'] },
        { op: 'Relu', name: 'relu_b', inputs: ['a'], outputs: ['b'] },
        { op: 'Relu', name: 'relu_y', inputs: ['a'], outputs: ['y'] },
      ],
    }));
    await expectRejected(file, /cycle.*add_a.*relu_b/);
  });

  it('the same graph output listed twice', async () => {
    await expectRejected(write('dup_graph_output.onnx', buildModel({ ...reluModel, outputs: [y, y] })), /graph output 'y' is listed twice/);
  });

  it('two nodes producing the same value', async () => {
    const file = write('dup_node_output.onnx', buildModel({
      inputs: [x], outputs: [y],
      nodes: [
        { op: 'Relu', name: 'first', inputs: ['x'], outputs: ['y'] },
        { op: 'Sigmoid', name: 'second', inputs: ['x'], outputs: ['y'] },
      ],
    }));
    await expectRejected(file, /value 'y' is produced twice.*first.*second/);
  });

  it('a missing initializer', async () => {
    await expectRejected(write('missing_init.onnx', buildModel(addModel([]))), /Add 'add_1': input 'w' is not produced/);
  });

  it('an opset newer than supported', async () => {
    await expectRejected(write('opset.onnx', buildModel({ ...reluModel, opset: MAX_OPSET + 1 })), new RegExp(`opset ${MAX_OPSET + 1}`));
  });

  it('an empty graph (no nodes) whose output nothing produces', async () => {
    await expectRejected(write('empty_graph.onnx', buildModel({ ...reluModel, nodes: [] })), /graph output 'y' is not produced/);
  });

  it('an empty graph with no inputs, outputs or nodes', async () => {
    await expectRejected(write('empty_all.onnx', buildModel({ inputs: [], outputs: [], nodes: [] })), /graph has no outputs/);
  });
});

describe('external data outside the model folder', () => {
  const secret = (): string => write('secret.bin', rawBytes('float32', [1, 2, 3, 4]));
  const external = (location: string): ModelSpec =>
    addModel([{ name: 'w', dtype: 'float32', shape: [1, 4], data: [1, 2, 3, 4], external: { location } }]);

  it('an absolute path', async () => {
    const abs = secret();
    await expectRejected(write('ext_abs/model.onnx', buildModel(external(abs))), /absolute path/);
  });

  it("a path with '..'", async () => {
    secret();
    await expectRejected(write('ext_dotdot/model.onnx', buildModel(external('../secret.bin'))), /'\.\.\/secret\.bin' contains '\.\.'/);
  });

  it('a symlink leading out of the folder', async () => {
    const target = secret();
    const file = write('ext_link/model.onnx', buildModel(external('link.bin')));
    symlinkSync(target, path.join(tmp, 'ext_link/link.bin'));
    await expectRejected(file, /'link\.bin' resolves to .*outside the model's folder/);
  });
});
