// Plot data of one task's test predictions: the ROC curve (downsampled to a few hundred
// points, so a report of millions of rows stays small) and a reliability table.
//
// The reliability bins here hold equal numbers of rows (quantiles of the prediction), unlike
// the 10 equal-width bins behind `ece` (calibration.ts): with a 4% click rate nearly every row
// falls in the first equal-width bin, so that table says nothing about where the model is
// miscalibrated. Equal-count bins spread along the range the model actually predicts.

import { checkInputs, sortedByClass, type Pred } from './labels.ts';

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** Rule "positive when pred >= threshold"; null for the origin (nothing predicted positive). */
  threshold: number | null;
}

/**
 * ROC points from (0, 0) to (1, 1), one per distinct predicted value (tied rows enter
 * together, so a tie is one diagonal segment, which is what makes the trapezoid area equal
 * the tie-aware AUC). Downsampled: a point is kept when FPR or TPR moved at least
 * 1 / maxPoints since the last kept point, and the last point is always kept, so at most
 * about 2 * maxPoints points remain and no step larger than 1 / maxPoints is hidden.
 * Empty when either class is missing (the curve is undefined).
 */
export function rocPoints(pred: Pred, label: Float32Array, maxPoints = 200): RocPoint[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new RangeError(`rocPoints: maxPoints must be a positive integer, got ${maxPoints}`);
  const { pos, neg } = sortedByClass(pred, label);
  const P = pos.length;
  const N = neg.length;
  if (P === 0 || N === 0) return [];
  const step = 1 / maxPoints;
  const out: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: null }];
  let i = P - 1;
  let j = N - 1;
  let last = out[0];
  while (i >= 0 || j >= 0) {
    // The largest prediction not yet admitted; every row tied with it enters now.
    const t = j < 0 || (i >= 0 && pos[i] >= neg[j]) ? pos[i] : neg[j];
    while (i >= 0 && pos[i] >= t) i--;
    while (j >= 0 && neg[j] >= t) j--;
    const p: RocPoint = { fpr: (N - 1 - j) / N, tpr: (P - 1 - i) / P, threshold: t };
    const end = i < 0 && j < 0;
    if (end || p.fpr - last.fpr >= step || p.tpr - last.tpr >= step) {
      out.push(p);
      last = p;
    }
  }
  return out;
}

export interface ReliabilityBin {
  /** Smallest and largest prediction in the bin. */
  lo: number;
  hi: number;
  count: number;
  meanPred: number;
  /** Fraction of positives among the bin's rows. */
  observed: number;
}

/**
 * Reliability table over the labelled rows: sorted by prediction and cut into `bins` runs of
 * equal size (row counts differ by at most one; fewer bins when there are fewer rows). Rows
 * tied at a cut may land on both sides of it. Masked rows are ignored.
 */
export function reliabilityBins(pred: Pred, label: Float32Array, bins = 10): ReliabilityBin[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`reliabilityBins: bins must be a positive integer, got ${bins}`);
  checkInputs(pred, label);
  let n = 0;
  for (let i = 0; i < label.length; i++) if (label[i] === 1 || label[i] === 0) n++;
  // Sort (prediction, label) pairs by prediction: the label rides in a parallel index order.
  const p = new Float64Array(n);
  const y = new Uint8Array(n);
  const order = new Uint32Array(n);
  for (let i = 0, k = 0; i < label.length; i++) {
    if (label[i] !== 1 && label[i] !== 0) continue;
    p[k] = pred[i];
    y[k] = label[i];
    order[k] = k;
    k++;
  }
  order.sort((a, b) => p[a] - p[b]);
  const b = Math.min(bins, n);
  const out: ReliabilityBin[] = [];
  for (let k = 0; k < b; k++) {
    const from = Math.floor((k * n) / b);
    const to = Math.floor(((k + 1) * n) / b);
    let sumP = 0;
    let pos = 0;
    for (let r = from; r < to; r++) {
      sumP += p[order[r]];
      pos += y[order[r]];
    }
    const count = to - from;
    out.push({ lo: p[order[from]], hi: p[order[to - 1]], count, meanPred: sumP / count, observed: pos / count });
  }
  return out;
}
