import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { TileProgram } from '../backend/program.js';
import { DEFAULT_MAX_TENSOR_ELEMENTS } from '../frontend/index.js';
import { newTensorData } from '../ir/dtype.js';
import { fail } from '../ir/errors.js';
import { type Graph, valueType } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';
import { numel } from '../ir/tensor.js';
import { nodeMacs } from './inspect/summary.js';

// Resource limits for untrusted models: how big a model file, a tensor, a tile program and its memory may
// get. Each is checked before the stage that would allocate or compute that much, and fails as bad input
// (exit 2) naming the limit's option, so a hostile or oversized model stops with a clear message instead
// of exhausting memory or running for hours. The defaults admit every real model tilec targets.

export interface Limits {
  /** Largest model file read, in bytes (protobuf itself cannot exceed 2 GiB). */
  readonly maxModelBytes: number;
  /** Elements of any one tensor: initializer, graph input or computed value (checked by the importer). */
  readonly maxTensorElements: number;
  /** MATMUL instructions of the whole tile program (the report's tile_ops). */
  readonly maxTileOps: number;
  /** Bytes held at once: the float graph's tensors together (an upper bound of what calibration holds),
   * and the tile program's DRAM. */
  readonly maxMemoryBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxModelBytes: 2 ** 31,
  maxTensorElements: DEFAULT_MAX_TENSOR_ELEMENTS,
  // ResNet-50 at t=16 is about 10^6; 2^24 still leaves room for t=4 on such models.
  maxTileOps: 2 ** 24,
  maxMemoryBytes: 2 ** 32,
};

/** The raw option strings commander collects (camelCase of the flags). */
export interface RawLimitOptions {
  maxModelBytes?: string;
  maxTensorElements?: string;
  maxTileOps?: string;
  maxMemoryBytes?: string;
}

const FLAGS: Readonly<Record<keyof Limits, string>> = {
  maxModelBytes: '--max-model-bytes',
  maxTensorElements: '--max-tensor-elements',
  maxTileOps: '--max-tile-ops',
  maxMemoryBytes: '--max-memory-bytes',
};

/** 2^k as "2^k" when exact, else the number: defaults read as what they are. */
const shown = (v: number): string => (Number.isInteger(Math.log2(v)) ? `2^${Math.log2(v)}` : String(v));

const LIMIT_KEYS: readonly (keyof Limits)[] = ['maxModelBytes', 'maxTensorElements', 'maxTileOps', 'maxMemoryBytes'];

/**
 * Adds the limit options to a command (values stay strings until resolveLimits): all of them, or only the
 * `keys` the command checks (inspect reads a model but never calibrates or emits).
 */
export function addLimitOptions(cmd: Command, keys: readonly (keyof Limits)[] = LIMIT_KEYS): Command {
  const d = DEFAULT_LIMITS;
  const help: Readonly<Record<keyof Limits, string>> = {
    maxModelBytes: `refuse model files larger than N bytes (default ${shown(d.maxModelBytes)}; K/M/G/T suffixes are powers of 1024)`,
    maxTensorElements: `refuse any tensor with more than N elements (default ${d.maxTensorElements})`,
    maxTileOps: `refuse programs needing more than N tile MATMULs (default ${shown(d.maxTileOps)})`,
    maxMemoryBytes: `refuse graphs or programs needing more than N bytes of tensors (default ${shown(d.maxMemoryBytes)})`,
  };
  for (const k of LIMIT_KEYS) if (keys.includes(k)) cmd.option(`${FLAGS[k]} <N>`, help[k]);
  return cmd;
}

const SUFFIX: Readonly<Record<string, number>> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** A positive integer option: digits with an optional K/M/G/T (x1024^n) suffix, or 2^E. */
export function parseLimit(flag: string, text: string): number {
  const t = text.trim();
  const power = /^2\^(\d{1,2})$/.exec(t);
  const plain = /^(\d+)([KMGT]?)$/i.exec(t);
  const v = power ? 2 ** Number(power[1]) : plain ? Number(plain[1]) * SUFFIX[plain[2]!.toUpperCase()]! : NaN;
  if (!Number.isSafeInteger(v) || v < 1) fail(`${flag} must be a positive integer (optionally with a K, M, G or T suffix, or 2^E), got '${text}'`);
  return v;
}

/** Validated limits: each given option replaces its default. */
export function resolveLimits(raw: RawLimitOptions): Limits {
  const pick = (key: keyof Limits): number => (raw[key] === undefined ? DEFAULT_LIMITS[key] : parseLimit(FLAGS[key], raw[key]!));
  return {
    maxModelBytes: pick('maxModelBytes'),
    maxTensorElements: pick('maxTensorElements'),
    maxTileOps: pick('maxTileOps'),
    maxMemoryBytes: pick('maxMemoryBytes'),
  };
}

/** Refuses a model of `bytes` bytes (named `who`) over --max-model-bytes. */
export function checkModelBytes(bytes: number, who: string, limits: Limits): void {
  if (bytes > limits.maxModelBytes) fail(`${who} is ${bytes} bytes, more than ${FLAGS.maxModelBytes} ${limits.maxModelBytes}`);
}

/** Refuses a model file over --max-model-bytes from its size on disk, before reading it. */
export function checkModelFile(file: string, limits: Limits): void {
  checkModelBytes(statSync(file).size, `model file '${file}'`, limits);
}

/** The options the importer takes from the limits (frontend ImportOptions). */
export const importLimits = (limits: Limits): { maxTensorElements: number } => ({ maxTensorElements: limits.maxTensorElements });

/** Bytes of every tensor of `g` (initializers and values) as tilec holds them in memory. */
export function graphTensorBytes(g: Graph): number {
  let total = 0;
  for (const [, t] of g.values) total += numel(t.shape) * newTensorData(t.dtype, 0).BYTES_PER_ELEMENT;
  return total;
}

/**
 * Refuses a graph whose tensors together exceed --max-memory-bytes. An upper bound of what running it
 * holds (the interpreter frees values after their last use), checked before calibration allocates any.
 */
export function checkGraphMemory(g: Graph, limits: Limits): void {
  const bytes = graphTensorBytes(g);
  if (bytes > limits.maxMemoryBytes) {
    fail(`graph '${g.name}' holds ${bytes} bytes of tensors (weights and activations of one sample), more than ${FLAGS.maxMemoryBytes} ${limits.maxMemoryBytes}`);
  }
}

/** Refuses a tile program whose DRAM exceeds --max-memory-bytes, before a tile machine allocates it. */
export function checkProgramMemory(p: TileProgram, limits: Limits): void {
  if (p.dramBytes > limits.maxMemoryBytes) fail(`the tile program addresses ${p.dramBytes} bytes of DRAM, more than ${FLAGS.maxMemoryBytes} ${limits.maxMemoryBytes}`);
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/**
 * MATMUL instructions a node needs at tile size t: exact for a lowered TileGemm (each t×t output tile takes
 * one MATMUL per t-slice of K), a lower bound ceil(MACs / t³) for a float or realized Conv/Gemm/MatMul (a
 * MATMUL does at most t³ MACs), 0 for everything else.
 */
export function nodeTileOps(g: Graph, node: Node, t: number): number {
  if (node.op === 'TileGemm') {
    const [m, k] = valueType(g, node.inputs[0]!).shape as [number, number];
    const n = valueType(g, node.outputs[0]!).shape[1]!;
    return ceilDiv(m, t) * ceilDiv(n, t) * ceilDiv(k, t);
  }
  const macs = node.op === 'QConv' || node.op === 'QGemm' ? numel(valueType(g, node.outputs[0]!).shape) * qWeightWork(g, node) : nodeMacs(g, node);
  return ceilDiv(macs, t ** 3);
}

/** MACs per output element of a QConv (C/group · kernel) or QGemm (K): the weight's elements per row. */
function qWeightWork(g: Graph, node: Node): number {
  const w = valueType(g, node.inputs[1]!).shape;
  if (node.op === 'QConv') return numel(w.slice(1));
  const a = valueType(g, node.inputs[0]!).shape;
  return a[a.length - 1] ?? 1;
}

/** Tile ops of the whole graph (see nodeTileOps) and the node needing the most. */
export function countTileOps(g: Graph, t: number): { total: number; largest?: { node: Node; ops: number } } {
  let total = 0;
  let largest: { node: Node; ops: number } | undefined;
  for (const node of g.nodes) {
    const ops = nodeTileOps(g, node, t);
    total += ops;
    if (ops > 0 && (!largest || ops > largest.ops)) largest = { node, ops };
  }
  return largest ? { total, largest } : { total };
}

/**
 * Refuses a graph needing more than --max-tile-ops MATMULs at tile size t. On the float graph this runs
 * before calibration (a lower bound, so it never refuses what would fit); on the lowered graph, before
 * emission builds the instruction stream (exact).
 */
export function checkTileOps(g: Graph, t: number, limits: Limits): void {
  const { total, largest } = countTileOps(g, t);
  if (total <= limits.maxTileOps) return;
  const exact = g.nodes.every((n) => nodeTileOps(g, n, t) === 0 || n.op === 'TileGemm');
  const where = largest ? `; the largest layer is ${largest.node.op} '${largest.node.name}' with ${largest.ops}` : '';
  fail(`graph '${g.name}' needs ${exact ? '' : 'at least '}${total} tile MATMULs at t=${t}, more than ${FLAGS.maxTileOps} ${limits.maxTileOps}${where} (a larger --tile needs fewer)`);
}
