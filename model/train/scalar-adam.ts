// Adam over a handful of float64 scalars (the learned task weights of uncertainty weighting
// and GradNorm), with its own step count; entries without a gradient this step are skipped.

export class ScalarAdam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    size: number,
    private readonly lr: number,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** x -= Adam step of grad; a non-finite grad[i] leaves x[i] (and its moments) alone. */
  step(x: Float64Array, grad: readonly number[]): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const lrT = (this.lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (let i = 0; i < x.length; i++) {
      const g = grad[i];
      if (!Number.isFinite(g)) continue;
      this.m[i] = b1 * this.m[i] + (1 - b1) * g;
      this.v[i] = b2 * this.v[i] + (1 - b2) * g * g;
      x[i] -= (lrT * this.m[i]) / (Math.sqrt(this.v[i]) + 1e-8);
    }
  }
}
