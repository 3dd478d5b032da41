// ROC AUC as the Mann-Whitney statistic: the probability that a random positive is scored above
// a random negative, with tied scores counting 1/2. That is exactly the mid-rank formula
// (sum of positive mid-ranks - P(P+1)/2) / (P*N), computed here by merging two sorted arrays
// instead of ranking, so no index array or comparator sort is needed.

import { sortedByClass, type Pred } from './labels.ts';

/**
 * AUC from the predictions of positives and negatives, each sorted ascending.
 * For every positive p: (#negatives < p) + 1/2 (#negatives == p). Both counts only grow as p grows,
 * so two pointers walk the negatives once: O(P + N).
 * Returns NaN when either class is empty (AUC is undefined, not 0.5).
 */
export function aucSorted(pos: Float64Array, neg: Float64Array): number {
  const nPos = pos.length;
  const nNeg = neg.length;
  if (nPos === 0 || nNeg === 0) return NaN;
  let below = 0; // index of the first negative >= p = #negatives < p
  let upTo = 0; // index of the first negative > p = #negatives <= p
  // Twice the Mann-Whitney U, kept integral so the sum is exact in a double up to 2^53.
  let twiceU = 0;
  for (let i = 0; i < nPos; i++) {
    const p = pos[i];
    while (below < nNeg && neg[below] < p) below++;
    if (upTo < below) upTo = below;
    while (upTo < nNeg && neg[upTo] <= p) upTo++;
    twiceU += 2 * below + (upTo - below);
  }
  return twiceU / (2 * nPos * nNeg);
}

/**
 * ROC AUC over the labelled rows (label 1 or 0; other labels are masked and ignored).
 * Tied predictions count 1/2 per positive-negative pair. NaN when only one class is present.
 */
export function auc(pred: Pred, label: Float32Array): number {
  const { pos, neg } = sortedByClass(pred, label);
  return aucSorted(pos, neg);
}
