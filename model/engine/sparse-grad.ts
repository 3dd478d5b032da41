// Gradient of an embedding table for one step, stored only for the rows the batch touched.
// A row's gradient is zeroed lazily on its first touch in a step, so a step costs time in
// proportion to the rows it touches, never to the table size. Every buffer lives in kernel
// memory, so a worker thread can fill it and the main thread can read it without copies.

import type { Kernels } from './kernels/types.ts';

export class SparseGrad {
  readonly grad: Float32Array;
  /** Step stamp per row: the row's gradient is valid for the current step when equal. */
  private readonly stamp: Int32Array;
  /** Rows touched this step, in order of first touch; state[0] = count, state[1] = step. */
  readonly touched: Int32Array;
  private readonly state: Int32Array;

  constructor(
    readonly rows: number,
    readonly dim: number,
    /** Upper bound on distinct rows one step can touch. */
    capacity: number,
    k: Kernels,
  ) {
    this.grad = k.alloc(rows * dim);
    this.stamp = k.allocInt(rows);
    this.touched = k.allocInt(Math.min(capacity, rows));
    this.state = k.allocInt(2);
    this.state[1] = 1;
  }

  get count(): number {
    return this.state[0];
  }

  /** Forget the previous step's rows (O(1)). */
  reset(): void {
    this.state[1]++;
    this.state[0] = 0;
  }

  has(row: number): boolean {
    return this.stamp[row] === this.state[1];
  }

  /** Zeroes the gradient of every row touched this step, keeping them touched (and their order). */
  zeroTouched(): void {
    const d = this.dim;
    for (let r = 0, n = this.state[0]; r < n; r++) this.grad.fill(0, this.touched[r] * d, (this.touched[r] + 1) * d);
  }

  /** grad[row] = src[off .. off + dim), touching the row. */
  set(row: number, src: ArrayLike<number>, off: number): void {
    if (row === 0) return;
    const d = this.dim;
    if (this.stamp[row] !== this.state[1]) {
      this.stamp[row] = this.state[1];
      this.touched[this.state[0]++] = row;
    }
    for (let j = 0; j < d; j++) this.grad[row * d + j] = src[off + j];
  }

  /** grad[ids[i]] += src row i ([count, dim]) for i < count, in one kernel call (row 0 skipped). */
  addRows(k: Kernels, ids: Int32Array, count: number, src: Float32Array): void {
    k.scatterAddRows(this.grad, this.stamp, this.touched, this.state, ids, count, this.dim, src);
  }

  /** grad[row] += scale * src[off .. off + dim). The padding row 0 is never trained. */
  add(row: number, src: Float32Array, off: number, scale: number): void {
    if (row === 0) return;
    const d = this.dim;
    const base = row * d;
    const g = this.grad;
    if (this.stamp[row] !== this.state[1]) {
      this.stamp[row] = this.state[1];
      this.touched[this.state[0]++] = row;
      for (let j = 0; j < d; j++) g[base + j] = scale * src[off + j];
    } else {
      for (let j = 0; j < d; j++) g[base + j] += scale * src[off + j];
    }
  }
}
