import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// A bug inside a command (here: test discovery throwing a plain Error) must come out as exit 3 and one
// `error: internal error (tilec bug): ...` line, not a stack trace.
vi.mock('../../cli/check/discover.js', () => ({
  discoverTests: () => { throw new TypeError("Cannot read properties of undefined (reading 'dir')"); },
}));

describe('internal errors', () => {
  it('exit 3 with one line naming it a tilec bug', async () => {
    vi.stubEnv('TILEC_DEBUG', '');
    const r = await runCli('check', 'anything');
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.errLines).toEqual(["error: internal error (tilec bug): Cannot read properties of undefined (reading 'dir')"]);
  });
});
