import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../helpers/shared.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { expectClose, loadNodeCase } from './onnx-node-case.js';

// ONNX backend node tests for the elementwise and shape kernels, run through the interpreter so the
// kernels' output types are also checked against the graph.

const OPS = /^test_(add|sub|mul|div|sum|relu|clip|leakyrelu|sigmoid|softmax|concat|flatten|reshape|transpose|squeeze|unsqueeze|constant|constantofshape|shape|gather|identity|dropout)(_|$)/;
const root = sharedPath('onnx-node-tests');
const cases = root ? readdirSync(root).filter((d) => OPS.test(d)).sort() : [];

describe.skipIf(!root)('ONNX node tests: elementwise and shape float kernels', () => {
  it('finds every expected test directory', () => {
    expect(cases.length).toBe(95);
  });
  it.each(cases)('%s', (name) => {
    const { graph, feeds, expected } = loadNodeCase(path.join(root!, name));
    expect(expected.size).toBeGreaterThan(0);
    const got = runGraph(graph, feeds, evaluateFloat);
    for (const [out, want] of expected) expectClose(got.get(out)!, want, `${name} output '${out}'`);
  });
});
