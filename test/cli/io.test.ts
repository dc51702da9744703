import { describe, expect, it } from 'vitest';
import { describeFailure, oneLine } from '../../cli/io.js';
import { TilecError, UnsupportedError, invariant } from '../../ir/errors.js';

describe('describeFailure', () => {
  it('bad input is exit 2 with the message as is', () => {
    expect(describeFailure(new TilecError("m.onnx: Conv 'c1': bad pads"))).toEqual({ code: 2, message: "m.onnx: Conv 'c1': bad pads" });
    expect(describeFailure(new UnsupportedError('op Tanh')).code).toBe(2);
  });

  it('a bad path is exit 2 naming the path', () => {
    const e = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: 'x/y.onnx', syscall: 'open' });
    expect(describeFailure(e)).toEqual({ code: 2, message: "cannot read 'x/y.onnx': no such file or directory" });
    const d = Object.assign(new Error('EACCES'), { code: 'EACCES', path: 'd', syscall: 'scandir' });
    expect(describeFailure(d)).toEqual({ code: 2, message: "cannot list 'd': permission denied" });
  });

  it('anything else is a tilec bug, exit 3, prefixed exactly once', () => {
    expect(describeFailure(new TypeError('x is undefined'))).toEqual({ code: 3, message: 'internal error (tilec bug): x is undefined' });
    let thrown: unknown;
    try { invariant(false, 'graph lost a value'); } catch (e) { thrown = e; }
    expect(describeFailure(thrown)).toEqual({ code: 3, message: 'internal error (tilec bug): graph lost a value' });
    expect(describeFailure('a string')).toEqual({ code: 3, message: 'internal error (tilec bug): a string' });
  });

  it('keeps every report on one line', () => {
    expect(oneLine('first\n  second\r\nthird\n')).toBe('first second third');
    expect(describeFailure(new TilecError('a\nb')).message).toBe('a b');
  });
});
