import { STAGES } from '../../ir/stages.js';
import type { Pass } from '../pass.js';
import { type Rule, applyRules } from '../rewrite.js';
import { lowerQConvNode } from './lower-qconv.js';
import { lowerQGemmNode } from './lower-qgemm.js';
import { type Im2ColMode, im2colMode } from './options.js';

// The conv lowering (the seed's "Convolution Lowering", generalised; docs/lowering.md): every QConv and QGemm
// of the realized int8 graph becomes a TileGemm, the accelerator's GEMM with output channels as rows. Tiling
// stays the backend's job.

export { type Im2ColMode, IM2COL_MODES, im2colMode } from './options.js';

/** The lowering rules for one im2col mode. */
export function lowerConvRules(mode: Im2ColMode): Rule[] {
  const lowerQConv: Rule = (n, g) => (n.op === 'QConv' ? lowerQConvNode(n, g, mode) : undefined);
  const lowerQGemm: Rule = (n, g) => (n.op === 'QGemm' ? lowerQGemmNode(n, g) : undefined);
  return [lowerQConv, lowerQGemm];
}

/** `lower-conv`: options.im2col = 'explicit' (default) | 'implicit'. Leaves no QConv or QGemm (stage `lowered`). */
export const lowerConvPass: Pass = {
  name: 'lower-conv',
  stage: STAGES.lowered,
  run: (g, ctx) => applyRules(g, lowerConvRules(im2colMode(ctx.options)), { name: 'lower-conv', log: ctx.log }),
};
