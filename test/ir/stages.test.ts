import { describe, expect, it } from 'vitest';
import { TilecError } from '../../ir/errors.js';
import { OP_NAMES } from '../../ir/ops.js';
import { STAGES, checkStage, stageOnly, stageWithout } from '../../ir/stages.js';
import { T, graph, mk } from './build.js';

const g = graph({
  name: 'm',
  inputs: { x: T('float32', 2) },
  nodes: [mk('Identity', ['x'], {}, ['a'], 'id'), mk('Relu', ['a'], {}, ['b'], 'relu'), mk('Dropout', ['b'], {}, ['c'], 'drop')],
  outputs: ['c'],
});

describe('stages', () => {
  it('imported allows every op', () => {
    expect([...STAGES.imported.allowed].sort()).toEqual([...OP_NAMES].sort());
    expect(() => checkStage(g, STAGES.imported)).not.toThrow();
  });

  it('float forbids Identity, Dropout and Constant and names the first offender', () => {
    for (const op of ['Identity', 'Dropout', 'Constant'] as const) expect(STAGES.float.allowed.has(op)).toBe(false);
    expect(STAGES.float.allowed.size).toBe(OP_NAMES.length - 3);
    expect(() => checkStage(g, STAGES.float)).toThrow(TilecError);
    expect(() => checkStage(g, STAGES.float)).toThrow("graph 'm' violates stage 'float' (cleaned-up float graph: no Identity, Dropout or Constant nodes): Identity 'id' is not allowed");
  });

  it('new stages derive from old ones', () => {
    const quantized = stageWithout('quantized', STAGES.float, ['Conv', 'Gemm', 'MatMul'], 'no float GEMM');
    expect(quantized.allowed.has('Conv')).toBe(false);
    expect(quantized.allowed.has('Identity')).toBe(false);
    expect(quantized.allowed.has('QLinearConv')).toBe(true);
    const relusOnly = stageOnly('relus', ['Relu'], 'only Relu');
    expect(() => checkStage(g, relusOnly)).toThrow("Identity 'id' is not allowed");
    expect(() => checkStage(graph({ inputs: { x: T('float32', 1) }, nodes: [mk('Relu', ['x'], {}, ['y'])] }), relusOnly)).not.toThrow();
  });
});
