// @ts-nocheck -- AssemblyScript source (compiled by scripts/build-kernels.mjs), not TypeScript.
//
// Dense f32 kernels with 128-bit SIMD. Every function takes raw byte addresses into the
// imported (shared) memory and sizes in elements; nothing here allocates, so the module has
// no heap of its own and the JS side owns the whole address space above HEAP_START.
// Matrices are row-major and contiguous. The matrix products are in gemm.ts, the dot interaction
// in interaction.ts; this file holds the heap base and the element-wise and reduction kernels.

/** Lowest address the JS allocator may hand out (64 KiB: page 0 is reserved for AS data / header). */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------
// Element-wise and reduction kernels.
// ---------------------------------------------------------------------------------------------

/** y[i,j] += bias[j] for y [m,n]. */
export function addBias(y: usize, bias: usize, m: i32, n: i32): void {
  if (n == 1) {
    const bv = v128.load32_splat(bias);
    const bs = load<f32>(bias);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const p = y + (<usize>i << 2);
      v128.store(p, f32x4.add(v128.load(p), bv));
    }
    for (; i < m; i++) {
      const p = y + (<usize>i << 2);
      store<f32>(p, load<f32>(p) + bs);
    }
    return;
  }
  const ld: usize = <usize>n << 2;
  let row = y;
  for (let i = 0; i < m; i++) {
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
    row += ld;
  }
}

/** out[j] = (acc ? out[j] : 0) + sum_i dy[i,j]. */
export function colSum(dy: usize, m: i32, n: i32, out: usize, acc: i32): void {
  if (n == 1) {
    let v = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= m; i += 4) v = f32x4.add(v, v128.load(dy + (<usize>i << 2)));
    let s: f32 = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
    for (; i < m; i++) s += load<f32>(dy + (<usize>i << 2));
    store<f32>(out, acc ? load<f32>(out) + s : s);
    return;
  }
  if (!acc) memory.fill(out, 0, <usize>n << 2);
  const ld: usize = <usize>n << 2;
  let row = dy;
  let j = 0;
  // Columns in blocks of 16 held in registers across all rows.
  for (; j + 16 <= n; j += 16) {
    const o = out + (<usize>j << 2);
    let s0 = v128.load(o), s1 = v128.load(o, 16), s2 = v128.load(o, 32), s3 = v128.load(o, 48);
    let r = dy + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      s0 = f32x4.add(s0, v128.load(r));
      s1 = f32x4.add(s1, v128.load(r, 16));
      s2 = f32x4.add(s2, v128.load(r, 32));
      s3 = f32x4.add(s3, v128.load(r, 48));
      r += ld;
    }
    v128.store(o, s0); v128.store(o, s1, 16); v128.store(o, s2, 32); v128.store(o, s3, 48);
  }
  for (; j + 4 <= n; j += 4) {
    const o = out + (<usize>j << 2);
    let s0 = v128.load(o);
    let r = dy + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      s0 = f32x4.add(s0, v128.load(r));
      r += ld;
    }
    v128.store(o, s0);
  }
  for (; j < n; j++) {
    const o = out + (<usize>j << 2);
    let s = load<f32>(o);
    let r = dy + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      s += load<f32>(r);
      r += ld;
    }
    store<f32>(o, s);
  }
}

/** y = x > 0 ? x : 0 (x may equal y). */
export function relu(x: usize, y: usize, len: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.pmax(z, v128.load(x + o)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : 0);
  }
}

/** dx = y > 0 ? dy : 0 (dx may equal dy). */
export function reluBackward(dy: usize, y: usize, dx: usize, len: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), z)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

/**
 * The weight average's fold: avg = b avg + a w over len elements, in float32 (two products and
 * a sum, no fused multiply-add: the same bits in every build and in the JS twin).
 */
export function movingAverage(avg: usize, w: usize, len: i32, b: f32, a: f32): void {
  const vb = f32x4.splat(b), va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(avg + o, f32x4.add(f32x4.mul(vb, v128.load(avg + o)), f32x4.mul(va, v128.load(w + o))));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(avg + o, b * load<f32>(avg + o) + a * load<f32>(w + o));
  }
}

/**
 * Dense Adam step; g is zeroed afterwards. lr already includes bias correction. c1 = 1 - b1 and
 * c2 = 1 - b2 come from the caller in double precision: 1 - f32(0.999) would be off by 1.3e-5.
 */
export function adam(w: usize, g: usize, m: usize, v: usize, len: i32, lr: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
  const vlr = f32x4.splat(lr), veps = f32x4.splat(eps), z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gv));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(vlr, mv), f32x4.add(f32x4.sqrt(vv), veps))));
    v128.store(g + o, z);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o);
    const ms = b1 * load<f32>(m + o) + c1 * gs;
    const vs = b2 * load<f32>(v + o) + c2 * (gs * gs);
    store<f32>(m + o, ms);
    store<f32>(v + o, vs);
    store<f32>(w + o, load<f32>(w + o) - (lr * ms) / (Mathf.sqrt(vs) + eps));
    store<f32>(g + o, 0);
  }
}

/**
 * Lazy Adam over the rows rows[0 .. count) of a [*, d] embedding table: for each listed row,
 * m = b1 m + c1 g; v = b2 v + c2 g^2; w = keep w - lr m / (sqrt(v) + eps). g is read, not
 * zeroed (sparse gradients are reset by their step stamp). The caller checks the rows.
 */
export function adamRows(w: usize, g: usize, m: usize, v: usize, rows: usize, count: i32, d: i32, lr: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32, keep: f32): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
  const vlr = f32x4.splat(lr), veps = f32x4.splat(eps), vkeep = f32x4.splat(keep);
  const rb: usize = <usize>d << 2;
  const vb: usize = rb & ~15;
  for (let r = 0; r < count; r++) {
    const base = <usize>load<i32>(rows + (<usize>r << 2)) * rb;
    let o: usize = base;
    const end = base + vb;
    for (; o < end; o += 16) {
      const gv = v128.load(g + o);
      const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gv));
      const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gv, gv)));
      v128.store(m + o, mv);
      v128.store(v + o, vv);
      v128.store(w + o, f32x4.sub(f32x4.mul(vkeep, v128.load(w + o)), f32x4.div(f32x4.mul(vlr, mv), f32x4.add(f32x4.sqrt(vv), veps))));
    }
    for (; o < base + rb; o += 4) {
      const gs = load<f32>(g + o);
      const ms = b1 * load<f32>(m + o) + c1 * gs;
      const vs = b2 * load<f32>(v + o) + c2 * (gs * gs);
      store<f32>(m + o, ms);
      store<f32>(v + o, vs);
      store<f32>(w + o, keep * load<f32>(w + o) - (lr * ms) / (Mathf.sqrt(vs) + eps));
    }
  }
}

/**
 * The embedding gradient scatter: for i < count, grad row ids[i] += src row i ([count, d]),
 * where a row seen for the first time this step (stamp[row] != state[1]) is stamped, appended
 * to touched (state[0] counts them, at most cap) and set instead of added. Row 0 (padding) is
 * skipped. The caller checks the ids. Returns 0, or 1 when a new row found touched full (the
 * rows before it are done, state[0] is kept right).
 */
export function scatterAddRows(grad: usize, stamp: usize, touched: usize, state: usize, cap: i32, ids: usize, count: i32, d: i32, src: usize): i32 {
  const rb: usize = <usize>d << 2;
  const vb: usize = rb & ~15;
  const step = load<i32>(state, 4);
  let n = load<i32>(state);
  let from = src;
  for (let i = 0; i < count; i++) {
    const row = load<i32>(ids + (<usize>i << 2));
    if (row != 0) {
      const dst = grad + <usize>row * rb;
      const sp = stamp + (<usize>row << 2);
      let o: usize = 0;
      if (load<i32>(sp) != step) {
        if (n >= cap) {
          store<i32>(state, n);
          return 1;
        }
        store<i32>(sp, step);
        store<i32>(touched + (<usize>n << 2), row);
        n++;
        for (; o < vb; o += 16) v128.store(dst + o, v128.load(from + o));
        for (; o < rb; o += 4) store<f32>(dst + o, load<f32>(from + o));
      } else {
        for (; o < vb; o += 16) v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(from + o)));
        for (; o < rb; o += 4) store<f32>(dst + o, load<f32>(dst + o) + load<f32>(from + o));
      }
    }
    from += rb;
  }
  store<i32>(state, n);
  return 0;
}

/**
 * One expert's share of a gate-weighted mixture, rows i < n of [n, d] matrices: y[i,:] +=
 * g[i*K + k] * e[i,:] (g is the [n, K] gate).
 */
export function mixAdd(y: usize, g: usize, K: i32, k: i32, e: usize, n: i32, d: i32): void {
  const rb: usize = <usize>d << 2;
  const vb: usize = rb & ~15;
  for (let i = 0; i < n; i++) {
    const gk = load<f32>(g + ((<usize>i * <usize>K + <usize>k) << 2));
    const vg = f32x4.splat(gk);
    const base: usize = <usize>i * rb;
    const yi = y + base, ei = e + base;
    let o: usize = 0;
    for (; o < vb; o += 16) v128.store(yi + o, f32x4.add(v128.load(yi + o), f32x4.mul(vg, v128.load(ei + o))));
    for (; o < rb; o += 4) store<f32>(yi + o, load<f32>(yi + o) + gk * load<f32>(ei + o));
  }
}

/**
 * Backward of mixAdd for expert k: de[i,:] += g[i*K + k] * dy[i,:] and dg[i*K + k] +=
 * dy[i,:] . e[i,:] (the dot in 4 lanes, summed at the end of the row).
 */
export function mixBackward(dy: usize, g: usize, K: i32, k: i32, e: usize, n: i32, d: i32, de: usize, dg: usize): void {
  const rb: usize = <usize>d << 2;
  const vb: usize = rb & ~15;
  for (let i = 0; i < n; i++) {
    const gi: usize = (<usize>i * <usize>K + <usize>k) << 2;
    const gk = load<f32>(g + gi);
    const vg = f32x4.splat(gk);
    const base: usize = <usize>i * rb;
    const dyi = dy + base, ei = e + base, dei = de + base;
    let vdot = f32x4.splat(0);
    let o: usize = 0;
    for (; o < vb; o += 16) {
      const vdy = v128.load(dyi + o);
      vdot = f32x4.add(vdot, f32x4.mul(vdy, v128.load(ei + o)));
      v128.store(dei + o, f32x4.add(v128.load(dei + o), f32x4.mul(vg, vdy)));
    }
    let dot: f32 = f32x4.extract_lane(vdot, 0) + f32x4.extract_lane(vdot, 1) + (f32x4.extract_lane(vdot, 2) + f32x4.extract_lane(vdot, 3));
    for (; o < rb; o += 4) {
      const s = load<f32>(dyi + o);
      dot += s * load<f32>(ei + o);
      store<f32>(dei + o, load<f32>(dei + o) + gk * s);
    }
    store<f32>(dg + gi, load<f32>(dg + gi) + dot);
  }
}

/** out[i*d ..] = table row ids[i] for i < count (the caller checks the ids). */
export function gatherRows(table: usize, ids: usize, count: i32, d: i32, out: usize): void {
  const rb: usize = <usize>d << 2;
  const vb: usize = rb & ~15;
  let dst = out;
  for (let i = 0; i < count; i++) {
    const src = table + <usize>load<i32>(ids + (<usize>i << 2)) * rb;
    let o: usize = 0;
    for (; o < vb; o += 16) v128.store(dst + o, v128.load(src + o));
    for (; o < rb; o += 4) store<f32>(dst + o, load<f32>(src + o));
    dst += rb;
  }
}
