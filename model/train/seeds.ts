// Statistics over seeds: run-to-run spread of AUC is often larger than the differences
// between architectures, so a comparison over N seeds reports means, standard deviations and,
// per multi-task architecture, the paired difference to the single-task baseline (same seed,
// same split) with a two-sided t-test on it.

import { mean, sd } from '../metrics/index.ts';

// Two-sided 95% critical values of Student's t for 1..30 degrees of freedom.
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tCritical95(df: number): number {
  if (df < 1) return Infinity;
  return df <= T975.length ? T975[df - 1] : 1.96;
}

export interface PairedDiff {
  mean: number;
  sd: number | null;
  /** The mean difference is nonzero at the 95% level (paired t-test); false with one seed. */
  significant: boolean;
}

/** a[i] - b[i] over seeds. */
export function pairedDiff(a: readonly number[], b: readonly number[]): PairedDiff {
  if (a.length !== b.length || !a.length) throw new Error('paired difference needs the same seeds on both sides');
  const d = a.map((x, i) => x - b[i]);
  const m = mean(d);
  const s = sd(d);
  const significant = s !== null && (s === 0 ? m !== 0 : Math.abs(m) / (s / Math.sqrt(d.length)) > tCritical95(d.length - 1));
  return { mean: m, sd: s, significant };
}
