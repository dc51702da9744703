import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
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
 * What a file holds: its bytes or text, or chunks produced only while it is written (a VGG-19 .tasm is
 * ~550 MB, more than one JS string holds, and nothing needs it in memory at once). Each chunk is written
 * before the next is asked for, so a producer may fill the same memory again (disassembleChunks' reuse).
 */
export type FileContent = Uint8Array | string | { readonly chunks: () => Iterable<Uint8Array | string> };

/**
 * Writes every file or none: each goes to a temporary name beside its target first, and only when all are
 * written are they renamed into place. On failure the temporaries are removed and the error rethrown.
 */
export function writeFilesAtomically(files: readonly { readonly path: string; readonly bytes: FileContent }[]): void {
  const staged: [string, string][] = [];
  try {
    for (const f of files) {
      const tmp = path.join(path.dirname(f.path), `.${path.basename(f.path)}.${process.pid}.tmp`);
      staged.push([tmp, f.path]);
      writeContent(tmp, f.bytes);
    }
    for (const [tmp, final] of staged) renameSync(tmp, final);
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
}

function writeContent(file: string, content: FileContent): void {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    writeFileSync(file, content);
    return;
  }
  const fd = openSync(file, 'w');
  try {
    for (const chunk of content.chunks()) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let o = 0; o < bytes.length;) o += writeSync(fd, bytes, o, bytes.length - o);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The lines of a UTF-8 text file without their line ends, exactly as `text.split(/\r?\n/)` gives them, read
 * `chunkBytes` at a time: `tilec asm` reads a .tasm larger than one JS string can hold.
 */
export function* readTextLines(file: string, chunkBytes = 1 << 20): Generator<string, void, undefined> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let partial = ''; // the text after the last line end so far
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      const text = partial + (n === 0 ? decoder.end() : decoder.write(buf.subarray(0, n)));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        yield text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
        start = nl + 1;
      }
      partial = text.slice(start);
      if (n === 0) break;
    }
    yield partial;
  } finally {
    closeSync(fd);
  }
}
