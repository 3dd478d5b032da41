// Choosing the decision threshold: maximise F1 on the validation split, then apply it unchanged
// to the test split (choosing it on test would overstate test F1).

import { sortedByClass, type Pred } from './labels.ts';

/**
 * The threshold t maximising F1 of the rule "positive when pred >= t" over the labelled rows.
 * Candidates are the distinct predicted values, scanned from the highest down in one pass over the
 * two class-sorted arrays. Tie policy: among thresholds with equal F1, the highest wins (fewest
 * predicted positives). F1 values are compared exactly by cross-multiplying integer counts.
 * NaN when there is no labelled positive (F1 is 0 at every threshold, so no choice is meaningful).
 */
export function bestThreshold(pred: Pred, label: Float32Array): number {
  const { pos, neg } = sortedByClass(pred, label);
  const nPos = pos.length;
  if (nPos === 0) return NaN;
  let i = nPos - 1; // next positive to admit, walking down
  let j = neg.length - 1; // next negative to admit
  let best = NaN;
  let bestTp = 0;
  let bestDen = 1; // F1 = 2tp / den with den = 2tp + fp + fn = tp + fp + nPos
  while (i >= 0 || j >= 0) {
    // Next candidate: the largest prediction not yet admitted; admit every row tied with it.
    const t = j < 0 || (i >= 0 && pos[i] >= neg[j]) ? pos[i] : neg[j];
    while (i >= 0 && pos[i] >= t) i--;
    while (j >= 0 && neg[j] >= t) j--;
    const tp = nPos - 1 - i;
    const fp = neg.length - 1 - j;
    const den = tp + fp + nPos;
    // tp / den > bestTp / bestDen, strictly: equal F1 keeps the earlier (higher) threshold.
    if (Number.isNaN(best) || tp * bestDen > bestTp * den) {
      best = t;
      bestTp = tp;
      bestDen = den;
    }
  }
  return best;
}
