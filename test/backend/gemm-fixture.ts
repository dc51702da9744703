// Builds a one-GEMM tile program over random data, and the untiled reference it must match bit for bit.
// Shared by the tiler tests (test/backend) and the machine tests (test/runtime/tile).

import { quantizeMultiplier, requantize } from '../../ir/arith.js';
import { CodeBuilder, int32Bytes, requantTableBytes, type TileProgram } from '../../backend/program.js';
import { REQUANT_ENTRY_BYTES } from '../../backend/isa.js';
import type { LoopOrder, Target } from '../../backend/target.js';
import { emitGemm, tileGemm, type GemmPlan, type GemmSpec, type Schedule } from '../../backend/tile-gemm.js';

/** A tiny deterministic PRNG (mulberry32), so fixtures do not depend on fast-check's generators. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GemmCase {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly seed: number;
  readonly bias?: boolean;
  readonly perRow?: boolean;
  /** No requant: C is the raw int32 accumulator. */
  readonly raw?: boolean;
  /** Extra bytes at the end of each row of A, B and C (exercise strides). */
  readonly pad?: number;
  readonly qmin?: number;
  readonly qmax?: number;
  /** DRAM scratch for spilled partial sums (lets weight-stationary schedules spill). */
  readonly scratch?: boolean;
  /** A and B entries in {-1, 0, 1} instead of all of int8 (small sums). */
  readonly ternary?: boolean;
  /** Requantize by exactly 1.0 with zero point 0: C = clamp(A·B + bias). */
  readonly identity?: boolean;
}

export interface GemmFixture {
  readonly program: TileProgram;
  /** Undefined when the fixture was built from an explicit schedule. */
  readonly plan?: GemmPlan;
  readonly spec: GemmSpec;
  readonly a: Int8Array;
  readonly b: Int8Array;
  readonly bias: Int32Array;
  /** Expected C: int8 codes, or int32 when raw. */
  readonly expected: Int8Array | Int32Array;
}

const align4 = (v: number): number => Math.ceil(v / 4) * 4;

/** `choice`: a strategy for tileGemm (default: the target's), or an explicit schedule to emit. */
export function buildGemm(c: GemmCase, target: Target, choice?: LoopOrder | Schedule): GemmFixture {
  const { m, n, k } = c;
  const pad = c.pad ?? 0;
  const r = rng(c.seed);
  const int8 = c.ternary ? (): number => Math.floor(r() * 3) - 1 : (): number => Math.floor(r() * 256) - 128;
  const a = Int8Array.from({ length: m * k }, int8);
  const b = Int8Array.from({ length: k * n }, int8);
  const bias = Int32Array.from({ length: m }, () => (c.bias ? Math.floor(r() * 200001) - 100000 : 0));
  const entries = c.perRow ? m : 1;
  const mult = Array.from({ length: entries }, () => quantizeMultiplier(c.identity ? 1 : 2 ** (-14 + r() * 12)));
  const zp = Array.from({ length: entries }, () => (c.identity ? 0 : Math.floor(r() * 41) - 20));
  const qmin = c.qmin ?? -128, qmax = c.qmax ?? 127;

  // DRAM layout: A | B | bias | table | C | scratch, each 4-aligned.
  const aStride = k + pad, bStride = n + pad, cElem = c.raw ? 4 : 1, cStride = n * cElem + (c.raw ? 4 * pad : pad);
  const aAddr = 0;
  const bAddr = align4(aAddr + m * aStride);
  const biasAddr = align4(bAddr + k * bStride);
  const tableAddr = align4(biasAddr + 4 * m);
  const cAddr = align4(tableAddr + entries * REQUANT_ENTRY_BYTES);
  const scratchAddr = align4(cAddr + m * cStride);
  const scratchBytes = c.scratch ? m * n * 4 : 0;
  const dramBytes = scratchAddr + scratchBytes;

  const dram = new Uint8Array(dramBytes);
  const view = new DataView(dram.buffer);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) view.setInt8(aAddr + i * aStride + j, a[i * k + j]!);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) view.setInt8(bAddr + i * bStride + j, b[i * n + j]!);
  dram.set(int32Bytes(bias), biasAddr);
  dram.set(requantTableBytes(mult.map((q, e) => ({ ...q, zeroPoint: zp[e]! }))), tableAddr);

  const spec: GemmSpec = {
    name: `gemm_${m}x${n}x${k}`, m, n, k,
    a: { addr: aAddr, stride: aStride },
    b: { addr: bAddr, stride: bStride },
    ...(c.bias ? { bias: biasAddr } : {}),
    c: { addr: cAddr, stride: cStride },
    ...(c.raw ? {} : { requant: { table: tableAddr, perRow: c.perRow ?? false, qmin, qmax } }),
    ...(c.scratch ? { scratch: { addr: scratchAddr, bytes: scratchBytes } } : {}),
  };
  const code = new CodeBuilder();
  let plan: GemmPlan | undefined;
  if (typeof choice === 'object') emitGemm(spec, target, choice, code);
  else plan = tileGemm(spec, target, code, choice ? { strategy: choice } : {});

  // Every input lives in one 'bytes' constant, so the machine starts from exactly this DRAM image.
  const program: TileProgram = {
    target, dramBytes, hostData: new Uint8Array(0), code: code.bytes(),
    constants: [{ name: 'inputs', kind: 'bytes', addr: 0, data: dram.slice(0, cAddr) }],
    tensors: [{ name: 'C', role: 'output', dtype: c.raw ? 'int32' : 'int8', shape: [m, cStride / cElem], addr: cAddr }],
  };

  const expected = c.raw ? new Int32Array(m * n) : new Int8Array(m * n);
  for (let i = 0; i < m; i++) {
    const e = c.perRow ? i : 0;
    for (let j = 0; j < n; j++) {
      let acc = bias[i]!;
      for (let kk = 0; kk < k; kk++) acc += a[i * k + kk]! * b[kk * n + j]!;
      expected[i * n + j] = c.raw ? acc : requantize(acc, mult[e]!.multiplier, mult[e]!.shift, zp[e]!, qmin, qmax);
    }
  }
  return { program, plan, spec, a, b, bias, expected };
}

/** C as the machine left it, without the row padding. */
export function outputOf(data: ArrayLike<number>, m: number, n: number, rowLength: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out.push(data[i * rowLength + j]!);
  return out;
}
