import { type Kernel, need } from './kernel.js';

// Tensors are immutable, so the input itself is the output.
export const Identity: Kernel<'Identity'> = (node, inputs) => [need(node, inputs, 0, 'input')];
