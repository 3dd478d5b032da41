// Mean binary cross-entropy of the labelled rows.

import { checkInputs, type Pred } from './labels.ts';

/** Predictions are clipped to [EPS, 1 - EPS] so a confident mistake costs -ln(1e-7) ~ 16.1, not Infinity. */
export const LOGLOSS_EPS = 1e-7;

/**
 * mean over labelled rows of -(y ln p + (1 - y) ln(1 - p)), p clipped to [1e-7, 1 - 1e-7].
 * Masked rows (label not 0/1) are ignored. NaN when no row is labelled.
 */
export function logloss(pred: Pred, label: Float32Array): number {
  checkInputs(pred, label);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < label.length; i++) {
    const y = label[i];
    if (y !== 1 && y !== 0) continue;
    const p = Math.min(1 - LOGLOSS_EPS, Math.max(LOGLOSS_EPS, pred[i]));
    sum -= y === 1 ? Math.log(p) : Math.log(1 - p);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}
