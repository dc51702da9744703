#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerAsm } from './commands/asm.js';
import { registerCheck } from './commands/check.js';
import { registerCompile } from './commands/compile.js';
import type { CommandContext } from './commands/context.js';
import { isEntryPoint } from './entry-point.js';
import { registerDisasm } from './commands/disasm.js';
import { addHelpExamples } from './help-examples.js';
import { registerInspect } from './commands/inspect.js';
import { registerRun } from './commands/run.js';
import { registerVerify } from './commands/verify.js';
import { EXIT, type Io, describeFailure, oneLine, processIo } from './io.js';

// The tilec command line. This file only wires commands together and turns every outcome into the
// contract's exit codes: 0 ok, 1 a check found failures, 2 bad input or usage (one `error:` line on
// stderr naming the file/node/tensor, no stack trace), and 3 (our extension) for a tilec bug, reported as
// one line `error: internal error (tilec bug): ...` (TILEC_DEBUG=1 adds the stack).

const EXIT_HELP = `
Exit status:
  0  success
  1  a check or verification ran and found failures
  2  bad input or usage (one "error:" line on stderr names the file, node or tensor)
  3  internal error: a bug in tilec (please report it; TILEC_DEBUG=1 prints the stack)

Every command takes --json: stdout then carries exactly one JSON document; logs go to stderr.`;

/** The version in the package.json above this file (works from cli/ and from dist/cli/). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tilec' && pkg.version) return pkg.version;
    } catch { /* not here: keep walking up */ }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** A fresh program per call (commander keeps parse state), writing through `ctx.io`. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('tilec');
  program
    .description('Compile ONNX models into tiled int8 programs for a t×t matrix-multiply accelerator, and check them.')
    .version(packageVersion(), '-V, --version', 'print the tilec version')
    .option('--json', 'print one JSON document on stdout instead of human output')
    .helpOption('-h, --help', 'show help (also: tilec help COMMAND)')
    // Settings below are inherited by every command created with program.command().
    .exitOverride()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: true })
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      // Only commander's help-as-error (no command given) reaches writeErr: main() replaces it with one line.
      writeErr: () => {},
      // Commander's own errors ("error: unknown option '--x'" + a "(Did you mean ...?)" line) become one line.
      // (Written directly: commander would pass writeErr, which is muted above.)
      outputError: (s) => ctx.io.err(`${oneLine(s)}\n`),
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_HELP);
  registerCheck(program, ctx);
  registerInspect(program, ctx);
  registerCompile(program, ctx);
  registerVerify(program, ctx);
  registerRun(program, ctx);
  registerDisasm(program, ctx);
  registerAsm(program, ctx);
  addHelpExamples(program);
  return program;
}

/** Exit code of commander's own early exits (help, version, usage errors). */
function commanderExit(e: CommanderError, io: Io): number {
  const noCommand = (): number => {
    io.err("error: no command given; run 'tilec --help' for the list of commands\n");
    return EXIT.badInput;
  };
  switch (e.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return EXIT.ok;
    case 'commander.help':
      // Commander shows help as an error when no command was given: a usage error.
      return e.exitCode === 0 ? EXIT.ok : noCommand();
    default:
      // Usage errors: the one `error:` line was already written by outputError.
      return EXIT.badInput;
  }
}

/** Runs tilec with user arguments (no node/script prefix) and returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const ctx: CommandContext = { io, exitCode: EXIT.ok };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return commanderExit(e, io);
    const f = describeFailure(e);
    io.err(`error: ${f.message}\n`);
    if (f.code === EXIT.internal && process.env.TILEC_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return f.code;
  }
}

if (isEntryPoint(import.meta.url)) {
  // A closed pipe (`tilec check ... | head`) means the reader has seen enough: stop quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2));
}
