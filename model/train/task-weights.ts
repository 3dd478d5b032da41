// How the per-task losses are combined. Fixed weights, or uncertainty weighting
// (Kendall, Gal & Cipolla, CVPR 2018): L = sum_t exp(-s_t) L_t + s_t / 2 with s_t = log sigma_t^2
// learned by its own Adam, so tasks with a small, noisy loss are not drowned out.

export type Weighting = 'fixed' | 'uncertainty';

export class TaskWeights {
  private readonly s: Float64Array;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    readonly mode: Weighting,
    private readonly fixed: readonly number[],
    private readonly lr: number,
  ) {
    this.s = new Float64Array(fixed.length);
    this.m = new Float64Array(fixed.length);
    this.v = new Float64Array(fixed.length);
  }

  /** Current multiplier of each task's mean loss. */
  weight(t: number): number {
    return this.mode === 'fixed' ? this.fixed[t] : this.fixed[t] * Math.exp(-this.s[t]);
  }

  /** After a step: move s_t given each task's mean loss on the batch (NaN = task absent). */
  update(meanLoss: readonly number[]): void {
    if (this.mode === 'fixed') return;
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const lrT = (this.lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (let i = 0; i < this.s.length; i++) {
      if (!Number.isFinite(meanLoss[i])) continue;
      const g = -this.fixed[i] * Math.exp(-this.s[i]) * meanLoss[i] + 0.5;
      this.m[i] = b1 * this.m[i] + (1 - b1) * g;
      this.v[i] = b2 * this.v[i] + (1 - b2) * g * g;
      this.s[i] -= (lrT * this.m[i]) / (Math.sqrt(this.v[i]) + 1e-8);
    }
  }

  values(): number[] {
    return this.fixed.map((_, t) => this.weight(t));
  }
}
