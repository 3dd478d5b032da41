// Fitting numeric normalisation on the training split only (streaming: Welford's algorithm).

import type { NumericFeature } from './spec.ts';

export class NumericStats {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  constructor(readonly transform: NumericFeature['transform']) {}

  add(raw: unknown): void {
    let x = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(x)) return;
    if (this.transform === 'log1p') x = Math.log1p(Math.max(0, x));
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  /** Mean and standard deviation; a constant or empty column gets std 1 so it maps to 0. */
  result(): { mean: number; std: number; count: number } {
    const std = this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
    return { mean: this.n ? this.mean : 0, std: std > 1e-12 ? std : 1, count: this.n };
  }
}
