import type { Pass } from './pass.js';
import { foldConstantsPass } from './fold-constants.js';
import { removeIdentityPass } from './remove-identity.js';
import { foldBatchNormPass } from './fold-batchnorm.js';
import { dcePass } from './dce.js';
import { foldBiasPass } from './fold-bias.js';
import { quantizeAnnotatePass } from './quantize/annotate.js';
import { quantizeRealizePass } from './quantize/realize.js';
import { lowerConvPass } from './lower/lower-conv.js';
import { importQatPass } from './qat/import-qat.js';
import { importQdqPass } from './qdq/import-qdq.js';

/**
 * A model's own quantization, read before FLOAT_PIPELINE (which would fold it away): the result is a float
 * graph whose tensors already carry their quant params, so calibration does not re-guess them.
 */
export const QUANT_IMPORT_PIPELINE: readonly Pass[] = [
  // The seed quantizer's chains of a QAT export (Sub/Div/Round/STE/Clip/Mul/Add): constant folding would evaluate the weight chains into plain floats and lose the step.
  importQatPass,
  // QuantizeLinear/DequantizeLinear pairs and QLinear*/…Integer ops of an already-quantized (QDQ) model become the tensors' quant params.
  importQdqPass,
];

/** The float cleanup pipeline, from the imported graph to the float graph quantization starts from. */
export const FLOAT_PIPELINE: readonly Pass[] = [
  // Constants, Reshape-shape chains and ConstantOfShape weights become initializers, so BN parameters and weights are visible as constants.
  foldConstantsPass,
  // Identity/Dropout between a Conv and its BatchNormalization would hide the pair; constants behind Identity were already folded.
  removeIdentityPass,
  // MatMul + constant Add (mnist-8's Times + Plus) becomes Gemm with C, and Gemm's alpha/beta fold into B/C: one quantizable layer with an int32 bias, not a float Add after it.
  foldBiasPass,
  // BN folds into the Conv/Gemm it follows, creating its folded weights directly as initializers (no second constant fold needed).
  foldBatchNormPass,
  // Folded producers, replaced weights and shape-computation leftovers are dead now; drop them last, once.
  dcePass,
];

/**
 * Quantization, in the two phases of docs/quantization.md, from the float graph to the realized int8 graph
 * (stage `quantized`). Options arrive in PassContext.options (passes/quantize/options.ts QuantOptions):
 * bits, perChannel, method, unsignedMapping, percentile and the calibration statistics of runtime/calibrate.ts.
 */
export const QUANT_PIPELINE: readonly Pass[] = [
  // Still float: every value that will be int8 gets its scale and zero point from the calibration statistics, weights and biases theirs (the fake-quant view QDQ export writes).
  quantizeAnnotatePass,
  // The integer graph from those annotations: QConv/QGemm/QAdd/..., int8 movement ops, float islands, Quantize at the inputs and Dequantize at the outputs.
  quantizeRealizePass,
  // The float weights and biases the int8 ones replaced, and values that only fed fused ReLUs, are dead now.
  dcePass,
];

/** From the realized int8 graph (stage `quantized`) to the lowered one the backend tiles (stage `lowered`). */
export const LOWER_PIPELINE: readonly Pass[] = [
  // Every QConv/QGemm becomes TileGemm(s) with Im2Col/Lift/Transpose around them (options.im2col: 'explicit' | 'implicit').
  lowerConvPass,
  // The conv weights were re-laid out as GEMM matrices (and group slices); the originals are dead now.
  dcePass,
];
