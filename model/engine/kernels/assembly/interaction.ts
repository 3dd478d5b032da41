// @ts-nocheck -- AssemblyScript source (compiled by scripts/build-kernels.mjs), not TypeScript.
//
// The dot interaction (ops/interaction.ts) and its backward with 128-bit SIMD (raw byte
// addresses into the imported memory, sizes in elements; see kernels.ts): row r < n of x
// [n, F*d] holds F vectors of width d; out [n, F(F-1)/2] gets their dots x_i . x_j for i < j,
// in (i, j) order. With 22 fields of width 16 these are 231 dots a row, forward and backward:
// in plain JS they cost nearly as much as every GEMM of the default synthetic model.

import { hsum4, madd } from './lib/simd';

export function dotInteraction(x: usize, n: i32, F: i32, d: i32, out: usize): void {
  const rb: usize = <usize>d << 2;
  const vb: usize = rb & ~15;
  let po = out;
  for (let r = 0; r < n; r++) {
    const base = x + <usize>r * <usize>F * rb;
    for (let i = 0; i < F; i++) {
      const a = base + <usize>i * rb;
      let j = i + 1;
      // Four partners at a time: their four dots are adjacent in out, one horizontal sum stores them.
      for (; j + 4 <= F; j += 4) {
        const b0 = base + <usize>j * rb, b1 = b0 + rb, b2 = b1 + rb, b3 = b2 + rb;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let o: usize = 0;
        for (; o < vb; o += 16) {
          const va = v128.load(a + o);
          s0 = madd(va, v128.load(b0 + o), s0);
          s1 = madd(va, v128.load(b1 + o), s1);
          s2 = madd(va, v128.load(b2 + o), s2);
          s3 = madd(va, v128.load(b3 + o), s3);
        }
        let sv = hsum4(s0, s1, s2, s3);
        for (; o < rb; o += 4) {
          sv = madd(v128.load32_splat(a + o), f32x4(load<f32>(b0 + o), load<f32>(b1 + o), load<f32>(b2 + o), load<f32>(b3 + o)), sv);
        }
        v128.store(po, sv);
        po += 16;
      }
      for (; j < F; j++) {
        const b = base + <usize>j * rb;
        let sv = f32x4.splat(0);
        let o: usize = 0;
        for (; o < vb; o += 16) sv = madd(v128.load(a + o), v128.load(b + o), sv);
        let s: f32 = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
        for (; o < rb; o += 4) s += load<f32>(a + o) * load<f32>(b + o);
        store<f32>(po, s);
        po += 4;
      }
    }
  }
}

/** Backward of dotInteraction: dx_i += g_ij x_j and dx_j += g_ij x_i for every pair, g = dy. */
export function dotInteractionBackward(x: usize, dy: usize, n: i32, F: i32, d: i32, dx: usize): void {
  const rb: usize = <usize>d << 2;
  const vb: usize = rb & ~15;
  let pg = dy;
  for (let r = 0; r < n; r++) {
    const off = <usize>r * <usize>F * rb;
    const base = x + off, dbase = dx + off;
    for (let i = 0; i < F; i++) {
      const a = base + <usize>i * rb, da = dbase + <usize>i * rb;
      for (let j = i + 1; j < F; j++) {
        const g = load<f32>(pg);
        pg += 4;
        if (g == 0) continue;
        const vg = f32x4.splat(g);
        const b = base + <usize>j * rb, db = dbase + <usize>j * rb;
        let o: usize = 0;
        for (; o < vb; o += 16) {
          v128.store(da + o, madd(vg, v128.load(b + o), v128.load(da + o)));
          v128.store(db + o, madd(vg, v128.load(a + o), v128.load(db + o)));
        }
        for (; o < rb; o += 4) {
          store<f32>(da + o, load<f32>(da + o) + g * load<f32>(b + o));
          store<f32>(db + o, load<f32>(db + o) + g * load<f32>(a + o));
        }
      }
    }
  }
}
