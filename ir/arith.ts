// The integer arithmetic of tilec, defined once: the integer reference interpreter, the tile machine, the
// quantization passes, the backend and the float kernels of ONNX's quantization ops all import it from here.
// The written definition, with worked examples that the tests check, is docs/arithmetic.md.

export { roundHalfEven, saturate, roundingDivideHalfAway, qMin, qMax, qRange } from './arith/round.js';
export {
  INT32_MIN, INT32_MAX, type QuantizedMultiplier, quantizeMultiplier, saturatingRoundingDoublingHighMul,
  roundingDivideByPOT, multiplyByQuantizedMultiplier, requantize,
} from './arith/fixedpoint.js';
export {
  quantizeF32, dequantizeF32, type LinearQuant, type UnsignedMapping, seedStep, seedCode, seedFakeQuant,
  seedQuantParams, type ActivationBounds, clampBounds, quantizeBias, requantMultiplier, qlinearMultiplierF32, requantizeF32,
} from './arith/quantize.js';
export {
  foldInputZeroPoint, accumulatorRange, fitsInt32, accumulatorSurelyFits, averagePoolCode, type AddRescale, ADD_LEFT_SHIFT, addRescale,
  quantizedAdd,
} from './arith/integer-ops.js';
