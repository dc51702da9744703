import { fail } from '../../ir/errors.js';

/**
 * How a convolution's patch matrix reaches the GEMM: 'explicit' materialises it with an Im2Col node (the
 * seed's inputs_lowering); 'implicit' gives the TileGemm the conv input and the im2col geometry, and the
 * backend gathers patches while loading tiles.
 */
export type Im2ColMode = 'explicit' | 'implicit';

export const IM2COL_MODES: readonly Im2ColMode[] = ['explicit', 'implicit'];

/** The lowering's options from PassContext.options (`im2col`, default 'explicit'). */
export function im2colMode(options: Readonly<Record<string, unknown>>): Im2ColMode {
  const v = options['im2col'] ?? 'explicit';
  if (!IM2COL_MODES.includes(v as Im2ColMode)) fail(`option im2col must be ${IM2COL_MODES.map((m) => `'${m}'`).join(' or ')}, got ${JSON.stringify(v)}`);
  return v as Im2ColMode;
}
