import type { Kernel } from './kernel.js';
import { type BinaryArith, elementwiseBinary } from './binary.js';

// int32: Math.imul keeps the low 32 bits exactly; a double product beyond 2^53 would lose them first.
export const MUL: BinaryArith = { float: (a, b) => a * b, int: (a, b) => a * b, int32: Math.imul };

export const Mul: Kernel<'Mul'> = elementwiseBinary<'Mul'>(MUL);
