import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../../ir/errors.js';

/** One backend test: a directory holding model.onnx and test_data_set_*. */
export interface TestCase {
  /** The directory name, or parent/name when found two levels below a given DIR. */
  readonly name: string;
  readonly dir: string;
}

const isDir = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
const isTest = (dir: string): boolean => existsSync(path.join(dir, 'model.onnx'));

function subdirs(dir: string): string[] {
  return readdirSync(dir).sort().filter((n) => isDir(path.join(dir, n)));
}

/** The tests under one DIR: DIR itself, or tests one or two levels below it. */
function testsUnder(root: string): TestCase[] {
  if (!existsSync(root)) fail(`'${root}': no such directory`);
  if (!isDir(root)) fail(`'${root}' is not a directory (check takes backend-test directories)`);
  if (isTest(root)) return [{ name: path.basename(path.resolve(root)), dir: root }];
  const found: TestCase[] = [];
  for (const child of subdirs(root)) {
    const c = path.join(root, child);
    if (isTest(c)) { found.push({ name: child, dir: c }); continue; }
    for (const grand of subdirs(c)) {
      const g = path.join(c, grand);
      if (isTest(g)) found.push({ name: `${child}/${grand}`, dir: g });
    }
  }
  if (found.length === 0) fail(`'${root}': no model.onnx in it or in its subdirectories (searched two levels deep)`);
  return found;
}

/** All tests under the given DIRs, each directory once, sorted by name (then path) for stable reports. */
export function discoverTests(roots: readonly string[]): TestCase[] {
  const seen = new Set<string>();
  const all: TestCase[] = [];
  for (const root of roots) {
    for (const t of testsUnder(root)) {
      const real = realpathSync(t.dir);
      if (seen.has(real)) continue;
      seen.add(real);
      all.push(t);
    }
  }
  return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}
