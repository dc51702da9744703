// Seeded samples of known distributions for the range-selection tests (deterministic: mulberry32).

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n float32 samples drawn by `draw(u)` from uniforms u in (0, 1). */
function samples(n: number, seed: number, draw: (u: () => number) => number): Float32Array {
  const u = rng(seed);
  const open = (): number => (u() * 0.999999) + 5e-7;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = draw(open);
  return out;
}

export const uniform = (n: number, lo: number, hi: number, seed: number): Float32Array => samples(n, seed, (u) => lo + (hi - lo) * u());

/** Standard normal (Box-Muller). */
export const gaussian = (n: number, seed: number): Float32Array =>
  samples(n, seed, (u) => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));

/** Laplace with scale b (heavy tails: clipping pays). */
export const laplace = (n: number, b: number, seed: number): Float32Array =>
  samples(n, seed, (u) => { const v = u() - 0.5; return -b * Math.sign(v) * Math.log(1 - 2 * Math.abs(v)); });

export function minMax(xs: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < xs.length; i++) { min = Math.min(min, xs[i]!); max = Math.max(max, xs[i]!); }
  return { min, max };
}
