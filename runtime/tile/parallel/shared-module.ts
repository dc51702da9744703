import { MATMUL_WASM_BASE64 } from '../wasm/kernels-wasm.js';

// The tile kernels' module with its imported memory declared shared, for the two-thread runner: a shared
// WebAssembly.Memory can only be imported where the import says `shared` (with a maximum). Rewriting the one
// import's limits in the binary keeps a single kernel source (matmul.wat) and leaves the one-thread machine on
// an ordinary memory; the instructions are the same bytes, so results are too.

const IMPORT_SECTION = 2, MEMORY_KIND = 2;
/** Limits flags: 0 = min, 1 = min and max, 3 = min, max, shared. */
const HAS_MAX = 1, SHARED_WITH_MAX = 3;

function readU32(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0, shift = 0, i = at;
  for (;;) {
    const b = bytes[i++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i };
    shift += 7;
  }
}

/** `value` as an unsigned LEB128 (WebAssembly's u32 encoding). */
export function u32Leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    const b = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? b | 0x80 : b);
  } while (v > 0);
  return out;
}

/** `module` (a WebAssembly binary) with its imported memory's limits replaced by (its minimum, `maxPages`, shared). */
export function withSharedMemoryImport(module: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  const out: number[] = Array.from(module.subarray(0, 8));
  let at = 8, patched = false;
  while (at < module.length) {
    const id = module[at]!;
    const size = readU32(module, at + 1);
    const body = module.subarray(size.next, size.next + size.value);
    at = size.next + size.value;
    if (id !== IMPORT_SECTION) {
      out.push(id, ...u32Leb(body.length), ...body);
      continue;
    }
    const section: number[] = [];
    const count = readU32(body, 0);
    section.push(...u32Leb(count.value));
    let p = count.next;
    for (let i = 0; i < count.value; i++) {
      const start = p;
      const moduleName = readU32(body, p); p = moduleName.next + moduleName.value;
      const field = readU32(body, p); p = field.next + field.value;
      const kind = body[p++]!;
      if (kind !== MEMORY_KIND) {
        // Functions (type index), tables (reference type, limits) and globals (value type, mutability) as they are.
        if (kind === 0) p = readU32(body, p).next;
        else if (kind === 1) { p++; const f = body[p++]!; p = readU32(body, p).next; if (f & HAS_MAX) p = readU32(body, p).next; }
        else if (kind === 3) p += 2;
        else throw new Error(`the tile kernels import something of unknown kind ${kind}`);
        section.push(...body.subarray(start, p));
        continue;
      }
      section.push(...body.subarray(start, p));
      const flags = body[p++]!;
      const min = readU32(body, p); p = min.next;
      if (flags & HAS_MAX) p = readU32(body, p).next;
      section.push(SHARED_WITH_MAX, ...u32Leb(min.value), ...u32Leb(maxPages));
      patched = true;
    }
    out.push(id, ...u32Leb(section.length), ...section);
  }
  if (!patched) throw new Error('the tile kernels import no memory');
  return Uint8Array.from(out);
}

let compiled: WebAssembly.Module | undefined;
let compiledMax = 0;

/** The tile kernels compiled for a shared memory of at most `maxPages` pages (cached per maximum). */
export function sharedKernelModule(maxPages: number): WebAssembly.Module {
  if (compiled === undefined || compiledMax !== maxPages) {
    compiled = new WebAssembly.Module(withSharedMemoryImport(Buffer.from(MATMUL_WASM_BASE64, 'base64'), maxPages));
    compiledMax = maxPages;
  }
  return compiled;
}
