import { main } from '../../cli/tilec.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** stderr split into lines (without the trailing empty one). */
  readonly errLines: readonly string[];
}

/** Runs tilec in-process with captured stdout/stderr. */
export async function runCli(...args: string[]): Promise<CliResult> {
  let out = '', err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err, errLines: err.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === '')) };
}
