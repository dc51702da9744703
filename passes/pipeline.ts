import type { Pass } from './pass.js';
import { foldConstantsPass } from './fold-constants.js';
import { removeIdentityPass } from './remove-identity.js';
import { foldBatchNormPass } from './fold-batchnorm.js';
import { dcePass } from './dce.js';
import { foldBiasPass } from './fold-bias.js';
import { lowerConvPass } from './lower/lower-conv.js';

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

/** From the realized int8 graph (stage `quantized`) to the lowered one the backend tiles (stage `lowered`). */
export const LOWER_PIPELINE: readonly Pass[] = [
  // Every QConv/QGemm becomes TileGemm(s) with Im2Col/Lift/Transpose around them (options.im2col: 'explicit' | 'implicit').
  lowerConvPass,
  // The conv weights were re-laid out as GEMM matrices (and group slices); the originals are dead now.
  dcePass,
];
