import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { build } from '../../runtime/tile/wasm/build.js';
import { expectCommittedKernel } from '../helpers/kernel-build.js';
import { MATMUL_WASM_BASE64 } from '../../runtime/tile/wasm/kernels-wasm.js';

// The committed WebAssembly bytes must be what runtime/tile/wasm/matmul.wat assembles to (npm run build:wasm).

describe('tile machine WebAssembly kernels', () => {
  it('kernels-wasm.ts holds exactly the assembled matmul.wat', async () => {
    await expectCommittedKernel(build, MATMUL_WASM_BASE64);
  });

  it('uses no relaxed-SIMD instruction (their names all contain .relaxed_)', async () => {
    // Relaxed SIMD results may differ between machines; the kernel must be plain SIMD128.
    const wat = readFileSync(new URL('../../runtime/tile/wasm/matmul.wat', import.meta.url), 'utf8');
    expect(wat).not.toMatch(/\.relaxed_/);
    expect(wat).toMatch(/i32x4\.dot_i16x8_s/);
    expect(WebAssembly.validate(await build.assemble())).toBe(true);
  });
});
