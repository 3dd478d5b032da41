// Fitting numeric features on the training split only: normalisation statistics (streaming,
// Welford's algorithm) and quantile bin edges (from a deterministic sample of the values).

import { numericValue } from './encode.ts';
import { fmix32 } from './hash.ts';
import type { NumericFeature } from './spec.ts';

export class NumericStats {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  constructor(readonly transform: NumericFeature['transform']) {}

  add(raw: unknown): void {
    let x = numericValue(raw);
    if (Number.isNaN(x)) return;
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

/** Values kept for the quantiles: exact up to this many, a uniform reservoir sample beyond. */
export const QUANTILE_SAMPLE = 200_000;
/** Columns with at most this many distinct values are not binned. */
export const MIN_DISTINCT_TO_BIN = 8;
/** A bin should hold at least this many training values on average. */
export const MIN_ROWS_PER_BIN = 50;

/**
 * Quantile bin edges of one numeric column. The reservoir's replacement choices come from a
 * hash of the value's position, so the edges depend only on the data, never on a run.
 */
export class QuantileSketch {
  private sample = new Float64Array(1024);
  private kept = 0;
  private seen = 0;

  add(raw: unknown): void {
    const x = numericValue(raw);
    if (Number.isNaN(x)) return;
    this.seen++;
    if (this.kept < QUANTILE_SAMPLE) {
      if (this.kept === this.sample.length) {
        const grown = new Float64Array(Math.min(QUANTILE_SAMPLE, this.sample.length * 2));
        grown.set(this.sample);
        this.sample = grown;
      }
      this.sample[this.kept++] = x;
      return;
    }
    const j = fmix32(this.seen) % this.seen;
    if (j < QUANTILE_SAMPLE) this.sample[j] = x;
  }

  /**
   * Ascending, distinct edges of at most `maxBins` bins (fewer for few values: at least
   * MIN_ROWS_PER_BIN values a bin); none for a column of at most MIN_DISTINCT_TO_BIN distinct
   * values. A column with fewer distinct values than bins gets one bin per value;
   * otherwise the edges are the values at the i / bins quantiles. Ties collapse, so a mass
   * point (all the zeros of a mostly-zero column) is one bin of its own.
   */
  edges(maxBins: number): number[] {
    const bins = Math.min(maxBins, Math.floor(this.kept / MIN_ROWS_PER_BIN));
    if (bins < 2) return [];
    const v = this.sample.slice(0, this.kept).sort();
    const distinct: number[] = [];
    const enough = Math.max(bins, MIN_DISTINCT_TO_BIN) + 1;
    for (let i = 0; i < v.length && distinct.length < enough; i++) if (i === 0 || v[i] !== v[i - 1]) distinct.push(v[i]);
    // Flags, small counts and ratings: the standardised value already separates every level,
    // and an embedding per level only adds capacity to overfit with (measured on UCI coupon).
    if (distinct.length <= MIN_DISTINCT_TO_BIN) return [];
    if (distinct.length <= bins) return distinct.slice(1);
    const out: number[] = [];
    for (let q = 1; q < bins; q++) {
      const e = v[Math.floor((q * v.length) / bins)];
      if (e > v[0] && (out.length === 0 || e > out[out.length - 1])) out.push(e);
    }
    return out;
  }
}

/** At most this many values of a field get a row of their own (the rest are hashed). */
export const MAX_VOCABULARY = 4096;
/** A value needs this many training rows to get a row of its own. */
export const MIN_VALUE_COUNT = 2;

/** Counts of the raw values of one vocabulary (one field, or the fields that share one). */
export class VocabularyCounter {
  private counts = new Map<string, number>();

  add(value: string): void {
    if (value !== '') this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  /**
   * The values that get a bucket each: the most frequent ones (ties in string order, so the
   * result depends only on the data), seen at least MIN_VALUE_COUNT times, at most
   * MAX_VOCABULARY and at most half of the buckets, so the other values still have room to
   * be hashed into.
   */
  values(buckets: number): string[] {
    const cap = Math.min(MAX_VOCABULARY, Math.floor((buckets - 1) / 2));
    return [...this.counts]
      .filter(([, n]) => n >= MIN_VALUE_COUNT)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, cap)
      .map(([v]) => v);
  }
}
