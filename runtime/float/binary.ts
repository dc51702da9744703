import type { NodeOf } from '../../ir/ops.js';
import type { Tensor } from '../../ir/tensor.js';
import { newTensorData, isFloat, isInteger } from '../../ir/dtype.js';
import { fail } from '../../ir/errors.js';
import { type Kernel, who, need, expectDtype } from './kernel.js';
import { broadcastShape, broadcastBinary } from './broadcast.js';
import { NUMERIC_DTYPES } from './dtypes.js';

/**
 * The arithmetic of one binary op per dtype family. Values arrive as doubles. Float results are rounded
 * to float32 by the Float32Array store, which for one +,-,*,/ equals native float32 arithmetic (double
 * has more than twice float32's precision, so the double rounding is innocuous). Integer results are
 * computed exactly and wrap to the dtype's width through the typed-array store, as C and onnxruntime
 * wrap; int64 results must stay within 2^53 (checked).
 */
export interface BinaryArith {
  readonly float: (a: number, b: number) => number;
  /** Exact integer arithmetic on doubles (|operands| <= 2^53). */
  readonly int: (a: number, b: number) => number;
  /** int32 when the exact result could exceed 2^53 before wrapping (Mul); defaults to `int`. */
  readonly int32?: (a: number, b: number) => number;
  /** Integer division: a zero divisor is an error instead of a silent Infinity. */
  readonly integerDivisorMustBeNonZero?: boolean;
}

type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Sum';
type Named = { op: string; name: string };

/** a (op) b with multidirectional broadcasting; both must share one arithmetic dtype. */
export function binaryArith(node: Named, a: Tensor, b: Tensor, arith: BinaryArith): Tensor {
  expectDtype(node, a, 'input A', NUMERIC_DTYPES);
  if (b.dtype !== a.dtype) fail(`${who(node)}: inputs have different dtypes ${a.dtype} and ${b.dtype}`);
  const shape = broadcastShape(who(node), [a.shape, b.shape]);
  if (arith.integerDivisorMustBeNonZero && isInteger(b.dtype)) {
    const z = b.data.indexOf(0);
    if (z >= 0) fail(`${who(node)}: integer division by zero (divisor element ${z} of shape [${b.shape.join(',')}] is 0)`);
  }
  const f = isFloat(a.dtype) ? arith.float : a.dtype === 'int32' ? arith.int32 ?? arith.int : arith.int;
  const data = newTensorData(a.dtype, shape.reduce((x, y) => x * y, 1));
  broadcastBinary(a, b, shape, data, f);
  if (a.dtype === 'int64') {
    for (let i = 0; i < data.length; i++) {
      if (Math.abs(data[i]!) > 2 ** 53) fail(`${who(node)}: int64 result ${data[i]} at element ${i} exceeds 2^53, beyond what tilec holds exactly`);
    }
  }
  return { dtype: a.dtype, shape, data };
}

/** A two-input elementwise kernel (Add, Sub, Mul, Div) from its arithmetic. */
export function elementwiseBinary<O extends BinaryOp>(arith: BinaryArith): Kernel<O> {
  return (node: NodeOf<O>, inputs) => [binaryArith(node, need(node, inputs, 0, 'A'), need(node, inputs, 1, 'B'), arith)];
}

/**
 * Integer division truncating toward zero (C, ONNX runtimes); b is never 0 here. Math.trunc(a / b) is
 * exact for |a|, |b| <= 2^53: a non-integer quotient lies at least 1/|b| from an integer, more than half
 * an ulp of |a/b| < 2^53/|b|, so the division can never round onto the next integer.
 */
export const truncDiv = (a: number, b: number): number => Math.trunc(a / b) + 0; // + 0: no -0 in int64
