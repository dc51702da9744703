import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../ir/errors.js';

// ONNX external data: a tensor's bytes live in a file next to the model, named by a relative
// `location`, from byte `offset` for `length` bytes. The location comes from an untrusted model, so it
// may only name a file inside the model's folder: no absolute paths, no `..`, no symlink leading out.

export interface ExternalRef { readonly location: string; readonly offset: number; readonly length?: number }

/** Parses the external_data key/value entries of a TensorProto. */
export function externalRef(entries: readonly { key?: string | null; value?: string | null }[], who: string): ExternalRef {
  let location: string | undefined, offset = 0, length: number | undefined;
  for (const { key, value } of entries) {
    const v = value ?? '';
    switch (key) {
      case 'location': location = v; break;
      case 'offset': offset = byteCount(v, 'offset', who); break;
      case 'length': length = byteCount(v, 'length', who); break;
      case 'checksum': break; // optional integrity hint; the size checks below catch truncation
      default: fail(`${who}: unknown external_data key '${key}'`);
    }
  }
  if (location === undefined || location === '') fail(`${who}: external data has no 'location'`);
  return length === undefined ? { location, offset } : { location, offset, length };
}

function byteCount(v: string, key: string, who: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) fail(`${who}: external data ${key} '${v}' is not a non-negative integer`);
  return Number(v);
}

/** Resolves `location` inside `baseDir`, refusing anything that would read outside it. */
export function resolveInside(baseDir: string, location: string, who: string): string {
  if (path.posix.isAbsolute(location) || path.win32.isAbsolute(location)) {
    fail(`${who}: external data location '${location}' is an absolute path; only paths relative to the model's folder are allowed`);
  }
  if (location.split(/[\\/]/).includes('..')) {
    fail(`${who}: external data location '${location}' contains '..'; only files inside the model's folder are allowed`);
  }
  const file = path.resolve(baseDir, location);
  let real: string, realBase: string;
  try {
    realBase = realpathSync(baseDir);
    real = realpathSync(file);
  } catch {
    fail(`${who}: external data file '${location}' not found in ${baseDir}`);
  }
  if (!real.startsWith(realBase + path.sep)) {
    fail(`${who}: external data location '${location}' resolves to ${real}, outside the model's folder ${realBase}`);
  }
  return real;
}

/**
 * The bytes of an external tensor. `expectedBytes` (computed from dims and dtype before anything is
 * allocated) must match the stored length, so a hostile length cannot make us allocate.
 */
export function readExternal(baseDir: string, ref: ExternalRef, expectedBytes: number, who: string): Uint8Array {
  const file = resolveInside(baseDir, ref.location, who);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    fail(`${who}: cannot open external data file '${ref.location}': ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(`${who}: external data location '${ref.location}' is not a regular file`);
    const size = st.size;
    if (ref.offset > size) fail(`${who}: external data offset ${ref.offset} is beyond the end of '${ref.location}' (${size} bytes)`);
    const length = ref.length ?? size - ref.offset;
    if (ref.offset + length > size) {
      fail(`${who}: external data [offset ${ref.offset}, length ${length}] runs past the end of '${ref.location}' (${size} bytes)`);
    }
    if (length !== expectedBytes) fail(`${who}: external data has ${length} bytes but the tensor needs ${expectedBytes}`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, ref.offset + done);
      if (n === 0) fail(`${who}: external data file '${ref.location}' ended early`);
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
