import type { Command } from 'commander';
import type { Io } from '../io.js';

/** What a command action gets besides its arguments: where to write, and where to leave its exit code. */
export interface CommandContext {
  readonly io: Io;
  exitCode: number;
}

/** The global `--json` flag, wherever on the command line it was given. */
export const wantsJson = (cmd: Command): boolean => cmd.optsWithGlobals<{ json?: boolean }>().json === true;

/** Writes the one JSON document `--json` promises on stdout. */
export function printJson(ctx: CommandContext, doc: unknown): void {
  ctx.io.out(`${JSON.stringify(doc, null, 2)}\n`);
}
