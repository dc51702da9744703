import { TilecError } from '../ir/errors.js';

/** Where a command writes. main() gets process streams; tests pass collectors. */
export interface Io {
  /** stdout: human output, or the one JSON document under --json. */
  out(text: string): void;
  /** stderr: progress, warnings and the `error:` line. */
  err(text: string): void;
  /**
   * stdout for large output (`tilec disasm`), one chunk of whole UTF-8 lines at a time: resolves when the
   * stream can take more, so a slow pipe holds the writer back instead of buffering the whole output.
   * Absent (test collectors): `out` gets each chunk as text.
   */
  outChunk?(bytes: Uint8Array): Promise<void>;
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  // On a closed pipe 'drain' never comes; tilec.ts exits on stdout's EPIPE error instead.
  outChunk: (b) => new Promise((resolve) => { if (process.stdout.write(b)) resolve(); else process.stdout.once('drain', resolve); }),
};

/** Writes chunks of whole UTF-8 lines to stdout, waiting for the stream where it can (Io.outChunk). */
export async function writeOutChunks(io: Io, chunks: Iterable<Uint8Array>): Promise<void> {
  for (const c of chunks) {
    if (io.outChunk) await io.outChunk(c);
    else io.out(Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8'));
  }
}

/** Exit codes: the contract's 0/1/2, plus 3 for tilec bugs (a documented extension). */
export const EXIT = { ok: 0, checkFailed: 1, badInput: 2, internal: 3 } as const;

const BUG_PREFIX = 'internal error (tilec bug): ';

/** Collapses a message to one line so an `error:` report is always exactly one stderr line. */
export const oneLine = (message: string): string => message.replace(/\s*\n\s*/g, ' ').trim();

/** Node's fs error codes that mean "the user pointed at a bad path", not a tilec bug. */
const USER_FS_CODES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a path component is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
};

const FS_VERB: Readonly<Record<string, string>> = {
  open: 'read', read: 'read', scandir: 'list', opendir: 'list', write: 'write', mkdir: 'create', rename: 'write',
};

interface FsError { code: string; path?: string; syscall?: string }
const isFsError = (e: unknown): e is FsError =>
  e instanceof Error && typeof (e as unknown as { code?: unknown }).code === 'string' && (e as unknown as FsError).code in USER_FS_CODES;

/**
 * Classifies anything thrown by a command: bad input (TilecError, a bad path) is the user's (exit 2);
 * everything else is a tilec bug (exit 3). Returns the single stderr line without the `error: ` prefix.
 */
export function describeFailure(e: unknown): { code: number; message: string } {
  if (e instanceof TilecError) return { code: EXIT.badInput, message: oneLine(e.message) };
  if (isFsError(e)) {
    const where = e.path !== undefined ? `'${e.path}'` : 'file';
    const verb = FS_VERB[e.syscall ?? ''] ?? 'access';
    return { code: EXIT.badInput, message: `cannot ${verb} ${where}: ${USER_FS_CODES[e.code]}` };
  }
  const text = e instanceof Error ? e.message : String(e);
  const bare = text.startsWith(BUG_PREFIX) ? text.slice(BUG_PREFIX.length) : text;
  return { code: EXIT.internal, message: BUG_PREFIX + oneLine(bare) };
}
