import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// The one way tilec turns a .wat kernel into the base64 TypeScript module the runtime loads (so the packaged
// runtime needs neither wabt, a devDependency, nor a file path). Used by runtime/float/wasm/build.ts and
// runtime/tile/wasm/build.ts; left out of dist (tsconfig.build.json).

/** wabt feature flags a kernel may enable (SIMD128 always; relaxed SIMD never: it is not deterministic). */
export interface WatFeatures { readonly bulk_memory?: boolean }

/** The WebAssembly binary of `watFile`, validated. */
export async function assembleWat(watFile: string, features: WatFeatures = {}): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat(path.basename(watFile), readFileSync(watFile, 'utf8'), { simd: true, ...features });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** What the generated module says about itself: its two comment lines and the exported constant's name. */
export interface GeneratedHeader { readonly origin: string; readonly purpose: string; readonly constant: string }

/** The text of the generated module holding `bytes` as base64, in 100-character lines. */
export function generatedModule(bytes: Uint8Array, h: GeneratedHeader): string {
  const lines = Buffer.from(bytes).toString('base64').match(/.{1,100}/g) ?? [];
  return [`// ${h.origin}`, `// ${h.purpose}`, `export const ${h.constant} =`, `${lines.map((l) => `  '${l}'`).join(' +\n')};`, ''].join('\n');
}

/** Writes the generated module and says so on stdout. */
export function writeGenerated(file: string, text: string, bytes: Uint8Array): void {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)} (${bytes.length} bytes of WebAssembly)\n`);
}
