import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { disassemble, disassembleChunks } from '../../backend/tasm.js';
import { encodeTbin } from '../../backend/tbin.js';
import { resolveCompileOptions } from '../../cli/compile-options.js';
import { type Io, writeOutChunks } from '../../cli/io.js';
import { readTextLines, writeFilesAtomically } from '../../cli/program-file.js';
import { PASS_NAMES, compileModel, writeOutputsAtomically } from '../../cli/session.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { largeProgram, referenceDisassemble } from '../backend/tasm-reference.js';
import { runCli } from './run-cli.js';

// How the CLI moves a .tasm without holding it as one string: streamed into files (compile, disasm -o),
// to stdout with backpressure (disasm), and read back line by line (asm).

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-tasm-stream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readTextLines', () => {
  it('gives the lines of text.split(/\\r?\\n/) whatever the chunk size (line ends and UTF-8 across chunk ends)', () => {
    const char = fc.constantFrom('a', 'b', ' ', '\n', '\r', '\r\n', 'ü', '€', '😀');
    fc.assert(fc.property(fc.array(char, { maxLength: 40 }), fc.integer({ min: 1, max: 9 }), (chars, size) => {
      const text = chars.join('');
      const file = path.join(tmp, 'lines.txt');
      writeFileSync(file, text);
      expect([...readTextLines(file, size)]).toEqual(text.split(/\r?\n/));
    }), { seed: 777, numRuns: 200 });
  });
});

describe('writeFilesAtomically with chunked content', () => {
  it('writes the chunks in order', () => {
    const file = path.join(tmp, 'chunked.txt');
    writeFilesAtomically([{ path: file, bytes: { chunks: () => ['héllo\n', Buffer.from('wörld\n'), new Uint8Array(0)] } }]);
    expect(readFileSync(file, 'utf8')).toBe('héllo\nwörld\n');
  });

  it('leaves no file and no temporary when the producer fails midway', () => {
    const dir = mkdtempSync(path.join(tmp, 'fail-'));
    const chunks = function* (): Generator<string> { yield 'partial\n'; throw new Error('producer failed'); };
    expect(() => writeFilesAtomically([{ path: path.join(dir, 'a.txt'), bytes: 'a' }, { path: path.join(dir, 'b.tasm'), bytes: { chunks } }])).toThrow('producer failed');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeOutChunks', () => {
  it('awaits outChunk for every chunk, in order; without it, writes each chunk as text', async () => {
    const p = largeProgram();
    const got: Uint8Array[] = [];
    const withChunks: Io = { out: () => { throw new Error('out must not be used'); }, err: () => {}, outChunk: async (b) => { await new Promise((r) => setTimeout(r, 0)); got.push(b); } };
    await writeOutChunks(withChunks, disassembleChunks(p, 50_000));
    const reference = referenceDisassemble(p);
    expect(Buffer.concat(got).toString('utf8')).toBe(reference);
    expect(got.length).toBeGreaterThan(5);
    let text = '';
    await writeOutChunks({ out: (t) => { text += t; }, err: () => {} }, disassembleChunks(p, 50_000));
    expect(text).toBe(reference);
  });
});

describe('tilec disasm as a process: stdout is a pipe', () => {
  const tbin = path.join(tmp, 'large.tbin');
  writeFileSync(tbin, encodeTbin(largeProgram()));
  const start = () => spawn(process.execPath, ['--import', 'tsx', 'cli/tilec.ts', 'disasm', tbin], { cwd: REPO_ROOT, env: { ...process.env, TILEC_DEBUG: '' } });
  const exit = (child: ReturnType<typeof start>): Promise<{ code: number | null; err: string }> => new Promise((resolve) => {
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => { err += t; });
    child.on('close', (code) => resolve({ code, err }));
  });

  it('a slow reader gets every byte (the writer waits for the pipe)', async () => {
    const child = start();
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      chunks.push(b);
      if (chunks.length === 1) { child.stdout.pause(); setTimeout(() => child.stdout.resume(), 300); }
    });
    const r = await exit(child);
    expect(r).toEqual({ code: 0, err: '' });
    expect(Buffer.concat(chunks).toString('utf8')).toBe(referenceDisassemble(largeProgram()));
  }, 60_000);

  it('a reader that stops early (`| head`) ends tilec quietly with exit 0', async () => {
    const child = start();
    child.stdout.once('data', () => child.stdout.destroy());
    expect(await exit(child)).toEqual({ code: 0, err: '' });
  }, 60_000);
});

describe('mnist-8: the files compile writes', () => {
  const mnist = sharedPath('models/mnist-8/model.onnx');
  it.skipIf(!mnist)('are produced only when written; .tasm and .tbin are the bytes of disassemble and encodeTbin, and asm reproduces the .tbin', async () => {
    const compiled = compileModel(mnist!, resolveCompileOptions({}, PASS_NAMES), { line: () => {}, print: () => {} });
    const program = compiled.files.filter((f) => /\.(tbin|tasm)$/.test(f.name));
    expect(program.map((f) => [f.name, typeof f.bytes === 'object' && 'chunks' in f.bytes])).toEqual([['model.tbin', true], ['model.tasm', true]]);

    const reference = referenceDisassemble(compiled.program);
    expect(disassemble(compiled.program)).toBe(reference);
    const dir = path.join(tmp, 'mnist');
    writeOutputsAtomically(dir, compiled.files);
    expect(readFileSync(path.join(dir, 'model.tasm'), 'utf8')).toBe(reference);
    const tbin = readFileSync(path.join(dir, 'model.tbin'));
    expect(tbin.equals(encodeTbin(compiled.program))).toBe(true);

    const d = await runCli('disasm', path.join(dir, 'model.tbin'));
    expect([d.code, d.err, d.out === reference]).toEqual([0, '', true]);
    const copy = path.join(dir, 'copy.tbin');
    const a = await runCli('asm', path.join(dir, 'model.tasm'), '-o', copy);
    expect([a.code, a.err]).toEqual([0, '']);
    expect(readFileSync(copy).equals(tbin)).toBe(true);
    expect(existsSync(path.join(dir, `.copy.tbin.${process.pid}.tmp`))).toBe(false);
  }, 120_000);
});
