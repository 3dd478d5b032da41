// Confusion counts and the rates derived from them, at a fixed decision threshold.

import { checkInputs, type Pred } from './labels.ts';

export interface Classification {
  /** (tp + tn) / labelled rows; NaN when no row is labelled. */
  accuracy: number;
  /** tp / (tp + fp); 0 when nothing is predicted positive (no positive claims, none right). */
  precision: number;
  /** tp / (tp + fn); 0 when there is no labelled positive. */
  recall: number;
  /** 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/**
 * Classifies a labelled row as positive when pred >= threshold (ties go positive, the same rule
 * `bestThreshold` assumes). Masked rows (label not 0/1) are ignored.
 */
export function classificationAt(pred: Pred, label: Float32Array, threshold: number): Classification {
  checkInputs(pred, label);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < label.length; i++) {
    const y = label[i];
    if (y !== 1 && y !== 0) continue;
    const positive = pred[i] >= threshold;
    if (y === 1) {
      if (positive) tp++;
      else fn++;
    } else if (positive) fp++;
    else tn++;
  }
  const n = tp + fp + tn + fn;
  return {
    accuracy: n === 0 ? NaN : (tp + tn) / n,
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: tp + fn === 0 ? 0 : tp / (tp + fn),
    // The count form equals 2PR/(P+R) whenever tp > 0 and is 0 whenever tp = 0, which is exactly
    // the "F1 = 0 when precision + recall = 0" convention, without a 0/0.
    f1: tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
    tp,
    fp,
    tn,
    fn,
  };
}
