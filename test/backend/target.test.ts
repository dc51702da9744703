import { describe, expect, it } from 'vitest';
import {
  TARGET_PRESETS, accumulatorSlots, parseTargetJson, presetTarget, scratchpadSlots, targetFromJson, validateTarget, withTile,
} from '../../backend/target.js';
import { TilecError } from '../../ir/errors.js';

const base = {
  name: 'x', tile: 16, scratchpadBytes: 262144, accumulatorBytes: 65536, dramBytesPerCycle: 16,
  latency: { load: 80, matmul: 32, store: 40 },
};

const err = (f: () => unknown): string => {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(TilecError); return (e as Error).message; }
  throw new Error('expected a TilecError');
};

describe('target presets', () => {
  it('default is Gemmini-like: t=16, 1024 scratchpad and 64 accumulator slots', () => {
    const t = presetTarget('default');
    expect([t.tile, scratchpadSlots(t), accumulatorSlots(t)]).toEqual([16, 1024, 64]);
  });

  it('tiny is t=8 with 16 KiB / 4 KiB (256 and 16 slots)', () => {
    const t = presetTarget('tiny');
    expect([t.tile, t.scratchpadBytes, t.accumulatorBytes, scratchpadSlots(t), accumulatorSlots(t)]).toEqual([8, 16384, 4096, 256, 16]);
  });

  it('seed uses the seed loop order and unlimited memory', () => {
    const t = presetTarget('seed');
    expect([t.loopOrder, t.unlimitedMemory, scratchpadSlots(t), accumulatorSlots(t)]).toEqual(['seed', true, Infinity, Infinity]);
  });

  it('every preset validates', () => {
    for (const t of TARGET_PRESETS.values()) expect(() => validateTarget(t)).not.toThrow();
  });

  it('an unknown preset lists the presets', () => {
    expect(err(() => presetTarget('gemmini'))).toBe("unknown target 'gemmini' (presets: default, tiny, seed; or give a .json file)");
  });
});

describe('target validation names the file and the field', () => {
  it('accepts a full description and normalizes optional fields', () => {
    const t = targetFromJson(base, 'x.json');
    expect(t).toEqual({ ...base, loopOrder: 'auto', unlimitedMemory: false });
  });

  it.each([
    [{ ...base, tile: 0 }, "target 'x.json': tile must be an integer between 1 and 4096, got 0"],
    [{ ...base, tile: 2.5 }, "target 'x.json': tile must be an integer between 1 and 4096, got 2.5"],
    [{ ...base, tile: '16' }, 'target \'x.json\': tile must be an integer between 1 and 4096, got "16"'],
    [{ ...base, tile: undefined }, "target 'x.json': tile is missing"],
    [{ ...base, scratchpadBytes: -1 }, "target 'x.json': scratchpadBytes must be an integer >= 0, got -1"],
    [{ ...base, scratchpadBytes: 511 }, "target 'x.json': scratchpadBytes 511 holds fewer than 2 int8 tiles of 16x16 (needs >= 512)"],
    [{ ...base, accumulatorBytes: 1000 }, "target 'x.json': accumulatorBytes 1000 holds no int32 tile of 16x16 (needs >= 1024)"],
    [{ ...base, dramBytesPerCycle: 0 }, "target 'x.json': dramBytesPerCycle must be a finite number > 0, got 0"],
    [{ ...base, latency: { load: 1, matmul: -1, store: 0 } }, "target 'x.json': latency.matmul must be an integer between 0 and 4294967295, got -1"],
    [{ ...base, latency: { load: 1, matmul: 1, store: 1, fill: 2 } }, "target 'x.json': unknown field 'latency.fill' (fields: load, matmul, store)"],
    [{ ...base, latency: 5 }, "target 'x.json': latency must be an object { load, matmul, store }, got 5"],
    [{ ...base, loopOrder: 'zigzag' }, 'target \'x.json\': loopOrder must be one of auto, output-stationary, weight-stationary, greedy, seed, got "zigzag"'],
    [{ ...base, unlimitedMemory: 'yes' }, 'target \'x.json\': unlimitedMemory must be true or false, got "yes"'],
    [{ ...base, tiles: 16 }, "target 'x.json': unknown field 'tiles' (fields: name, tile, scratchpadBytes, accumulatorBytes, dramBytesPerCycle, latency, loopOrder, unlimitedMemory)"],
    [[1, 2], "target 'x.json': expected a JSON object"],
  ])('%j', (json, message) => {
    expect(err(() => targetFromJson(json, 'x.json'))).toBe(message);
  });

  it('with unlimited memory the capacities may be left out', () => {
    const { scratchpadBytes: _s, accumulatorBytes: _a, ...rest } = base;
    const t = targetFromJson({ ...rest, unlimitedMemory: true }, 'u.json');
    expect([t.scratchpadBytes, t.accumulatorBytes, scratchpadSlots(t)]).toEqual([0, 0, Infinity]);
  });

  it('parses a file: name defaults to the file name, bad JSON is reported', () => {
    const { name: _n, ...rest } = base;
    expect(parseTargetJson(JSON.stringify(rest), 'cfg/edge.json').name).toBe('edge');
    expect(err(() => parseTargetJson('{ tile: 1 }', 'cfg/edge.json'))).toMatch(/^target 'cfg\/edge.json': not valid JSON/);
  });
});

describe('withTile (--tile T)', () => {
  it('keeps the number of slots, scaling bytes with t²', () => {
    for (const t of [1, 7, 8, 33, 64]) {
      const d = withTile(presetTarget('default'), t);
      expect([d.tile, scratchpadSlots(d), accumulatorSlots(d)]).toEqual([t, 1024, 64]);
      expect(() => validateTarget(d)).not.toThrow();
    }
  });

  it('returns the same object for the same t, and rejects t < 1 or non-integers', () => {
    const d = presetTarget('default');
    expect(withTile(d, 16)).toBe(d);
    expect(err(() => withTile(d, 0))).toBe('--tile must be an integer between 1 and 4096, got 0');
    expect(err(() => withTile(d, 1.5))).toBe('--tile must be an integer between 1 and 4096, got 1.5');
  });
});
