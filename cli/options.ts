import { InvalidArgumentError } from 'commander';

// Option parsers shared by every command. They throw commander's InvalidArgumentError, which commander
// turns into `error: option '--x <v>' argument 'v' is invalid. <our reason>` (one line, exit 2).

/** Fixed input shapes from repeated `--input-shape NAME=D0,D1,...`. */
export type InputShapes = ReadonlyMap<string, readonly number[]>;

/**
 * Parses one `NAME=D0,D1,...` (`NAME=` is a scalar). The name is everything before the LAST '=',
 * so tensor names that contain '=' still work; dims are integers >= 1.
 */
export function parseInputShape(spec: string): [string, number[]] {
  const eq = spec.lastIndexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected NAME=D0,D1,... (e.g. input=1,3,224,224), got '${spec}'`);
  const name = spec.slice(0, eq);
  const dimsText = spec.slice(eq + 1).trim();
  if (dimsText === '') return [name, []];
  const dims = dimsText.split(',').map((d) => d.trim());
  for (const d of dims) {
    if (!/^[0-9]+$/.test(d) || Number(d) < 1 || !Number.isSafeInteger(Number(d))) {
      throw new InvalidArgumentError(`dimension '${d}' of input '${name}' in '${spec}' is not an integer >= 1`);
    }
  }
  return [name, dims.map(Number)];
}

/** Commander accumulator for the repeatable `--input-shape`: rejects giving the same input twice. */
export function collectInputShape(spec: string, previous: Map<string, number[]> | undefined): Map<string, number[]> {
  const acc = new Map(previous ?? []);
  const [name, dims] = parseInputShape(spec);
  if (acc.has(name)) {
    throw new InvalidArgumentError(`input '${name}' is given twice ([${acc.get(name)!.join(',')}] and [${dims.join(',')}])`);
  }
  acc.set(name, dims);
  return acc;
}

/** A finite number >= 0 (tolerances). */
export function parseNonNegative(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`expected a number >= 0, got '${text}'`);
  return v;
}

/** An integer >= 1 (counts, limits). */
export function parsePositiveInt(text: string): number {
  const v = Number(text);
  if (!/^[0-9]+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError(`expected an integer >= 1, got '${text}'`);
  return v;
}
