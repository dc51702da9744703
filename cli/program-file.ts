import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../ir/errors.js';
import { TBIN_MAGIC, decodeTbin } from '../backend/tbin.js';
import type { TileProgram } from '../backend/program.js';

// Reading tile programs and writing command outputs, shared by run, disasm, asm and inspect.

function checkFile(file: string): void {
  if (!existsSync(file)) fail(`'${file}': no such file`);
  if (statSync(file).isDirectory()) fail(`'${file}' is a directory, expected a file`);
}

/** Reads and validates a .tbin (every error names the file). */
export function readProgram(file: string): TileProgram {
  checkFile(file);
  return decodeTbin(readFileSync(file), file);
}

/** True when `file` starts with the .tbin magic (whatever its extension). */
export function isProgramFile(file: string): boolean {
  if (path.extname(file).toLowerCase() === '.tbin') return true;
  if (!existsSync(file) || statSync(file).isDirectory()) return false;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(TBIN_MAGIC.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.toString('latin1') === TBIN_MAGIC;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes every file or none: each goes to a temporary name beside its target first, and only when all are
 * written are they renamed into place. On failure the temporaries are removed and the error rethrown.
 */
export function writeFilesAtomically(files: readonly { readonly path: string; readonly bytes: Uint8Array | string }[]): void {
  const staged: [string, string][] = [];
  try {
    for (const f of files) {
      const tmp = path.join(path.dirname(f.path), `.${path.basename(f.path)}.${process.pid}.tmp`);
      staged.push([tmp, f.path]);
      writeFileSync(tmp, f.bytes);
    }
    for (const [tmp, final] of staged) renameSync(tmp, final);
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
}
