// The dense-math interface of the training engine. The engine only talks to `Kernels`; which
// implementation runs (plain JS or WASM SIMD) is chosen once, at start-up (see index.ts).

export interface Kernels {
  readonly name: string; // 'js' | 'wasm-simd'
  /** A zeroed Float32Array the kernels can operate on without copying (a view into the wasm memory for the wasm implementation). Allocations are never freed (the engine allocates once up front). */
  alloc(length: number): Float32Array;
  /** Int32 variant (for index buffers), same memory. */
  allocInt(length: number): Int32Array;
  /** C[m,n] = (accumulate ? C : 0) + op(A)·op(B), row-major, contiguous.
   *  op(A) is [m,k]: A itself ([m,k]) or, when transA, A is stored [k,m] and transposed.
   *  op(B) is [k,n]: B itself ([k,n]) or, when transB, B is stored [n,k] and transposed. */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void;
  /** y[i,j] += bias[j] for an [m,n] matrix. */
  addBias(y: Float32Array, bias: Float32Array, m: number, n: number): void;
  /** out[j] = (accumulate ? out[j] : 0) + sum_i dy[i,j]. */
  colSum(dy: Float32Array, m: number, n: number, out: Float32Array, accumulate: boolean): void;
  /** y = max(x, 0) over len elements (x and y may be the same array). */
  relu(x: Float32Array, y: Float32Array, len: number): void;
  /** dx = y > 0 ? dy : 0 (y is the relu output); dx may alias dy. */
  reluBackward(dy: Float32Array, y: Float32Array, dx: Float32Array, len: number): void;
  /** Dense Adam step over len elements: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr * m / (sqrt(v) + eps) where lr already includes bias correction; g is then zeroed. */
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, len: number, lr: number, b1: number, b2: number, eps: number): void;
  /**
   * Lazy Adam over the rows rows[0 .. count) of [*, d] tables: per listed row, m = b1 m + (1-b1) g;
   * v = b2 v + (1-b2) g^2; w = keep w - lr m / (sqrt(v) + eps), in float32 (lr includes bias
   * correction, keep the decoupled weight decay). g is read, not zeroed. A row outside the table is a RangeError.
   */
  adamRows(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array, count: number, d: number, lr: number, b1: number, b2: number, eps: number, keep: number): void;
  /**
   * The embedding gradient scatter into a lazily zeroed sparse gradient (engine/sparse-grad.ts):
   * for i < count with ids[i] != 0, row ids[i] of grad gets src row i ([count, d]) added, or set
   * when the row is first touched this step (stamp[row] != state[1]: the row is then stamped and
   * appended to touched, state[0] counting them). An id outside the table, or a new row when
   * touched is full, is a RangeError.
   */
  scatterAddRows(grad: Float32Array, stamp: Int32Array, touched: Int32Array, state: Int32Array, ids: Int32Array, count: number, d: number, src: Float32Array): void;
  /** One expert's share of a gate-weighted mixture: y[i,:] += g[i*K + k] * e[i,:] for rows i < n of [n, d] (g is [n, K]). */
  mixAdd(y: Float32Array, g: Float32Array, K: number, k: number, e: Float32Array, n: number, d: number): void;
  /** Backward of mixAdd: de[i,:] += g[i*K + k] * dy[i,:]; dg[i*K + k] += dy[i,:] . e[i,:]. */
  mixBackward(dy: Float32Array, g: Float32Array, K: number, k: number, e: Float32Array, n: number, d: number, de: Float32Array, dg: Float32Array): void;
  /**
   * The dot interaction: row r < n of x [n, F*d] holds F vectors of width d; out [n, F(F-1)/2]
   * gets x_i . x_j for every pair i < j, in (i, j) order.
   */
  dotInteraction(x: Float32Array, n: number, F: number, d: number, out: Float32Array): void;
  /** Backward of dotInteraction: dx_i += dy_ij x_j and dx_j += dy_ij x_i for every pair (dx accumulates). */
  dotInteractionBackward(x: Float32Array, dy: Float32Array, n: number, F: number, d: number, dx: Float32Array): void;
  /** out[i*d .. (i+1)*d) = table row ids[i], for i < count (the embedding gather: an exact copy). */
  gatherRows(table: Float32Array, ids: Int32Array, count: number, d: number, out: Float32Array): void;
  /** One input of a concatenation: out[i*stride + offset + j] = x[i*w + j] for i < n, j < w (an exact copy). */
  concatColumns(x: Float32Array, n: number, w: number, out: Float32Array, stride: number, offset: number): void;
  /** Its gradient: dx[i*w + j] += dOut[i*stride + offset + j]. */
  concatColumnsBackward(dOut: Float32Array, n: number, stride: number, offset: number, w: number, dx: Float32Array): void;
  /** avg = b avg + a w over len elements, each product and the sum rounded to float32 (the same bits in every implementation). */
  movingAverage(avg: Float32Array, w: Float32Array, len: number, b: number, a: number): void;
}

/** Throws a RangeError when an operand is shorter than the kernel needs (both implementations check). */
export function checkLen(what: string, arr: ArrayLike<number>, need: number): void {
  if (arr.length < need) throw new RangeError(`kernel operand ${what}: length ${arr.length} < required ${need}`);
}
