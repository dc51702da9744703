import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { shapeStr } from '../../ir/tensor.js';
import { formatProgramSummary, summarizeProgram } from '../inspect/program-summary.js';
import { type ModelSummary, summarize } from '../inspect/summary.js';
import { type RawLimitOptions, addLimitOptions, checkModelBytes, resolveLimits } from '../limits.js';
import { isProgramFile, readProgram } from '../program-file.js';
import { loadFloatModel } from '../model.js';
import { type InputShapes, collectInputShape } from '../options.js';
import { formatTable, thousands } from '../table.js';
import { type CommandContext, printJson, wantsJson } from './context.js';

/** The ONNX view is of the graph after FLOAT_PIPELINE, and says so (in both outputs). */
const AFTER = 'after the float pipeline (constants folded, Identity/Dropout removed, BatchNorm folded, dead nodes dropped)';

export function registerInspect(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('inspect')
    .summary('summarize a model: inputs/outputs, op counts, per-layer shapes, MACs and parameters')
    .description(
      `Summarizes an ONNX model ${AFTER}: `
      + 'graph inputs and outputs with shapes, op counts, and a per-layer table (output shape, MACs, parameters). '
      + 'MACs: Conv = N*M*prod(out spatial)*(C/group)*prod(kernel); Gemm = M*N*K; MatMul = M*N*K per broadcast batch.',
    )
    .argument('<FILE>', 'MODEL.onnx, or PROGRAM.tbin (a tile program: target, tensor table, instruction counts by opcode, constants)')
    .option('--input-shape <NAME=D0,D1,...>', 'fix the shape of a graph input with symbolic or dynamic dims (repeatable)', collectInputShape)
    .option('--print-ir-after <PASS|all>', 'print the IR after that float-pipeline pass (or every pass) to stderr');
  addLimitOptions(cmd, ['maxModelBytes', 'maxTensorElements', 'maxMemoryBytes'])
    .addHelpText('after', `
Examples:
  $ tilec inspect ../shared/models/mnist-8/model.onnx
  $ tilec inspect model.onnx --input-shape input=1,3,224,224 --json
  $ tilec inspect out/mnist.tbin`)
    .action((file: string, opts: RawLimitOptions & { inputShape?: InputShapes; printIrAfter?: string }, command: Command) => {
      const limits = resolveLimits(opts);
      if (isProgramFile(file)) {
        if (existsSync(file)) checkModelBytes(statSync(file).size, `program file '${file}'`, limits);
        const p = summarizeProgram(readProgram(file));
        if (wantsJson(command)) printJson(ctx, { program: file, ...p });
        else ctx.io.out(formatProgramSummary(file, p));
        return;
      }
      const g = loadFloatModel(file, {
        limits,
        inputShapes: opts.inputShape,
        warn: (m) => ctx.io.err(`warning: ${m}\n`),
        printIrAfter: opts.printIrAfter,
        print: (t) => ctx.io.err(t.endsWith('\n') ? t : `${t}\n`),
      });
      const summary = summarize(g);
      if (wantsJson(command)) printJson(ctx, { model: file, pipeline: 'float', ...summary });
      else ctx.io.out(formatSummary(file, summary));
    });
}

const indent = (text: string): string => text.trimEnd().split('\n').map((l) => `  ${l}`).join('\n');

export function formatSummary(file: string, s: ModelSummary): string {
  const values = (vs: ModelSummary['inputs']): string =>
    indent(formatTable(['name', 'dtype', 'shape'], vs.map((v) => [v.name, v.dtype, shapeStr(v.shape)])));
  const ops = Object.entries(s.op_counts).map(([op, n]) => `${op} ${n}`).join(', ');
  const layers = indent(formatTable(
    ['layer', 'op', 'output shape', 'MACs', 'params'],
    s.layers.map((l) => [l.name, l.op, shapeStr(l.output_shape), thousands(l.macs), thousands(l.params)]),
    new Set([3, 4]),
  ));
  return [
    `model ${file} (graph '${s.name}'), ${AFTER}`,
    '',
    'inputs:', values(s.inputs),
    'outputs:', values(s.outputs),
    `ops (${s.totals.nodes} nodes): ${ops}`,
    '',
    'layers:', layers,
    `totals: ${thousands(s.totals.nodes)} nodes, ${thousands(s.totals.macs)} MACs, ${thousands(s.totals.params)} parameters`,
    '',
  ].join('\n');
}
