import type { Kernel } from './kernel.js';
import { type BinaryArith, elementwiseBinary } from './binary.js';

export const SUB: BinaryArith = { float: (a, b) => a - b, int: (a, b) => a - b };

export const Sub: Kernel<'Sub'> = elementwiseBinary<'Sub'>(SUB);
