import { fail } from '../ir/errors.js';

// The accelerator a tile program is compiled for. The numbers feed two things only: the blocking search
// (what fits in the scratchpad and accumulator) and the cost model of docs/isa.md. Results never depend
// on them beyond t.

/** How tileGemm walks a GEMM (docs/isa.md, "GEMM tiling"). */
export const LOOP_ORDERS = ['auto', 'output-stationary', 'weight-stationary', 'greedy', 'seed'] as const;
export type LoopOrder = (typeof LOOP_ORDERS)[number];

export interface Latency {
  /** Cycles from the end of a LOAD/PRELOAD transfer until its data can be used (DRAM round trip). */
  readonly load: number;
  /** Cycles from the end of a MATMUL's t issue cycles until its accumulator tile is final (array fill/drain). */
  readonly matmul: number;
  /** Cycles from the end of a STORE transfer until the bytes are visible in DRAM (requant pipeline + write). */
  readonly store: number;
}

export interface Target {
  readonly name: string;
  /** t: the array multiplies t×t by t×t int8 tiles. */
  readonly tile: number;
  /** int8 scratchpad; it holds floor(scratchpadBytes / t²) tile slots. Ignored when unlimitedMemory. */
  readonly scratchpadBytes: number;
  /** int32 accumulator; it holds floor(accumulatorBytes / 4t²) tile slots. Ignored when unlimitedMemory. */
  readonly accumulatorBytes: number;
  /** DMA bandwidth shared by nothing: each of the load and store queues moves this many bytes per cycle. */
  readonly dramBytesPerCycle: number;
  readonly latency: Latency;
  /** Default tiling strategy (a compile option may override it); 'auto' when absent. */
  readonly loopOrder?: LoopOrder;
  /** The teaching machine: scratchpad and accumulator grow to whatever the program uses. */
  readonly unlimitedMemory?: boolean;
}

/** Largest t: instruction fields are 16-bit, and a t×t×t tile op must stay exact in int32 (t·2^14 < 2^31). */
export const MAX_TILE = 4096;

/** Gemmini's default configuration: a 16×16 array, 256 KiB scratchpad, 64 KiB accumulator, 128-bit bus. */
const DEFAULT: Target = {
  name: 'default',
  tile: 16,
  scratchpadBytes: 256 * 1024,
  accumulatorBytes: 64 * 1024,
  dramBytesPerCycle: 16,
  // ~80 ns DRAM round trip at 1 GHz; 2t cycles to fill and drain a 16×16 array; requant + posted write.
  latency: { load: 80, matmul: 32, store: 40 },
  loopOrder: 'auto',
  unlimitedMemory: false,
};

/** A small edge part: 8×8 array, 16 KiB / 4 KiB, 64-bit bus. Small enough that real layers need blocking. */
const TINY: Target = {
  name: 'tiny',
  tile: 8,
  scratchpadBytes: 16 * 1024,
  accumulatorBytes: 4 * 1024,
  dramBytesPerCycle: 8,
  latency: { load: 40, matmul: 16, store: 20 },
  loopOrder: 'auto',
  unlimitedMemory: false,
};

/** The seed's mmul_tiling as a machine: i,j,k loops, one tile of each operand, no reuse, no limits. */
const SEED: Target = {
  name: 'seed',
  tile: 16,
  scratchpadBytes: 0,
  accumulatorBytes: 0,
  dramBytesPerCycle: 16,
  latency: { load: 80, matmul: 32, store: 40 },
  loopOrder: 'seed',
  unlimitedMemory: true,
};

export const TARGET_PRESETS: ReadonlyMap<string, Target> = new Map([
  ['default', DEFAULT],
  ['tiny', TINY],
  ['seed', SEED],
]);

export function presetTarget(name: string): Target {
  const t = TARGET_PRESETS.get(name);
  if (!t) fail(`unknown target '${name}' (presets: ${[...TARGET_PRESETS.keys()].join(', ')}; or give a .json file)`);
  return t;
}

/** Scratchpad tile slots (Infinity with unlimited memory). */
export const scratchpadSlots = (t: Target): number =>
  t.unlimitedMemory ? Infinity : Math.floor(t.scratchpadBytes / (t.tile * t.tile));

/** Accumulator tile slots (Infinity with unlimited memory). */
export const accumulatorSlots = (t: Target): number =>
  t.unlimitedMemory ? Infinity : Math.floor(t.accumulatorBytes / (4 * t.tile * t.tile));

const FIELDS = ['name', 'tile', 'scratchpadBytes', 'accumulatorBytes', 'dramBytesPerCycle', 'latency', 'loopOrder', 'unlimitedMemory'];
const LATENCY_FIELDS = ['load', 'matmul', 'store'];

/**
 * A Target from parsed JSON (a preset's shape), every field checked; errors name the source and the field:
 * `target 'x.json': tile must be an integer between 1 and 4096, got 0`. `name` defaults to `defaultName`.
 * Returns a normalized target (loopOrder and unlimitedMemory always present).
 */
export function targetFromJson(value: unknown, source: string, defaultName = source): Target {
  const where = `target '${source}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where}: expected a JSON object`);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!FIELDS.includes(key)) fail(`${where}: unknown field '${key}' (fields: ${FIELDS.join(', ')})`);
  }
  const name = o.name ?? defaultName;
  if (typeof name !== 'string' || name.length === 0) fail(`${where}: name must be a non-empty string, got ${JSON.stringify(o.name)}`);
  const lat = o.latency;
  if (typeof lat !== 'object' || lat === null || Array.isArray(lat)) fail(`${where}: latency must be an object { load, matmul, store }, got ${JSON.stringify(lat)}`);
  const l = lat as Record<string, unknown>;
  for (const key of Object.keys(l)) {
    if (!LATENCY_FIELDS.includes(key)) fail(`${where}: unknown field 'latency.${key}' (fields: ${LATENCY_FIELDS.join(', ')})`);
  }
  const loopOrder = o.loopOrder ?? 'auto';
  if (!(LOOP_ORDERS as readonly unknown[]).includes(loopOrder)) fail(`${where}: loopOrder must be one of ${LOOP_ORDERS.join(', ')}, got ${JSON.stringify(o.loopOrder)}`);
  const unlimited = o.unlimitedMemory ?? false;
  if (typeof unlimited !== 'boolean') fail(`${where}: unlimitedMemory must be true or false, got ${JSON.stringify(o.unlimitedMemory)}`);
  const target: Target = {
    name,
    tile: o.tile as number,
    // With unlimited memory the capacities are ignored and may be left out.
    scratchpadBytes: (o.scratchpadBytes ?? (unlimited ? 0 : undefined)) as number,
    accumulatorBytes: (o.accumulatorBytes ?? (unlimited ? 0 : undefined)) as number,
    dramBytesPerCycle: o.dramBytesPerCycle as number,
    latency: { load: l.load as number, matmul: l.matmul as number, store: l.store as number },
    loopOrder: loopOrder as LoopOrder,
    unlimitedMemory: unlimited,
  };
  validateTarget(target, source);
  return target;
}

/** Parses and validates a target .json file's text. */
export function parseTargetJson(text: string, source: string): Target {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    fail(`target '${source}': not valid JSON (${(e as Error).message})`);
  }
  return targetFromJson(value, source, source.replace(/^.*[\\/]/, '').replace(/\.json$/i, ''));
}

/**
 * Checks every field of a target; throws a TilecError naming the source and field.
 * `where` replaces the default message prefix `target 'SOURCE'` (e.g. when the target is inside a program file).
 */
export function validateTarget(t: Target, source: string = t.name, where = `target '${source}'`): void {
  const int = (v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (v === undefined) fail(`${where}: ${field} is missing`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
      fail(`${where}: ${field} must be ${range}, got ${JSON.stringify(v)}`);
    }
  };
  int(t.tile, 'tile', 1, MAX_TILE);
  int(t.scratchpadBytes, 'scratchpadBytes', 0);
  int(t.accumulatorBytes, 'accumulatorBytes', 0);
  if (t.dramBytesPerCycle === undefined) fail(`${where}: dramBytesPerCycle is missing`);
  if (typeof t.dramBytesPerCycle !== 'number' || !Number.isFinite(t.dramBytesPerCycle) || !(t.dramBytesPerCycle > 0)) {
    fail(`${where}: dramBytesPerCycle must be a finite number > 0, got ${JSON.stringify(t.dramBytesPerCycle)}`);
  }
  int(t.latency.load, 'latency.load', 0, 0xffffffff);
  int(t.latency.matmul, 'latency.matmul', 0, 0xffffffff);
  int(t.latency.store, 'latency.store', 0, 0xffffffff);
  if (!t.unlimitedMemory) {
    // The smallest schedule needs one A tile, one B tile and one accumulator tile.
    const spadTile = t.tile * t.tile;
    if (t.scratchpadBytes < 2 * spadTile) {
      fail(`${where}: scratchpadBytes ${t.scratchpadBytes} holds fewer than 2 int8 tiles of ${t.tile}x${t.tile} (needs >= ${2 * spadTile})`);
    }
    if (t.accumulatorBytes < 4 * spadTile) {
      fail(`${where}: accumulatorBytes ${t.accumulatorBytes} holds no int32 tile of ${t.tile}x${t.tile} (needs >= ${4 * spadTile})`);
    }
  }
}

/**
 * The target with tile size t (`--tile T`). The memories keep their number of tile slots (bytes scale with t²),
 * so every t >= 1 gives a working machine with the same blocking freedom; bandwidth and latencies are kept.
 */
export function withTile(target: Target, t: number): Target {
  if (!Number.isInteger(t) || t < 1 || t > MAX_TILE) fail(`--tile must be an integer between 1 and ${MAX_TILE}, got ${t}`);
  if (t === target.tile) return target;
  const spad = target.unlimitedMemory ? target.scratchpadBytes : scratchpadSlots(target) * t * t;
  const acc = target.unlimitedMemory ? target.accumulatorBytes : accumulatorSlots(target) * 4 * t * t;
  return { ...target, tile: t, scratchpadBytes: spad, accumulatorBytes: acc };
}

/** loopOrder and unlimitedMemory made explicit, so equal machines encode to equal bytes. */
export function normalizeTarget(t: Target): Required<Target> {
  return {
    name: t.name,
    tile: t.tile,
    scratchpadBytes: t.scratchpadBytes,
    accumulatorBytes: t.accumulatorBytes,
    dramBytesPerCycle: t.dramBytesPerCycle,
    latency: { load: t.latency.load, matmul: t.latency.matmul, store: t.latency.store },
    loopOrder: t.loopOrder ?? 'auto',
    unlimitedMemory: t.unlimitedMemory ?? false,
  };
}
