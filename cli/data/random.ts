// Seeded uniform samples. Sample i depends only on (seed, i), so any subset can be drawn in any order
// and `random:100:7` always means the same numbers. Each value is a 24-bit fraction k/2^24, exactly
// representable in float32 and strictly below 1.

/** A 32-bit finalizer (murmur3 fmix32): spreads (seed, index) over the whole state space. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Fills `out` with uniform [0,1) values of sample `index` under `seed` (mulberry32 stream). */
export function fillUniform(out: Float32Array | Float64Array, seed: number, index: number): void {
  let state = mix32(mix32(seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9)) | 0;
  for (let i = 0; i < out.length; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 8) / 16777216;
  }
}
