// Two kinds of failure, kept apart so the CLI can tell the user which one happened:
// - TilecError: the input is bad or unsupported (exit 2, one `error:` line naming the culprit);
// - anything else thrown is a bug in tilec and is reported as such.

export class TilecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TilecError';
  }
}

/** Unsupported-but-valid input (an op, attribute or dtype tilec does not implement). */
export class UnsupportedError extends TilecError {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

/**
 * Input over one of tilec's resource limits (a tensor's elements, ...): `limit` names which, so a front end
 * (the CLI) can say how to raise it without parsing the message.
 */
export class LimitError extends TilecError {
  constructor(message: string, readonly limit: 'tensor-elements') {
    super(message);
    this.name = 'LimitError';
  }
}

/** Refuses a tensor larger than the element limit. */
export function failTensorLimit(message: string): never {
  throw new LimitError(message, 'tensor-elements');
}

export function fail(message: string): never {
  throw new TilecError(message);
}

export function unsupported(message: string): never {
  throw new UnsupportedError(message);
}

/** An internal invariant: failing it is a tilec bug, never the user's fault. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`internal error (tilec bug): ${message}`);
}
