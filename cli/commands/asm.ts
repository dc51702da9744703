import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { fail } from '../../ir/errors.js';
import { instructionCount } from '../../backend/program.js';
import { assembleLines } from '../../backend/tasm.js';
import { encodeTbin } from '../../backend/tbin.js';
import { readTextLines, writeFilesAtomically } from '../program-file.js';
import { type CommandContext, printJson, wantsJson } from './context.js';

// `tilec asm FILE.tasm -o FILE.tbin`: assembles text back into the binary program (docs/isa.md §5). Errors
// give file:line:col; nothing is written unless the whole program assembles and validates.

export const defaultTbinPath = (tasm: string): string => (tasm.toLowerCase().endsWith('.tasm') ? tasm.slice(0, -5) : tasm) + '.tbin';

export function registerAsm(program: Command, ctx: CommandContext): void {
  program
    .command('asm')
    .summary('assemble text assembly (.tasm) into a tile program (.tbin)')
    .description('Assembles FILE.tasm (as `tilec disasm` prints it, or written by hand) into a .tbin. The assembler\n'
      + 'checks every instruction and the tensor table; a disassembled program reassembles byte for byte.')
    .argument('<FILE>', 'FILE.tasm')
    .option('-o, --output <FILE.tbin>', 'the program to write (default: FILE with .tbin for .tasm)')
    .addHelpText('after', `
--json prints { source, output, bytes, instructions }.

Example:
  $ tilec asm mnist.tasm -o mnist.tbin`)
    .action((file: string, opts: { output?: string }, cmd: Command) => {
      if (!existsSync(file)) fail(`'${file}': no such file`);
      if (statSync(file).isDirectory()) fail(`'${file}' is a directory, expected a .tasm file`);
      const out = opts.output ?? defaultTbinPath(file);
      // Line by line: a large program's .tasm (VGG-19: ~550 MB) is more than one JS string holds.
      const p = assembleLines(readTextLines(file), file);
      const bytes = encodeTbin(p);
      writeFilesAtomically([{ path: out, bytes }]);
      if (wantsJson(cmd)) printJson(ctx, { source: file, output: out, bytes: bytes.length, instructions: instructionCount(p) });
      else ctx.io.out(`wrote ${out} (${bytes.length} bytes, ${instructionCount(p)} instructions)\n`);
    });
}
