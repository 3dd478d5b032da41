// @ts-nocheck -- AssemblyScript source (compiled by scripts/build-kernels.mjs), not TypeScript.
//
// The column blocks of a side-by-side concatenation [n, w] -> [n, stride] at column `offset`,
// and their gradient. In plain JS these per-row copies of a few dozen to a few hundred floats
// were ~10% of a training step of the default model (two concatenations, forward and back).

/** out[i*stride + offset + j] = x[i*w + j] for i < n, j < w. */
export function concatColumns(x: usize, n: i32, w: i32, out: usize, stride: i32, offset: i32): void {
  const rb: usize = <usize>w << 2;
  const ob: usize = <usize>stride << 2;
  let src = x;
  let dst = out + (<usize>offset << 2);
  for (let i = 0; i < n; i++) {
    memory.copy(dst, src, rb);
    src += rb;
    dst += ob;
  }
}

/** dx[i*w + j] += dOut[i*stride + offset + j] for i < n, j < w. */
export function concatColumnsBackward(dOut: usize, n: i32, stride: i32, offset: i32, w: i32, dx: usize): void {
  const rb: usize = <usize>w << 2;
  const vb: usize = rb & ~15;
  const ob: usize = <usize>stride << 2;
  let src = dOut + (<usize>offset << 2);
  let dst = dx;
  for (let i = 0; i < n; i++) {
    let o: usize = 0;
    for (; o < vb; o += 16) v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    for (; o < rb; o += 4) store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    src += ob;
    dst += rb;
  }
}
