import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// How a module starts its worker thread from the same place it runs from: built (.js), the worker script next
// to it; from source (.ts, under tsx), a bootstrap that registers tsx's loader in the worker first, because a
// worker does not inherit its parent's loader hooks. Used by every worker tilec starts (verify over samples, the
// two-thread tile runtime, the schedule search).

/** The URL to give `new Worker(...)` for the script `name` (no extension) next to the module at `moduleUrl`. */
export function workerScriptUrl(moduleUrl: string, name: string): URL {
  if (!moduleUrl.endsWith('.ts')) return new URL(`./${name}.js`, moduleUrl);
  const tsxDir = path.dirname(createRequire(moduleUrl).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const target = new URL(`./${name}.ts`, moduleUrl).href;
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
