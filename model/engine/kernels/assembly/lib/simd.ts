// @ts-nocheck -- AssemblyScript source (compiled by scripts/build-kernels.mjs), not TypeScript.
//
// The SIMD helpers that gemm's micro-kernels (gemm-blocks.ts) and the dot interaction
// (../interaction.ts) share. Not an entry of the build: inlined where used.

/** a*b + c, lane-wise: fused where the build enables relaxed SIMD (a compile-time constant). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** The four horizontal sums of s0..s3 in one vector. */
// @ts-ignore: decorator
@inline export function hsum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  // [sum(s0), sum(s1), sum(s2), sum(s3)]
  const t0 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
  const t1 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
}
