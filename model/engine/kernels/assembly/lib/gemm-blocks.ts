// @ts-nocheck -- AssemblyScript source (compiled by scripts/build-kernels.mjs), not TypeScript.
//
// The register-blocked micro-kernels of gemm (../gemm.ts), each computing a block of C over the
// whole k: 6x8 (fused build only), 4x8, 4x4 and the single-row / single-column edges, the dot
// form for a 4-column block (2x4) and the column form for A stored [k,m] (8x4). Not an entry
// of the build (it exports nothing from the module): gemm.ts imports them, inlined where marked.
// Strides are in bytes. Why these shapes: see the top of ../gemm.ts.

import { hsum4, madd } from './simd';

// Not inlined: inlined into gemmStrided next to the others it measured slower than 4x8 (spills).
export function kernel6x8(k: i32, a: usize, sai: usize, sap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
    c40 = v128.load(c4); c41 = v128.load(c4, 16);
    c50 = v128.load(c5); c51 = v128.load(c5, 16);
  }
  let a0 = a;
  const s2: usize = 2 * sai, s3: usize = 3 * sai, s4: usize = 4 * sai, s5: usize = 5 * sai;
  let pb = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a0 + sai);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a0 + s2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a0 + s3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    x = v128.load32_splat(a0 + s4);
    c40 = madd(x, b0, c40); c41 = madd(x, b1, c41);
    x = v128.load32_splat(a0 + s5);
    c50 = madd(x, b0, c50); c51 = madd(x, b1, c51);
    a0 += sap;
    pb += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
  v128.store(c4, c40); v128.store(c4, c41, 16);
  v128.store(c5, c50); v128.store(c5, c51, 16);
}

// @ts-ignore: decorator
@inline export function kernel4x8(k: i32, a: usize, sai: usize, sap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
  }
  // One moving A pointer plus fixed row offsets (measured ~15% faster than four pointers).
  let a0 = a;
  const s2: usize = 2 * sai, s3: usize = 3 * sai;
  let pb = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a0 + sai);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a0 + s2);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a0 + s3);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    a0 += sap;
    pb += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

// @ts-ignore: decorator
@inline export function kernel4x4(k: i32, a: usize, sai: usize, sap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: i32): void {
  let c0 = f32x4.splat(0), c1v = f32x4.splat(0), c2v = f32x4.splat(0), c3v = f32x4.splat(0);
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (acc) {
    c0 = v128.load(c); c1v = v128.load(c1); c2v = v128.load(c2); c3v = v128.load(c3);
  }
  let a0 = a;
  const s2: usize = 2 * sai, s3: usize = 3 * sai;
  let pb = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(a0), b0, c0);
    c1v = madd(v128.load32_splat(a0 + sai), b0, c1v);
    c2v = madd(v128.load32_splat(a0 + s2), b0, c2v);
    c3v = madd(v128.load32_splat(a0 + s3), b0, c3v);
    a0 += sap;
    pb += ldb;
  }
  v128.store(c, c0); v128.store(c1, c1v); v128.store(c2, c2v); v128.store(c3, c3v);
}

/** dst [4,k] = the 4 columns of B starting at b (row stride ldb bytes), transposed. */
export function packColumns4(b: usize, ldb: usize, k: i32, dst: usize): void {
  const kb: usize = <usize>k << 2;
  let pb = b;
  for (let o: usize = 0; o < kb; o += 4) {
    const y = v128.load(pb);
    store<f32>(dst + o, f32x4.extract_lane(y, 0));
    store<f32>(dst + kb + o, f32x4.extract_lane(y, 1));
    store<f32>(dst + 2 * kb + o, f32x4.extract_lane(y, 2));
    store<f32>(dst + 3 * kb + o, f32x4.extract_lane(y, 3));
    pb += ldb;
  }
}

/** Dot form, 2 rows x 4 columns: A rows contiguous along p (sai bytes apart), bt = B' columns packed [4,k]. */
// @ts-ignore: decorator
@inline export function kernel2x4dot(k: i32, a: usize, sai: usize, bt: usize, c: usize, ldc: usize, acc: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  const kb: usize = <usize>k << 2;
  const k4: usize = kb & ~15;
  const b1 = bt + kb, b2 = b1 + kb, b3 = b2 + kb;
  const a1 = a + sai;
  let o: usize = 0;
  for (; o < k4; o += 16) {
    const x0 = v128.load(a + o), x1 = v128.load(a1 + o);
    const y0 = v128.load(bt + o), y1 = v128.load(b1 + o), y2 = v128.load(b2 + o), y3 = v128.load(b3 + o);
    s00 = madd(x0, y0, s00); s01 = madd(x0, y1, s01);
    s02 = madd(x0, y2, s02); s03 = madd(x0, y3, s03);
    s10 = madd(x1, y0, s10); s11 = madd(x1, y1, s11);
    s12 = madd(x1, y2, s12); s13 = madd(x1, y3, s13);
  }
  let r0 = hsum4(s00, s01, s02, s03), r1 = hsum4(s10, s11, s12, s13);
  for (; o < kb; o += 4) {
    const y = f32x4(load<f32>(bt + o), load<f32>(b1 + o), load<f32>(b2 + o), load<f32>(b3 + o));
    r0 = madd(v128.load32_splat(a + o), y, r0);
    r1 = madd(v128.load32_splat(a1 + o), y, r1);
  }
  if (acc) {
    r0 = f32x4.add(r0, v128.load(c));
    r1 = f32x4.add(r1, v128.load(c + ldc));
  }
  v128.store(c, r0);
  v128.store(c + ldc, r1);
}

// @ts-ignore: decorator
@inline export function transpose4(x0: v128, x1: v128, x2: v128, x3: v128, i: i32): v128 {
  // Row i of the 4x4 matrix whose columns are x0..x3.
  const lo01 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), lo23 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), hi23 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  if (i == 0) return v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5);
  if (i == 1) return v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7);
  if (i == 2) return v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5);
  return v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7);
}

/** Column form, 8 rows x 4 columns, for A stored [k,m] (A'(i..i+8, p) contiguous, sap bytes per p). */
// @ts-ignore: decorator
@inline export function kernel8x4t(k: i32, a: usize, sap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: i32): void {
  // u_j = C'[i..i+4, j], w_j = C'[i+4..i+8, j]
  let u0 = f32x4.splat(0), u1 = f32x4.splat(0), u2 = f32x4.splat(0), u3 = f32x4.splat(0);
  let w0 = f32x4.splat(0), w1 = f32x4.splat(0), w2 = f32x4.splat(0), w3 = f32x4.splat(0);
  let pa = a, pb = b;
  for (let p = 0; p < k; p++) {
    const x0 = v128.load(pa), x1 = v128.load(pa, 16);
    const y = v128.load(pb);
    let t = v128.shuffle<f32>(y, y, 0, 0, 0, 0);
    u0 = madd(x0, t, u0); w0 = madd(x1, t, w0);
    t = v128.shuffle<f32>(y, y, 1, 1, 1, 1);
    u1 = madd(x0, t, u1); w1 = madd(x1, t, w1);
    t = v128.shuffle<f32>(y, y, 2, 2, 2, 2);
    u2 = madd(x0, t, u2); w2 = madd(x1, t, w2);
    t = v128.shuffle<f32>(y, y, 3, 3, 3, 3);
    u3 = madd(x0, t, u3); w3 = madd(x1, t, w3);
    pa += sap;
    pb += ldb;
  }
  let cp = c;
  for (let r = 0; r < 4; r++) {
    let v = transpose4(u0, u1, u2, u3, r);
    if (acc) v = f32x4.add(v, v128.load(cp));
    v128.store(cp, v);
    cp += ldc;
  }
  for (let r = 0; r < 4; r++) {
    let v = transpose4(w0, w1, w2, w3, r);
    if (acc) v = f32x4.add(v, v128.load(cp));
    v128.store(cp, v);
    cp += ldc;
  }
}

/** One column j of four rows. */
// @ts-ignore: decorator
@inline export function kernel4x1(k: i32, a: usize, sai: usize, sap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: i32): void {
  if (sai == 4) {
    // A stored [k,m]: the four rows are adjacent, load them as one vector.
    let s = f32x4.splat(0);
    let pa = a, pb = b;
    for (let p = 0; p < k; p++) {
      s = madd(v128.load(pa), v128.load32_splat(pb), s);
      pa += sap; pb += ldb;
    }
    if (acc) {
      s = f32x4.add(s, f32x4(load<f32>(c), load<f32>(c + ldc), load<f32>(c + 2 * ldc), load<f32>(c + 3 * ldc)));
    }
    store<f32>(c, f32x4.extract_lane(s, 0));
    store<f32>(c + ldc, f32x4.extract_lane(s, 1));
    store<f32>(c + 2 * ldc, f32x4.extract_lane(s, 2));
    store<f32>(c + 3 * ldc, f32x4.extract_lane(s, 3));
  } else if (sap == 4 && ldb == 4) {
    // A as is and n == 1 (so B and C are contiguous columns): four vectorised dot products.
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    const a1 = a + sai, a2 = a1 + sai, a3 = a2 + sai;
    let o: usize = 0;
    const k4 = (<usize>k & ~3) << 2;
    for (; o < k4; o += 16) {
      const bv = v128.load(b + o);
      s0 = madd(v128.load(a + o), bv, s0);
      s1 = madd(v128.load(a1 + o), bv, s1);
      s2 = madd(v128.load(a2 + o), bv, s2);
      s3 = madd(v128.load(a3 + o), bv, s3);
    }
    // Horizontal sums of s0..s3 into the lanes of one vector.
    const t0 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
    const t1 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
    let r = f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
    const kb = <usize>k << 2;
    for (; o < kb; o += 4) {
      r = madd(f32x4(load<f32>(a + o), load<f32>(a1 + o), load<f32>(a2 + o), load<f32>(a3 + o)), v128.load32_splat(b + o), r);
    }
    if (acc) r = f32x4.add(r, v128.load(c));
    v128.store(c, r);
  } else {
    kernel1x1(k, a, sap, b, ldb, c, acc);
    kernel1x1(k, a + sai, sap, b, ldb, c + ldc, acc);
    kernel1x1(k, a + 2 * sai, sap, b, ldb, c + 2 * ldc, acc);
    kernel1x1(k, a + 3 * sai, sap, b, ldb, c + 3 * ldc, acc);
  }
}

// @ts-ignore: decorator
@inline export function kernel1x8(k: i32, a: usize, sap: usize, b: usize, ldb: usize, c: usize, acc: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  if (acc) { c0 = v128.load(c); c1 = v128.load(c, 16); }
  let pa = a, pb = b;
  for (let p = 0; p < k; p++) {
    const x = v128.load32_splat(pa);
    c0 = madd(x, v128.load(pb), c0);
    c1 = madd(x, v128.load(pb, 16), c1);
    pa += sap; pb += ldb;
  }
  v128.store(c, c0); v128.store(c, c1, 16);
}

// @ts-ignore: decorator
@inline export function kernel1x4(k: i32, a: usize, sap: usize, b: usize, ldb: usize, c: usize, acc: i32): void {
  let c0 = f32x4.splat(0);
  if (acc) c0 = v128.load(c);
  let pa = a, pb = b;
  for (let p = 0; p < k; p++) {
    c0 = madd(v128.load32_splat(pa), v128.load(pb), c0);
    pa += sap; pb += ldb;
  }
  v128.store(c, c0);
}

/** Single dot product C(i,j) = sum_p A'(i,p) B'(p,j). */
export function kernel1x1(k: i32, a: usize, sap: usize, b: usize, ldb: usize, c: usize, acc: i32): void {
  let p = 0;
  let s: f32 = 0;
  if (sap == 4 && ldb == 4) {
    // Both contiguous along p (A as is, n == 1): vectorised dot.
    let v = f32x4.splat(0);
    for (; p + 4 <= k; p += 4) {
      const o = <usize>p << 2;
      v = madd(v128.load(a + o), v128.load(b + o), v);
    }
    s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  }
  let pa = a + <usize>p * sap, pb = b + <usize>p * ldb;
  for (; p < k; p++) {
    s += load<f32>(pa) * load<f32>(pb);
    pa += sap; pb += ldb;
  }
  if (acc) s += load<f32>(c);
  store<f32>(c, s);
}
