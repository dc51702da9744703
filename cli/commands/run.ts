import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { fail } from '../../ir/errors.js';
import { numel, shapeStr, tensor, type Tensor } from '../../ir/tensor.js';
import { dramBytes, idealCycles, type CostCounters } from '../../backend/cost.js';
import type { TensorEntry } from '../../backend/program.js';
import { ProgramRunner } from '../../runtime/tile/run-program.js';
import { decodeTensorFile } from '../../frontend/index.js';
import { decodeNpy, encodeNpy } from '../data/npy.js';
import { type RawLimitOptions, addLimitOptions, checkModelBytes, checkProgramMemory, resolveLimits } from '../limits.js';
import { readProgram, writeFilesAtomically } from '../program-file.js';
import { thousands } from '../table.js';
import { type CommandContext, printJson, wantsJson } from './context.js';

// `tilec run PROGRAM.tbin --input NAME=FILE [--output [NAME=]FILE.npy]`: the program on the reference tile
// machine, float32 in (quantized on entry as its tensor table says), dequantized float32 out.

/** Outputs up to this many elements are listed in full under --json. */
const JSON_VALUES_LIMIT = 4096;

/** `NAME=FILE`, or a bare FILE; the name is resolved against the program's inputs later. */
const collect = (spec: string, previous: string[] | undefined): string[] => {
  if (spec.trim() === '') throw new InvalidArgumentError('expected NAME=FILE or FILE');
  return [...(previous ?? []), spec];
};

/** Splits `spec` at the first '=' whose left side is one of `names`; else the whole spec is a file. */
function splitSpec(spec: string, names: readonly string[]): { name?: string; file: string } {
  for (let i = spec.indexOf('='); i > 0; i = spec.indexOf('=', i + 1)) {
    if (names.includes(spec.slice(0, i))) return { name: spec.slice(0, i), file: spec.slice(i + 1) };
  }
  return { file: spec };
}

function readTensor(file: string): { name?: string; tensor: Tensor } {
  if (!existsSync(file)) fail(`'${file}': no such file`);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return { tensor: decodeNpy(readFileSync(file), file) };
  if (ext === '.pb') {
    const t = decodeTensorFile(readFileSync(file), file);
    return { ...(t.name ? { name: t.name } : {}), tensor: t.tensor };
  }
  return fail(`'${file}': input files must be .npy or ONNX TensorProto .pb, got '${ext || 'no extension'}'`);
}

/** The feed for input `e` from a file's tensor: float32 (or the entry's own dtype), the shape up to unit dims. */
function feedFor(e: TensorEntry, t: Tensor, file: string): Tensor {
  const nonUnit = (s: readonly number[]): string => s.filter((d) => d !== 1).join(',');
  if (numel(t.shape) !== numel(e.shape) || nonUnit(t.shape) !== nonUnit(e.shape)) {
    fail(`input '${e.name}' from '${file}' has shape ${shapeStr(t.shape)} but the program expects ${shapeStr(e.shape)}`);
  }
  if (t.dtype !== 'float32' && t.dtype !== e.dtype) fail(`input '${e.name}' from '${file}' is ${t.dtype}; the program takes float32`);
  return tensor(t.dtype, e.shape, t.data);
}

function resolveInputs(specs: readonly string[], inputs: readonly TensorEntry[]): Map<string, Tensor> {
  const names = inputs.map((e) => e.name);
  const feeds = new Map<string, Tensor>();
  for (const spec of specs) {
    const { name: given, file } = splitSpec(spec, names);
    const read = readTensor(file);
    const name = given ?? (read.name && names.includes(read.name) ? read.name : names.length === 1 ? names[0] : undefined);
    if (name === undefined) fail(`--input '${spec}': say which input it is, NAME=FILE (program inputs: ${names.join(', ')})`);
    if (feeds.has(name)) fail(`input '${name}' is given twice`);
    feeds.set(name, feedFor(inputs[names.indexOf(name)]!, read.tensor, file));
  }
  const missing = names.filter((n) => !feeds.has(n));
  if (missing.length > 0) fail(`no --input for program input${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')} (give --input NAME=FILE.npy or .pb)`);
  return feeds;
}

/** Output files by output name, from `--output [NAME=]FILE.npy`. */
function resolveOutputs(specs: readonly string[], outputs: readonly TensorEntry[]): Map<string, string> {
  const names = outputs.map((e) => e.name);
  const files = new Map<string, string>();
  for (const spec of specs) {
    const { name: given, file } = splitSpec(spec, names);
    if (given === undefined && names.length !== 1) fail(`--output '${spec}': the program has ${names.length} outputs (${names.join(', ')}); give --output NAME=FILE.npy`);
    const name = given ?? names[0]!;
    if (path.extname(file).toLowerCase() !== '.npy') fail(`--output '${spec}': output files are .npy`);
    if (files.has(name)) fail(`output '${name}' is given twice`);
    files.set(name, file);
  }
  return files;
}

function argmax(d: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < d.length; i++) if (d[i]! > d[best]! || (d[best] !== d[best] && d[i] === d[i])) best = i;
  return best;
}

function countersJson(c: CostCounters, tile: number) {
  const ideal = idealCycles(c.macs, tile);
  return {
    cycles: c.cycles, ideal_cycles: ideal, utilization: c.cycles > 0 ? ideal / c.cycles : 0, instructions: c.instructions,
    tile_ops: c.matmuls, macs: c.macs, host_ops: c.hostOps, dram_bytes: dramBytes(c), busy: c.busy,
  };
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('run')
    .summary('run a tile program on the reference tile machine')
    .description(
      'Executes PROGRAM.tbin on the golden tile machine. Inputs are float32 .npy or ONNX TensorProto .pb files, quantized\n'
      + 'on entry as the program\'s tensor table says; outputs are dequantized to float32. Prints each output and the\n'
      + 'cost model\'s cycle count; --output writes .npy files (all of them or none).',
    )
    .argument('<PROGRAM>', 'PROGRAM.tbin')
    .option('--input <NAME=FILE>', 'an input: .npy or .pb (NAME= may be left out when the program has one input, or a .pb names it); repeatable', collect)
    .option('--output <[NAME=]FILE.npy>', 'write an output as .npy (NAME= may be left out when the program has one output); repeatable', collect);
  addLimitOptions(cmd, ['maxModelBytes', 'maxMemoryBytes'])
    .addHelpText('after', `
--json prints { program, target, tile, outputs: [ { name, dtype, shape, argmax, min, max, file, values } ], counters }
(values only for outputs of at most ${JSON_VALUES_LIMIT} elements).

Examples:
  $ tilec run out/mnist.tbin --input Input3=digit.npy
  $ tilec run out/mnist.tbin --input ../shared/models/mnist-8/test_data_set_0/input_0.pb --output logits.npy --json`)
    .action((file: string, opts: RawLimitOptions & { input?: string[]; output?: string[] }, command: Command) => {
      // --max-model-bytes bounds the program file; --max-memory-bytes its DRAM, before the machine allocates it.
      const limits = resolveLimits(opts);
      if (existsSync(file)) checkModelBytes(statSync(file).size, `program file '${file}'`, limits);
      const prog = readProgram(file);
      checkProgramMemory(prog, limits);
      const runner = new ProgramRunner(prog);
      const feeds = resolveInputs(opts.input ?? [], runner.inputEntries);
      const files = resolveOutputs(opts.output ?? [], runner.outputEntries);
      const { outputs, counters } = runner.run(feeds);
      writeFilesAtomically([...files].map(([name, f]) => ({ path: f, bytes: encodeNpy(outputs.get(name)!) })));
      const rows = [...outputs].map(([name, t]) => {
        let min = Infinity, max = -Infinity;
        for (const v of t.data) { if (v < min) min = v; if (v > max) max = v; }
        return { name, dtype: t.dtype, shape: t.shape, argmax: t.data.length > 0 ? argmax(t.data) : null, min, max, file: files.get(name) ?? null, t };
      });
      const t = prog.target.tile;
      if (wantsJson(command)) {
        printJson(ctx, {
          program: file, target: prog.target.name, tile: t,
          outputs: rows.map(({ t: x, ...r }) => ({ ...r, ...(x.data.length <= JSON_VALUES_LIMIT ? { values: Array.from(x.data) } : {}) })),
          counters: countersJson(counters, t),
        });
        return;
      }
      const lines: string[] = [];
      for (const r of rows) {
        const head = Array.from(r.t.data.subarray(0, 10), (v) => Number(v.toPrecision(6)));
        lines.push(`${r.name}: ${r.dtype}${shapeStr(r.shape)} argmax ${r.argmax} [${head.join(', ')}${r.t.data.length > 10 ? ', ...' : ''}]${r.file ? ` -> ${r.file}` : ''}`);
      }
      const c = countersJson(counters, t);
      lines.push(`${thousands(c.cycles)} cycles on '${prog.target.name}' (t=${t}): ${thousands(c.instructions)} instructions, ${thousands(c.tile_ops)} tile ops, `
        + `${thousands(c.macs)} MACs, ${thousands(c.host_ops)} host ops, ${thousands(c.dram_bytes)} DMA bytes, utilization ${(100 * c.utilization).toFixed(1)}%`);
      ctx.io.out(`${lines.join('\n')}\n`);
    });
}
