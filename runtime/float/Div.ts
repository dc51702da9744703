import type { Kernel } from './kernel.js';
import { type BinaryArith, elementwiseBinary, truncDiv } from './binary.js';

// Float division follows IEEE (x/0 is ±Infinity or NaN, as numpy and onnxruntime give); integer
// division truncates toward zero and rejects a zero divisor, which ONNX leaves undefined.
export const DIV: BinaryArith = { float: (a, b) => a / b, int: truncDiv, integerDivisorMustBeNonZero: true };

export const Div: Kernel<'Div'> = elementwiseBinary<'Div'>(DIV);
