import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { KernelBuild } from '../../runtime/wasm/assemble.js';

// Every WebAssembly kernel is committed as generated base64 (runtime/wasm/assemble.ts kernelBuild); its test
// checks the commit is what the .wat assembles to and that the kernel is plain SIMD128.

/** Asserts the committed `base64` and generated module are exactly `build`'s assembly, without relaxed SIMD; returns the bytes. */
export async function expectCommittedKernel(build: KernelBuild, base64: string): Promise<Uint8Array> {
  const bytes = await build.assemble();
  expect(Buffer.from(base64, 'base64').equals(Buffer.from(bytes))).toBe(true);
  expect(readFileSync(build.generatedFile, 'utf8')).toBe(build.generatedSource(bytes));
  // Relaxed SIMD results may differ between machines.
  expect(readFileSync(build.watFile, 'utf8')).not.toMatch(/\.relaxed_/);
  return bytes;
}
