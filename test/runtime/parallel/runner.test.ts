import { afterAll, describe, expect, it } from 'vitest';
import { resolveCompileOptions } from '../../../cli/compile-options.js';
import { PASS_NAMES, compileModel } from '../../../cli/session.js';
import { INSTRUCTION_BYTES, OP } from '../../../backend/isa.js';
import type { TileProgram } from '../../../backend/program.js';
import { TilecError } from '../../../ir/errors.js';
import { tensor, numel, type Tensor } from '../../../ir/tensor.js';
import { partitionProgram } from '../../../runtime/tile/parallel/partition.js';
import { ParallelProgramRunner } from '../../../runtime/tile/parallel/runner.js';
import { ProgramRunner } from '../../../runtime/tile/run-program.js';
import { REPO_ROOT } from '../../helpers/shared.js';
import { randomProgram } from './random-program.js';

// ParallelProgramRunner on two threads (a worker thread each): the same outputs and counters as ProgramRunner
// on a compiled conv net (convolutions by gathers, max pools as HOST ops) and on random programs, the
// sequential machine's exact error for a fault in either thread, and workers that end on close().

const quiet = { line: (): void => {}, print: (): void => {} };
const compiled = compileModel(`${REPO_ROOT}/examples/qat_mnist/qat_mnist.onnx`, resolveCompileOptions({}, PASS_NAMES), quiet);

function feedsFor(runner: ProgramRunner, seed: number): Map<string, Tensor> {
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  return new Map(runner.inputEntries.map((e) => [e.name, tensor('float32', e.shape, Float32Array.from({ length: numel(e.shape) }, () => next() * 2 - 1))]));
}

const open: ParallelProgramRunner[] = [];
async function parallel(p: TileProgram): Promise<ParallelProgramRunner> {
  const r = await ParallelProgramRunner.create(p, { threads: 2 });
  open.push(r);
  return r;
}
afterAll(async () => { await Promise.all(open.map((r) => r.close())); });

const errorOf = (f: () => unknown): string => {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(TilecError); return (e as Error).message; }
  throw new Error('expected a fault');
};

describe('ParallelProgramRunner', () => {
  it('equals ProgramRunner on a compiled conv net, run after run', async () => {
    const seq = new ProgramRunner(compiled.program), par = await parallel(compiled.program);
    expect(par.threads).toBe(2);
    const v = new DataView(compiled.program.code.buffer, compiled.program.code.byteOffset);
    const part = partitionProgram(compiled.program, 2)!;
    const ops = (w: number, op: number): number => [...part.order[w]!].filter((i) => v.getUint8(i * INSTRUCTION_BYTES) === op).length;
    expect(ops(1, OP.MATMUL)).toBeGreaterThan(0); // worker 1 does real work
    expect(ops(0, OP.HOST)).toBeGreaterThan(0);
    for (const seed of [1, 2, 3]) {
      const feeds = feedsFor(seq, seed), want = seq.run(feeds), got = par.run(feeds);
      expect(got.counters).toEqual(want.counters);
      expect([...got.outputs.keys()]).toEqual([...want.outputs.keys()]);
      for (const [name, t] of want.outputs) expect(Array.from(got.outputs.get(name)!.data), name).toEqual(Array.from(t.data));
    }
  }, 60_000);

  it('equals ProgramRunner on random programs (DRAM written by STOREs, read by loads, gathers and preloads)', async () => {
    for (const seed of [7, 8]) {
      const p = randomProgram({ tile: 8, seed, ops: 300 });
      const seq = new ProgramRunner(p, { codes: true }), par = await parallel(p);
      const want = seq.run(new Map()), got = par.run(new Map());
      expect(got.counters).toEqual(want.counters);
      // No tensors: compare DRAM through the machines ProgramRunner holds.
      const dram = (r: object): Uint8Array => (r as { machine: { dram: Uint8Array } }).machine.dram;
      expect(Buffer.from(dram((par as unknown as { runner: object }).runner)).equals(Buffer.from(dram(seq)))).toBe(true);
    }
  }, 60_000);

  it('a fault in either thread gives the sequential machine error, run after run', async () => {
    const base = randomProgram({ tile: 4, seed: 21, ops: 200 });
    const part = partitionProgram(base, 2)!;
    const v = new DataView(base.code.buffer, base.code.byteOffset);
    // Break one STORE on each worker: its address beyond DRAM.
    for (const w of [0, 1]) {
      const i = [...part.order[w]!].find((k) => v.getUint8(k * INSTRUCTION_BYTES) === OP.STORE && part.mask[k] === 1 << w)!;
      expect(i).toBeDefined();
      const code = base.code.slice();
      new DataView(code.buffer).setUint32(i * INSTRUCTION_BYTES + 12, base.dramBytes, true);
      const broken: TileProgram = { ...base, code };
      const want = errorOf(() => new ProgramRunner(broken).run(new Map()));
      expect(want).toMatch(/^tile machine fault at instruction \d+ \(STORE\)/);
      const par = await parallel(broken);
      expect(par.threads).toBe(2);
      expect(errorOf(() => par.run(new Map()))).toBe(want);
      expect(errorOf(() => par.run(new Map()))).toBe(want);
    }
  }, 60_000);

  it('a program naming a slot beyond the target runs on one thread, with the sequential fault', async () => {
    const base = randomProgram({ tile: 4, seed: 3, ops: 10 });
    const code = base.code.slice();
    new DataView(code.buffer).setUint32(8, 1000, true); // the first instruction's slot
    const broken: TileProgram = { ...base, code };
    const par = await parallel(broken);
    expect(par.threads).toBe(1);
    expect(errorOf(() => par.run(new Map()))).toBe(errorOf(() => new ProgramRunner(broken).run(new Map())));
  });

  it('close() ends the workers; a closed runner refuses to run; one thread is ProgramRunner', async () => {
    const par = await ParallelProgramRunner.create(compiled.program, { threads: 2 });
    const feeds = feedsFor(new ProgramRunner(compiled.program), 5);
    par.run(feeds);
    const workers = (par as unknown as { workers: { threadId: number }[] }).workers;
    expect(workers).toHaveLength(1);
    await par.close();
    expect(workers[0]!.threadId).toBe(-1); // an exited worker has no thread
    expect(() => par.run(feeds)).toThrow(/closed/);
    await par.close(); // twice is fine
    const one = await ParallelProgramRunner.create(compiled.program, { threads: 1 });
    expect(one.threads).toBe(1);
    expect(one.run(feeds).counters).toEqual(new ProgramRunner(compiled.program).run(feeds).counters);
    await one.close();
  }, 60_000);
});
