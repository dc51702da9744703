import { LOOP_ORDERS, type LoopOrder } from '../backend/target.js';
import { CALIB_METHODS, type CalibMethod } from '../ir/quant/index.js';
import { mutateBytes, mutateStructure } from './mutate.js';
import { Rng } from './rng.js';
import { SEED_MODELS } from './seeds.js';

// One fuzz case: a mutated seed model and the compile options it is compiled with, both drawn from the
// case's own stream, so (seed, index) alone reproduces it.

export interface CaseOptions {
  readonly bits: number;
  readonly perChannel: boolean;
  readonly method: CalibMethod;
  readonly unsignedMapping: 'seed' | 'full';
  readonly tile: number;
  readonly im2col: 'explicit' | 'implicit';
  /** --loop-order; undefined: the target's. */
  readonly loopOrder?: LoopOrder;
  /** --emit-onnx: also export the QDQ model. */
  readonly emitOnnx: boolean;
  /** Seed of the random calibration/run samples. */
  readonly sampleSeed: number;
}

export const DEFAULT_CASE_OPTIONS: CaseOptions = {
  bits: 8, perChannel: false, method: 'seed', unsignedMapping: 'seed', tile: 16, im2col: 'explicit', emitOnnx: false, sampleSeed: 0,
};

export interface FuzzCase {
  readonly index: number;
  /** Which seed model was mutated. */
  readonly base: string;
  /** The mutations, in order (for the reproducer's notes). */
  readonly steps: readonly string[];
  readonly bytes: Uint8Array;
  readonly options: CaseOptions;
}

export function makeCase(seed: number, index: number): FuzzCase {
  const r = Rng.forCase(seed, index);
  const base = r.pick(SEED_MODELS);
  // Mostly one edit: each edit is likely to be refused by the importer, and a case should often get
  // further than that. One case in ten keeps the model valid and varies only the compile options.
  const x = r.next();
  const structural = x < 0.1 ? 0 : x < 0.65 ? 1 : x < 0.9 ? 2 : 3;
  const corruptions = x >= 0.1 && r.chance(0.2) ? r.int(1, 2) : 0;
  const mutated = mutateStructure(base.bytes, structural, r);
  let bytes = mutated.bytes;
  const steps = [...mutated.steps];
  for (let i = 0; i < corruptions; i++) {
    const c = mutateBytes(bytes, r);
    bytes = c.bytes;
    steps.push(c.step);
  }
  const options: CaseOptions = {
    bits: r.pick([8, 8, 8, 7, 6, 5, 4, 3, 2]),
    perChannel: r.chance(0.5),
    method: r.pick(CALIB_METHODS),
    unsignedMapping: r.chance(0.8) ? 'seed' : 'full',
    tile: r.pick([16, 16, 8, 5, 4, 3, 2, 1]),
    im2col: r.chance(0.5) ? 'explicit' : 'implicit',
    ...(r.chance(0.5) ? { loopOrder: r.pick(LOOP_ORDERS) } : {}),
    emitOnnx: r.chance(0.3),
    sampleSeed: r.int(0, 2 ** 31 - 1),
  };
  return { index, base: base.name, steps, bytes, options };
}
