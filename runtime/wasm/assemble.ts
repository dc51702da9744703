import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The one way tilec turns a .wat kernel into the base64 TypeScript module the runtime loads (so the packaged
// runtime needs neither wabt, a devDependency, nor a file path). Every kernel's build.ts is a kernelBuild
// (runtime/float/wasm, runtime/tile/wasm, runtime/tile/host/wasm, passes/quantize/wasm); left out of dist
// (tsconfig.build.json).

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

/** One kernel's build: its .wat, the generated module, and how to make it (tests compare the committed file). */
export interface KernelBuild {
  readonly watFile: string;
  readonly generatedFile: string;
  /** The WebAssembly binary of the .wat, validated. */
  assemble(): Promise<Uint8Array<ArrayBuffer>>;
  /** The generated module's text for `bytes`. */
  generatedSource(bytes: Uint8Array): string;
  /** Assembles and writes the generated module when the build script itself is the program being run. */
  writeIfRun(): Promise<void>;
}

/** The build of `wat` into `generated`, both next to the build script at `scriptUrl` (its import.meta.url). */
export function kernelBuild(scriptUrl: string, wat: string, generated: string, header: GeneratedHeader, features: WatFeatures = {}): KernelBuild {
  const here = path.dirname(fileURLToPath(scriptUrl));
  const watFile = path.join(here, wat), generatedFile = path.join(here, generated);
  const assemble = (): Promise<Uint8Array<ArrayBuffer>> => assembleWat(watFile, features);
  const generatedSource = (bytes: Uint8Array): string => generatedModule(bytes, header);
  return {
    watFile, generatedFile, assemble, generatedSource,
    async writeIfRun() {
      if (process.argv[1] === undefined || scriptUrl !== pathToFileURL(path.resolve(process.argv[1])).href) return;
      const bytes = await assemble();
      writeGenerated(generatedFile, generatedSource(bytes), bytes);
    },
  };
}
