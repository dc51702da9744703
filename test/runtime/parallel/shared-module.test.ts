import { describe, expect, it } from 'vitest';
import { MATMUL_WASM_BASE64 } from '../../../runtime/tile/wasm/kernels-wasm.js';
import { sharedKernelModule, withSharedMemoryImport } from '../../../runtime/tile/parallel/shared-module.js';

// The two-thread runner loads the tile kernels with their memory import rewritten to `shared`: only the
// import's limits change, every other byte of the module stays.

/** The module's sections (id and body), in order. */
function sections(bytes: Uint8Array): { id: number; body: Uint8Array }[] {
  const out: { id: number; body: Uint8Array }[] = [];
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at]!;
    let size = 0, shift = 0, i = at + 1;
    for (;;) { const b = bytes[i++]!; size += (b & 0x7f) * 2 ** shift; if (!(b & 0x80)) break; shift += 7; }
    out.push({ id, body: bytes.subarray(i, i + size) });
    at = i + size;
  }
  return out;
}

describe('withSharedMemoryImport', () => {
  const original = Uint8Array.from(Buffer.from(MATMUL_WASM_BASE64, 'base64'));

  it('changes only the import section, and the result runs on a shared memory', () => {
    const patched = withSharedMemoryImport(original, 65536);
    expect(WebAssembly.validate(patched)).toBe(true);
    const a = sections(original), b = sections(patched);
    expect(b.map((s) => s.id)).toEqual(a.map((s) => s.id));
    for (let k = 0; k < a.length; k++) if (a[k]!.id !== 2) expect(Buffer.from(b[k]!.body).equals(Buffer.from(a[k]!.body))).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
    const instance = new WebAssembly.Instance(sharedKernelModule(65536), { env: { memory } });
    expect(Object.keys(instance.exports)).toEqual(Object.keys(new WebAssembly.Instance(new WebAssembly.Module(original), { env: { memory: new WebAssembly.Memory({ initial: 2 }) } }).exports));
    // An ordinary memory no longer fits the import.
    expect(() => new WebAssembly.Instance(sharedKernelModule(65536), { env: { memory: new WebAssembly.Memory({ initial: 2 }) } })).toThrow();
  });

  it('keeps other imports as they are', async () => {
    const wabt = await (await import('wabt')).default();
    const wat = '(module (import "env" "f" (func $f (param i32))) (import "env" "g" (global i32)) (import "env" "memory" (memory 1 4)) (func (export "run") (call $f (i32.load (i32.const 0)))))';
    const m = wabt.parseWat('t.wat', wat);
    const bytes = Uint8Array.from(m.toBinary({}).buffer);
    m.destroy();
    const patched = withSharedMemoryImport(bytes, 8);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(patched));
    expect(imports.map((i) => `${i.name}:${i.kind}`)).toEqual(['f:function', 'g:global', 'memory:memory']);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 8, shared: true });
    new Int32Array(memory.buffer)[0] = 42;
    let seen = 0;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(patched), { env: { f: (v: number) => { seen = v; }, g: new WebAssembly.Global({ value: 'i32' }, 0), memory } });
    (instance.exports.run as () => void)();
    expect(seen).toBe(42);
  });
});
