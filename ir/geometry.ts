import type { AutoPad } from './ops.js';
import { fail } from './errors.js';

// The one definition of sliding-window geometry (Conv, ConvInteger, QLinearConv, MaxPool, AveragePool),
// shared by shape inference, the float and integer kernels and the im2col lowering so they can never
// disagree about where a window starts.

export interface WindowAttrs {
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly auto_pad: AutoPad;
  /** Pools only. */
  readonly ceil_mode?: number;
}

export interface WindowGeometry {
  readonly out: readonly number[];
  readonly padsBegin: readonly number[];
  readonly padsEnd: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly kernel: readonly number[];
}

/**
 * Output extents and effective padding of a window op over `spatial` input extents.
 * `who` names the node for error messages.
 */
export function windowGeometry(spatial: readonly number[], kernel: readonly number[], a: WindowAttrs, who: string): WindowGeometry {
  const r = spatial.length;
  if (kernel.length !== r) fail(`${who}: kernel has ${kernel.length} spatial dims but the input has ${r}`);
  const strides = a.strides ?? new Array<number>(r).fill(1);
  const dilations = a.dilations ?? new Array<number>(r).fill(1);
  const pads = a.pads ?? new Array<number>(2 * r).fill(0);
  if (strides.length !== r) fail(`${who}: strides has ${strides.length} values, expected ${r}`);
  if (dilations.length !== r) fail(`${who}: dilations has ${dilations.length} values, expected ${r}`);
  if (pads.length !== 2 * r) fail(`${who}: pads has ${pads.length} values, expected ${2 * r}`);
  for (let i = 0; i < r; i++) {
    if (!(strides[i]! >= 1)) fail(`${who}: stride ${strides[i]} must be >= 1`);
    if (!(dilations[i]! >= 1)) fail(`${who}: dilation ${dilations[i]} must be >= 1`);
    if (!(kernel[i]! >= 1)) fail(`${who}: kernel extent ${kernel[i]} must be >= 1`);
    if (pads[i]! < 0 || pads[i + r]! < 0) fail(`${who}: negative pads [${pads.join(',')}] are not supported`);
  }
  const out: number[] = [], pb: number[] = [], pe: number[] = [];
  for (let i = 0; i < r; i++) {
    const n = spatial[i]!, s = strides[i]!, dk = (kernel[i]! - 1) * dilations[i]! + 1;
    let o: number, b: number, e: number;
    switch (a.auto_pad) {
      case 'SAME_UPPER':
      case 'SAME_LOWER': {
        o = Math.ceil(n / s);
        const total = Math.max(0, (o - 1) * s + dk - n);
        const small = Math.floor(total / 2);
        b = a.auto_pad === 'SAME_UPPER' ? small : total - small;
        e = total - b;
        break;
      }
      case 'VALID':
        b = 0; e = 0;
        o = Math.floor((n - dk) / s) + 1;
        break;
      case 'NOTSET': {
        b = pads[i]!; e = pads[i + r]!;
        const span = n + b + e - dk;
        if (a.ceil_mode) {
          o = Math.ceil(span / s) + 1;
          // A window that would start inside the end padding is dropped (ONNX reference, PyTorch).
          if ((o - 1) * s >= n + b) o -= 1;
        } else {
          o = Math.floor(span / s) + 1;
        }
        break;
      }
    }
    if (!(o >= 1)) fail(`${who}: input extent ${n} is smaller than the window ${dk} (kernel ${kernel[i]}, dilation ${dilations[i]}) along spatial axis ${i}`);
    out.push(o); pb.push(b); pe.push(e);
  }
  return { out, padsBegin: pb, padsEnd: pe, strides, dilations, kernel };
}
