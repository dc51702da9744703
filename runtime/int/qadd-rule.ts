import { type AddRescale, quantizedAdd } from '../../ir/arith.js';
import type { QAddAttrs } from '../../ir/ops.js';

// QAdd's per-element rule, shared by the reference kernel (QAdd.ts) and the tile machine's host QAdd
// (runtime/tile/host/qadd-table.ts), so the attribute-to-parameter mapping exists once.

/** The code QAdd gives int8 codes qa, qb under attributes t: ir/arith quantizedAdd with t's parameters. */
export function qAddRule(t: QAddAttrs): (qa: number, qb: number) => number {
  const p: AddRescale = {
    leftShift: t.leftShift,
    a: { multiplier: t.aMultiplier, shift: t.aShift },
    b: { multiplier: t.bMultiplier, shift: t.bShift },
    out: { multiplier: t.outMultiplier, shift: t.outShift },
  };
  const { aZeroPoint: za, bZeroPoint: zb, zeroPoint, qmin, qmax } = t;
  const add = quantizedAdd;
  return (qa, qb) => add(qa, za, qb, zb, p, zeroPoint, qmin, qmax);
}

/**
 * Every result of qAddRule(t) as a byte, indexed by the operands' raw bytes: entry (ua << 8) | ub holds the
 * two's-complement byte of qAddRule(t)(int8(ua), int8(ub)). 65536 rule calls, made once; then a QAdd over
 * bytes in memory is one lookup per element.
 */
export function qAddByteTable(t: QAddAttrs): Uint8Array {
  const rule = qAddRule(t);
  const table = new Uint8Array(256 * 256);
  for (let ua = 0; ua < 256; ua++) {
    const qa = (ua << 24) >> 24;
    for (let ub = 0; ub < 256; ub++) table[(ua << 8) | ub] = rule(qa, (ub << 24) >> 24) & 0xff;
  }
  return table;
}
