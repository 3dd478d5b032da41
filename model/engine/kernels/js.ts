// Plain-JS kernels: the reference implementation and the fallback when WASM SIMD is not
// available. Same semantics as the WASM kernels (see types.ts); arrays are ordinary
// Float32Arrays and alloc() never shares memory with anything.

import { checkLen, type Kernels } from './types.ts';

export function createJsKernels(): Kernels {
  return {
    name: 'js',
    alloc: (length) => new Float32Array(length),
    allocInt: (length) => new Int32Array(length),
    gemm,
    addBias,
    colSum,
    relu,
    reluBackward,
    adam,
    adamRows,
    scatterAddRows,
    mixAdd,
    mixBackward,
    dotInteraction,
    dotInteractionBackward,
    gatherRows,
    concatColumns,
    concatColumnsBackward,
    movingAverage,
  };
}

function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void {
  checkLen('a', a, m * k);
  checkLen('b', b, k * n);
  checkLen('c', c, m * n);
  if (m <= 0 || n <= 0) return;
  if (!transB) {
    // Row-axpy form: C[i,:] += A'(i,p) * B[p,:], contiguous inner loop over B's rows.
    if (!accumulate) c.fill(0, 0, m * n);
    if (!transA) {
      for (let i = 0; i < m; i++) {
        const ci = i * n, ai = i * k;
        for (let p = 0; p < k; p++) {
          const x = a[ai + p];
          const bp = p * n;
          for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j];
        }
      }
    } else {
      for (let p = 0; p < k; p++) {
        const ap = p * m, bp = p * n;
        for (let i = 0; i < m; i++) {
          const x = a[ap + i];
          const ci = i * n;
          for (let j = 0; j < n; j++) c[ci + j] += x * b[bp + j];
        }
      }
    }
    return;
  }
  // B stored [n,k]: dot-product form over contiguous rows of B.
  if (!transA) {
    for (let i = 0; i < m; i++) {
      const ai = i * k, ci = i * n;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[ci + j] = accumulate ? c[ci + j] + s : s;
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[p * m + i] * b[bj + p];
        c[ci + j] = accumulate ? c[ci + j] + s : s;
      }
    }
  }
}

function addBias(y: Float32Array, bias: Float32Array, m: number, n: number): void {
  checkLen('y', y, m * n);
  checkLen('bias', bias, n);
  for (let i = 0; i < m; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) y[r + j] += bias[j];
  }
}

function colSum(dy: Float32Array, m: number, n: number, out: Float32Array, accumulate: boolean): void {
  checkLen('dy', dy, m * n);
  checkLen('out', out, n);
  if (!accumulate) out.fill(0, 0, n);
  for (let i = 0; i < m; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) out[j] += dy[r + j];
  }
}

function relu(x: Float32Array, y: Float32Array, len: number): void {
  checkLen('x', x, len);
  checkLen('y', y, len);
  // Branch-free form of `v > 0 ? v : 0` (exact for finite v: v + |v| is 2v or +0): about 5x
  // faster than the conditional on real activations, whose signs V8 cannot predict.
  for (let i = 0; i < len; i++) {
    const v = x[i];
    y[i] = (v + Math.abs(v)) * 0.5;
  }
}

function reluBackward(dy: Float32Array, y: Float32Array, dx: Float32Array, len: number): void {
  checkLen('dy', dy, len);
  checkLen('y', y, len);
  checkLen('dx', dx, len);
  // Branch-free `y > 0 ? dy : 0` (gives -0 for negative dy where y <= 0, which compares equal to 0).
  for (let i = 0; i < len; i++) dx[i] = dy[i] * +(y[i] > 0);
}

function adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, len: number, lr: number, b1: number, b2: number, eps: number): void {
  checkLen('w', w, len);
  checkLen('g', g, len);
  checkLen('m', m, len);
  checkLen('v', v, len);
  const c1 = 1 - b1, c2 = 1 - b2;
  for (let i = 0; i < len; i++) {
    const gi = g[i];
    m[i] = b1 * m[i] + c1 * gi;
    v[i] = b2 * v[i] + c2 * gi * gi;
    w[i] -= (lr * m[i]) / (Math.sqrt(v[i]) + eps);
    g[i] = 0;
  }
}

export function adamRows(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array, count: number, d: number, lr: number, b1: number, b2: number, eps: number, keep: number): void {
  checkLen('rows', rows, count);
  checkRows('adamRows', rows, count, d, Math.min(w.length, g.length, m.length, v.length));
  const c1 = 1 - b1, c2 = 1 - b2;
  for (let r = 0; r < count; r++) {
    const base = rows[r] * d;
    for (let i = base; i < base + d; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + c1 * gi;
      v[i] = b2 * v[i] + c2 * gi * gi;
      w[i] = keep * w[i] - (lr * m[i]) / (Math.sqrt(v[i]) + eps);
    }
  }
}

export function scatterAddRows(grad: Float32Array, stamp: Int32Array, touched: Int32Array, state: Int32Array, ids: Int32Array, count: number, d: number, src: Float32Array): void {
  checkScatter(grad, stamp, state, ids, count, d, src);
  const step = state[1];
  let n = state[0];
  for (let i = 0; i < count; i++) {
    const row = ids[i];
    if (row === 0) continue;
    const base = row * d;
    const off = i * d;
    if (stamp[row] !== step) {
      if (n >= touched.length) {
        state[0] = n;
        throw touchedFull(touched.length);
      }
      stamp[row] = step;
      touched[n++] = row;
      for (let j = 0; j < d; j++) grad[base + j] = src[off + j];
    } else {
      for (let j = 0; j < d; j++) grad[base + j] += src[off + j];
    }
  }
  state[0] = n;
}

/** The operand checks of scatterAddRows (both implementations): lengths and ids. */
export function checkScatter(grad: Float32Array, stamp: Int32Array, state: Int32Array, ids: Int32Array, count: number, d: number, src: Float32Array): void {
  checkLen('ids', ids, count);
  checkLen('src', src, count * d);
  checkLen('state', state, 2);
  checkRows('scatterAddRows', ids, count, d, Math.min(grad.length, stamp.length * d));
}

/** More distinct rows in a step than the sparse gradient's list holds (the workspace sizes it for every id of a step). */
export function touchedFull(cap: number): RangeError {
  return new RangeError(`scatterAddRows: a step touched more than the ${cap} rows its list holds`);
}

function mixAdd(y: Float32Array, g: Float32Array, K: number, k: number, e: Float32Array, n: number, d: number): void {
  checkMix(y, g, K, k, e, n, d);
  for (let i = 0; i < n; i++) {
    const gk = g[i * K + k];
    const o = i * d;
    for (let j = 0; j < d; j++) y[o + j] += gk * e[o + j];
  }
}

function mixBackward(dy: Float32Array, g: Float32Array, K: number, k: number, e: Float32Array, n: number, d: number, de: Float32Array, dg: Float32Array): void {
  checkMix(dy, g, K, k, e, n, d);
  checkLen('de', de, n * d);
  checkLen('dg', dg, n * K);
  for (let i = 0; i < n; i++) {
    const gk = g[i * K + k];
    const o = i * d;
    let dot = 0;
    for (let j = 0; j < d; j++) {
      dot += dy[o + j] * e[o + j];
      de[o + j] += gk * dy[o + j];
    }
    dg[i * K + k] += dot;
  }
}

function dotInteraction(x: Float32Array, n: number, F: number, d: number, out: Float32Array): void {
  checkInteraction(x, n, F, d, out, 'out');
  const P = (F * (F - 1)) / 2;
  for (let r = 0; r < n; r++) {
    const base = r * F * d;
    let o = r * P;
    for (let i = 0; i < F; i++) {
      const a = base + i * d;
      for (let j = i + 1; j < F; j++) {
        const b = base + j * d;
        let s = 0;
        for (let k = 0; k < d; k++) s += x[a + k] * x[b + k];
        out[o++] = s;
      }
    }
  }
}

function dotInteractionBackward(x: Float32Array, dy: Float32Array, n: number, F: number, d: number, dx: Float32Array): void {
  checkInteraction(x, n, F, d, dy, 'dy');
  checkLen('dx', dx, n * F * d);
  const P = (F * (F - 1)) / 2;
  for (let r = 0; r < n; r++) {
    const base = r * F * d;
    let o = r * P;
    for (let i = 0; i < F; i++) {
      const a = base + i * d;
      for (let j = i + 1; j < F; j++) {
        const g = dy[o++];
        if (g === 0) continue;
        const b = base + j * d;
        for (let k = 0; k < d; k++) {
          dx[a + k] += g * x[b + k];
          dx[b + k] += g * x[a + k];
        }
      }
    }
  }
}

/** The operand checks of dotInteraction / dotInteractionBackward (both implementations). */
export function checkInteraction(x: Float32Array, n: number, F: number, d: number, pairs: Float32Array, what: string): void {
  if (!(Number.isInteger(F) && F >= 0 && Number.isInteger(d) && d >= 0)) throw new RangeError(`dotInteraction: ${F} fields of width ${d}`);
  checkLen('x', x, n * F * d);
  checkLen(what, pairs, (n * F * (F - 1)) / 2);
}

/** The operand checks of mixAdd / mixBackward (both implementations). */
export function checkMix(y: Float32Array, g: Float32Array, K: number, k: number, e: Float32Array, n: number, d: number): void {
  if (!(Number.isInteger(k) && k >= 0 && k < K)) throw new RangeError(`mix: expert ${k} of ${K}`);
  checkLen('y', y, n * d);
  checkLen('g', g, n * K);
  checkLen('e', e, n * d);
}

/** Throws a RangeError naming the kernel when a row index lies outside a [length / d, d] table. */
export function checkRows(kernel: string, rows: Int32Array, count: number, d: number, length: number): void {
  const n = Math.floor(length / d);
  for (let i = 0; i < count; i++) if (!(rows[i] >= 0 && rows[i] < n)) throw new RangeError(`${kernel}: row ${rows[i]} outside a table of ${n} rows`);
}

export function gatherRows(table: Float32Array, ids: Int32Array, count: number, d: number, out: Float32Array): void {
  checkLen('ids', ids, count);
  checkLen('out', out, count * d);
  // Plain loops: subarray() per row allocates, and this runs once per id of a step.
  for (let i = 0; i < count; i++) {
    const src = ids[i] * d;
    if (src < 0 || src + d > table.length) throw new RangeError(`gatherRows: row ${ids[i]} outside a table of ${table.length / d} rows`);
    const dst = i * d;
    for (let j = 0; j < d; j++) out[dst + j] = table[src + j];
  }
}

/** The operand checks of concatColumns / concatColumnsBackward (both implementations). */
/** `narrow` is the [n, w] operand, `wide` the [n, stride] one (x and out forward, dx and dOut backward). */
export function checkColumns(kernel: string, narrow: Float32Array, n: number, w: number, wide: Float32Array, stride: number, offset: number): void {
  if (!(Number.isInteger(offset) && offset >= 0 && Number.isInteger(w) && w >= 0 && offset + w <= stride)) throw new RangeError(`${kernel}: columns [${offset}, ${offset + w}) outside rows of ${stride}`);
  const [nn, wn] = kernel === 'concatColumns' ? ['x', 'out'] : ['dx', 'dOut'];
  checkLen(nn, narrow, n * w);
  if (n > 0) checkLen(wn, wide, (n - 1) * stride + offset + w);
}

function concatColumns(x: Float32Array, n: number, w: number, out: Float32Array, stride: number, offset: number): void {
  checkColumns('concatColumns', x, n, w, out, stride, offset);
  for (let i = 0; i < n; i++) {
    const s = i * w, o = i * stride + offset;
    for (let j = 0; j < w; j++) out[o + j] = x[s + j];
  }
}

function concatColumnsBackward(dOut: Float32Array, n: number, stride: number, offset: number, w: number, dx: Float32Array): void {
  checkColumns('concatColumnsBackward', dx, n, w, dOut, stride, offset);
  for (let i = 0; i < n; i++) {
    const s = i * stride + offset, o = i * w;
    for (let j = 0; j < w; j++) dx[o + j] += dOut[s + j];
  }
}

function movingAverage(avg: Float32Array, w: Float32Array, len: number, b: number, a: number): void {
  checkLen('avg', avg, len);
  checkLen('w', w, len);
  // Float32 arithmetic as in the WASM kernel: a product or sum of two float32 values computed in
  // float64 and rounded once is the float32 result.
  const fb = Math.fround(b), fa = Math.fround(a);
  for (let j = 0; j < len; j++) avg[j] = Math.fround(Math.fround(fb * avg[j]) + Math.fround(fa * w[j]));
}
