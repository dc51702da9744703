import type { Kernel } from './kernel.js';
import { type BinaryArith, elementwiseBinary } from './binary.js';

/** Shared with Sum, which is a left fold of Add. */
export const ADD: BinaryArith = { float: (a, b) => a + b, int: (a, b) => a + b };

export const Add: Kernel<'Add'> = elementwiseBinary<'Add'>(ADD);
