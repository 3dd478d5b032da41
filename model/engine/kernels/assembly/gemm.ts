// @ts-nocheck -- AssemblyScript source (compiled by scripts/build-kernels.mjs), not TypeScript.
//
// The dense f32 matrix products with 128-bit SIMD (raw byte addresses into the imported memory,
// sizes in elements, row-major; see kernels.ts): gemm, which walks C in register blocks computed
// by the micro-kernels of lib/gemm-blocks.ts, and transpose.

// ---------------------------------------------------------------------------------------------
// gemm: C[m,n] = (acc ? C : 0) + A'·B'   where A' is [m,k] and B' is [k,n].
//   A'(i,p) lives at a + 4*(i*sai + p*sap): sai = k, sap = 1 (A as is) or sai = 1, sap = m (A
//   stored [k,m]). B' must be row-major [k,n]; a transposed B is first packed into `scratch`.
//   scratch must hold (transB ? n*k : 0) + 4*k floats.
//
// Micro-kernels are inlined into gemmStrided (as separate functions they measured 5-30% slower,
// more for small k). V8 issues all loads of a loop iteration before the arithmetic, so loads per
// iteration + accumulators must fit in 15 xmm registers or an accumulator is spilled (measured
// 2.5x slower): hence 4x8 (4 splats + 2 B vectors + 8 accumulators), not 8x4 or 4x16, and the
// dedicated forms for a 4-column block (2x4 dot products, or 8x4 with lane splats of B).
//
// The sources are built twice (scripts/build-kernels.mjs): with relaxed SIMD every a*b + c of the
// micro-kernels is one fused multiply-add (f32x4.relaxed_madd: one instruction and one rounding where the CPU
// has FMA, ~1.4x the multiply-adds per second of the 4x8 kernel on this machine's AMD EPYC), and
// without it a multiply then an add, for runtimes that do not validate relaxed SIMD. Without the
// temporary of each product, a 6x8 block (12 accumulators) does not spill either: the fused build
// uses it for rows in sixes (~13% over 4x8 fused in a micro-benchmark; 4x12 spills, ~0.55x).
// ---------------------------------------------------------------------------------------------

import { kernel1x1, kernel1x4, kernel1x8, kernel2x4dot, kernel4x1, kernel4x4, kernel4x8, kernel6x8, kernel8x4t, packColumns4 } from './lib/gemm-blocks';

export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize, acc: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  if (transB) {
    // B is stored [n,k]; pack its transpose [k,n] into scratch.
    transpose(b, n, k, scratch);
    b = scratch;
    scratch += (<usize>n * <usize>k) << 2;
  }
  const sai: usize = transA ? 1 : <usize>k;
  const sap: usize = transA ? <usize>m : 1;
  gemmStrided(m, n, k, a, sai << 2, sap << 2, b, c, acc, scratch);
}

/** dst[c*rows + r] = src[r*cols + c] (src is [rows, cols]). */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  const R = <usize>rows, C = <usize>cols;
  // 4x4 tiles with shuffles, scalar edges.
  let r: usize = 0;
  for (; r + 4 <= R; r += 4) {
    let cc: usize = 0;
    for (; cc + 4 <= C; cc += 4) {
      const s = src + ((r * C + cc) << 2);
      const r0 = v128.load(s);
      const r1 = v128.load(s + (C << 2));
      const r2 = v128.load(s + (C << 3));
      const r3 = v128.load(s + (C << 2) * 3);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d = dst + ((cc * R + r) << 2);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d + (R << 2), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(d + (R << 3), v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(d + (R << 2) * 3, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    for (; cc < C; cc++) {
      for (let q: usize = 0; q < 4; q++) {
        store<f32>(dst + ((cc * R + r + q) << 2), load<f32>(src + (((r + q) * C + cc) << 2)));
      }
    }
  }
  for (; r < R; r++) {
    for (let cc: usize = 0; cc < C; cc++) {
      store<f32>(dst + ((cc * R + r) << 2), load<f32>(src + ((r * C + cc) << 2)));
    }
  }
}

// Strides below are in bytes.
function gemmStrided(m: i32, n: i32, k: i32, a: usize, sai: usize, sap: usize, b: usize, c: usize, acc: i32, scratch: usize): void {
  const ldb: usize = <usize>n << 2;
  const ldc: usize = ldb;
  const n8 = n & ~7;
  const n4 = n - n8 >= 4 ? n8 + 4 : n8;

  // Columns [0, n8): 4x8 blocks, then single rows.
  if (n8 > 0) {
    let i = 0;
    if (ASC_FEATURE_RELAXED_SIMD) {
      // Fused, a 6x8 block fits the registers (see the top of the file).
      for (; i + 6 <= m; i += 6) {
        const ai = a + <usize>i * sai;
        const ci = c + <usize>i * ldc;
        for (let j = 0; j < n8; j += 8) kernel6x8(k, ai, sai, sap, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, acc);
      }
    }
    for (; i + 4 <= m; i += 4) {
      const ai = a + <usize>i * sai;
      const ci = c + <usize>i * ldc;
      for (let j = 0; j < n8; j += 8) kernel4x8(k, ai, sai, sap, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, acc);
    }
    for (; i < m; i++) {
      const ai = a + <usize>i * sai;
      const ci = c + <usize>i * ldc;
      for (let j = 0; j < n8; j += 8) kernel1x8(k, ai, sap, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), acc);
    }
  }

  // Columns [n8, n8 + 4), when present (n = 4, 12, 132, ...).
  if (n4 > n8) {
    const b4 = b + (<usize>n8 << 2);
    const c4 = c + (<usize>n8 << 2);
    let i = 0;
    if (sai == 4) {
      // A stored [k,m]: 8 rows are one contiguous pair of vectors, B's 4 values are lane-splatted.
      for (; i + 8 <= m; i += 8) kernel8x4t(k, a + (<usize>i << 2), sap, b4, ldb, c4 + <usize>i * ldc, ldc, acc);
    } else if (sap == 4 && k >= 16) {
      // A as is (rows contiguous along p): dot products of 2 A rows with the 4 packed B columns.
      packColumns4(b4, ldb, k, scratch);
      for (; i + 2 <= m; i += 2) kernel2x4dot(k, a + <usize>i * sai, sai, scratch, c4 + <usize>i * ldc, ldc, acc);
    }
    for (; i + 4 <= m; i += 4) kernel4x4(k, a + <usize>i * sai, sai, sap, b4, ldb, c4 + <usize>i * ldc, ldc, acc);
    for (; i < m; i++) kernel1x4(k, a + <usize>i * sai, sap, b4, ldb, c4 + <usize>i * ldc, acc);
  }

  // The last n % 4 columns.
  if (n > n4) {
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const ai = a + <usize>i * sai;
      const ci = c + <usize>i * ldc;
      for (let j = n4; j < n; j++) kernel4x1(k, ai, sai, sap, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, acc);
    }
    for (; i < m; i++) {
      const ai = a + <usize>i * sai;
      const ci = c + <usize>i * ldc;
      for (let j = n4; j < n; j++) kernel1x1(k, ai, sap, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), acc);
    }
  }
}

