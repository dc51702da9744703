import { describe, expect, it } from 'vitest';
import { fail } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { printGraph } from '../../ir/print.js';
import { STAGES } from '../../ir/stages.js';
import { runPasses } from '../../passes/manager.js';
import type { Pass } from '../../passes/pass.js';
import { removeIdentityPass } from '../../passes/remove-identity.js';
import { evaluateRef } from './reference.js';
import { buildGraph, node, vt } from './build.js';

const ctx = { evaluate: evaluateRef, options: {} };
const g0 = (): Graph => buildGraph({
  inputs: { x: vt('float32', [2]) },
  nodes: [node('Relu', 'r', ['x'], ['a'], {}), node('Identity', 'id', ['a'], ['b'], {}), node('Sigmoid', 's', ['b'], ['y'], {})],
  outputs: ['y'],
});
const nothing: Pass = { name: 'nothing', run: (g) => g };

describe('runPasses', () => {
  it('runs passes in order and records, per pass, the time and whether it changed the graph', () => {
    const g = g0();
    const { graph, timings } = runPasses(g, [nothing, removeIdentityPass, nothing], ctx);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Relu', 'Sigmoid']);
    expect(timings.map((t) => [t.pass, t.changed])).toEqual([['nothing', false], ['remove-identity', true], ['nothing', false]]);
    for (const t of timings) expect(t.ms).toBeGreaterThanOrEqual(0);
    expect(runPasses(g, [], ctx).graph).toBe(g);
  });

  it('prints the IR after the named pass only', () => {
    const out: string[] = [];
    const { graph } = runPasses(g0(), [nothing, removeIdentityPass], ctx, { printIrAfter: 'remove-identity', print: (t) => out.push(t) });
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(`// IR after pass 'remove-identity'\n${printGraph(graph)}`);
    expect(out[0]).not.toContain('Identity');
  });

  it("prints after every pass with 'all', and one timing line per pass with timePasses", () => {
    const out: string[] = [];
    runPasses(g0(), [nothing, removeIdentityPass], ctx, { printIrAfter: 'all', timePasses: true, print: (t) => out.push(t) });
    expect(out.map((t) => t.split('\n')[0]!.replace(/[\d.]+ ms/, 'N ms'))).toEqual([
      'pass nothing: N ms (no change)', "// IR after pass 'nothing' (no change)",
      'pass remove-identity: N ms', "// IR after pass 'remove-identity'",
    ]);
  });

  it('prints nothing without a print sink', () => {
    expect(() => runPasses(g0(), [removeIdentityPass], ctx, { printIrAfter: 'all', timePasses: true })).not.toThrow();
  });

  it('reports a pass that breaks the IR as a tilec bug naming the pass', () => {
    // Drops the Identity without renaming its uses: 'b' is then never defined.
    const broken: Pass = { name: 'broken', run: (g) => ({ ...g, nodes: g.nodes.filter((n) => n.op !== 'Identity') }) };
    expect(() => runPasses(g0(), [nothing, broken], ctx))
      .toThrow(/^internal error \(tilec bug\): after pass 'broken': .*'b'/);
  });

  it('checks the stage spec after a pass that declares one, even when it changed nothing', () => {
    const claimsFloat: Pass = { name: 'claims-float', stage: STAGES.float, run: (g) => g };
    expect(() => runPasses(g0(), [claimsFloat], ctx))
      .toThrow(/^internal error \(tilec bug\): after pass 'claims-float': .*stage 'float'.*Identity 'id'/);
    const cleaned = runPasses(g0(), [removeIdentityPass, claimsFloat], ctx);
    expect(cleaned.timings).toHaveLength(2);
  });

  it("passes user errors through unchanged and names the pass in a pass's own bug", () => {
    const userError: Pass = { name: 'picky', run: () => fail("Conv 'c': unsupported thing") };
    expect(() => runPasses(g0(), [userError], ctx)).toThrow(/^Conv 'c': unsupported thing$/);
    const buggy: Pass = { name: 'buggy', run: () => { throw new Error('internal error (tilec bug): oops'); } };
    expect(() => runPasses(g0(), [buggy], ctx)).toThrow(/^internal error \(tilec bug\): in pass 'buggy': oops$/);
  });
});
