import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO_ROOT, '../shared');

/**
 * Absolute path of `rel` inside ../shared, or undefined when it is missing.
 * Under CI=true a missing path is an error (CI always has ../shared); elsewhere the caller skips
 * and a visible message says why.
 */
export function sharedPath(rel: string): string | undefined {
  const p = path.join(SHARED, rel);
  if (existsSync(p)) return p;
  if (process.env.CI === 'true') throw new Error(`../shared/${rel} is missing, and CI must have it`);
  console.warn(`SKIPPED: ../shared/${rel} is missing; tests that need it are skipped`);
  return undefined;
}
