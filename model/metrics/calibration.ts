// Calibration: do predicted probabilities match observed frequencies? A ranking metric (AUC) is
// blind to this, but anything that multiplies probabilities (expected revenue = p(click) *
// p(purchase | click) * price) depends on it.

import { checkInputs, type Pred } from './labels.ts';

/** One row of a reliability table. Empty bins have count 0 and NaN means (serialised as null). */
export interface CalibrationBin {
  /** Bin edges: [lo, hi), the last bin also holds pred = 1. */
  lo: number;
  hi: number;
  count: number;
  meanPred: number;
  /** Fraction of positives among the bin's labelled rows. */
  observed: number;
}

export interface Calibration {
  /** Expected calibration error: sum over bins of (count / n) * |meanPred - observed|. */
  ece: number;
  /** Mean prediction over labelled rows; compare with observedRate for global bias. */
  meanPred: number;
  observedRate: number;
  /** Labelled rows. */
  n: number;
  bins: CalibrationBin[];
}

/**
 * ECE with `bins` equal-width bins on [0, 1]; pred p falls in bin floor(p * bins), with p = 1 in the
 * last bin and predictions outside [0, 1] clamped into the edge bins. Masked rows are ignored.
 * With no labelled row, ece, meanPred and observedRate are NaN.
 */
export function calibration(pred: Pred, label: Float32Array, bins = 10): Calibration {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`calibration: bins must be a positive integer, got ${bins}`);
  checkInputs(pred, label);
  const count = new Float64Array(bins);
  const sumPred = new Float64Array(bins);
  const sumPos = new Float64Array(bins);
  let n = 0;
  for (let i = 0; i < label.length; i++) {
    const y = label[i];
    if (y !== 1 && y !== 0) continue;
    const p = pred[i];
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]++;
    sumPred[b] += p;
    sumPos[b] += y;
    n++;
  }

  let ece = 0;
  let totalPred = 0;
  let totalPos = 0;
  const table: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b];
    const meanPred = c === 0 ? NaN : sumPred[b] / c;
    const observed = c === 0 ? NaN : sumPos[b] / c;
    if (c > 0) ece += (c / n) * Math.abs(meanPred - observed);
    totalPred += sumPred[b];
    totalPos += sumPos[b];
    table.push({ lo: b / bins, hi: (b + 1) / bins, count: c, meanPred, observed });
  }
  return {
    ece: n === 0 ? NaN : ece,
    meanPred: n === 0 ? NaN : totalPred / n,
    observedRate: n === 0 ? NaN : totalPos / n,
    n,
    bins: table,
  };
}
