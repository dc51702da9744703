import type { Command } from 'commander';
import { instructionCount, type TileProgram } from '../../backend/program.js';
import { TASM_CHUNK_BYTES, disassemble, disassembleChunks } from '../../backend/tasm.js';
import { fail } from '../../ir/errors.js';
import { writeOutChunks } from '../io.js';
import { readProgram, writeFilesAtomically } from '../program-file.js';
import { type CommandContext, printJson, wantsJson } from './context.js';

// `tilec disasm PROGRAM.tbin`: the program as text assembly (docs/isa.md §5); `tilec asm` turns it back into
// the identical .tbin. The text is streamed in chunks (backend/tasm.ts disassembleChunks), never built as one
// string: a large program's .tasm (VGG-19: ~550 MB) does not fit in one. Only --json without -o, which puts
// the text inside the JSON document, needs it whole.

export function registerDisasm(program: Command, ctx: CommandContext): void {
  program
    .command('disasm')
    .summary('print a tile program as text assembly (.tasm)')
    .description('Prints PROGRAM.tbin as .tasm: the target, tensor table, constants and host data as directives, then one\n'
      + 'instruction per line. Every field is printed, so `tilec asm` reassembles the identical .tbin.')
    .argument('<PROGRAM>', 'PROGRAM.tbin')
    .option('-o, --output <FILE.tasm>', 'write the assembly to a file instead of stdout')
    .addHelpText('after', `
--json prints { program, instructions, tasm }.

Examples:
  $ tilec disasm out/mnist.tbin | less
  $ tilec disasm out/mnist.tbin -o mnist.tasm && tilec asm mnist.tasm -o copy.tbin && cmp out/mnist.tbin copy.tbin`)
    .action(async (file: string, opts: { output?: string }, cmd: Command) => {
      const p = readProgram(file);
      if (opts.output !== undefined) writeFilesAtomically([{ path: opts.output, bytes: { chunks: () => disassembleChunks(p, TASM_CHUNK_BYTES, true) } }]);
      if (wantsJson(cmd)) printJson(ctx, { program: file, instructions: instructionCount(p), ...(opts.output !== undefined ? { file: opts.output } : { tasm: wholeText(p, file) }) });
      else if (opts.output !== undefined) ctx.io.out(`wrote ${opts.output} (${instructionCount(p)} instructions)\n`);
      else await writeOutChunks(ctx.io, disassembleChunks(p));
    });
}

/** The .tasm as one string, for --json; a program whose text exceeds a JS string is told to use -o. */
function wholeText(p: TileProgram, file: string): string {
  try {
    return disassemble(p);
  } catch (e) {
    // Buffer's toString throws ERR_STRING_TOO_LONG; string building throws RangeError (Invalid string length).
    if (e instanceof RangeError || (e instanceof Error && (e as { code?: unknown }).code === 'ERR_STRING_TOO_LONG')) fail(`'${file}': its .tasm is too large for one string inside --json; write it with -o FILE.tasm`);
    throw e;
  }
}
