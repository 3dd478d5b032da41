// The per-task test metrics stored in metrics.json under `test.*`.

import { auc } from './auc.ts';
import { calibration } from './calibration.ts';
import { classificationAt } from './classification.ts';
import { gauc } from './gauc.ts';
import type { Pred } from './labels.ts';
import { logloss } from './logloss.ts';
import { bestThreshold } from './threshold.ts';

/** Snake-case keys: this object is written to metrics.json as is. NaN serialises as null. */
export interface TaskReport {
  auc: number;
  gauc: number;
  logloss: number;
  /** At the validation-chosen max-F1 threshold (like precision, recall and f1). */
  accuracy: number;
  /** At threshold 0.5: the usual accuracy of a probabilistic classifier (sklearn's score). */
  accuracy_05: number;
  precision: number;
  recall: number;
  f1: number;
  /** Chosen on the validation split (max F1), applied unchanged to test. */
  threshold: number;
  ece: number;
  mean_pred: number;
  observed_rate: number;
  /** Labelled test rows (masked rows excluded). */
  n: number;
  positives: number;
}

/**
 * Test-split metrics of one task. The F1 threshold comes from the validation split so that the
 * classification numbers are an honest estimate. GAUC is NaN when `testGroup` is not given.
 */
export function taskReport(
  validPred: Pred,
  validLabel: Float32Array,
  testPred: Pred,
  testLabel: Float32Array,
  testGroup?: Int32Array,
): TaskReport {
  const threshold = bestThreshold(validPred, validLabel);
  const cls = classificationAt(testPred, testLabel, threshold);
  const cal = calibration(testPred, testLabel);
  return {
    auc: auc(testPred, testLabel),
    gauc: testGroup === undefined ? NaN : gauc(testPred, testLabel, testGroup),
    logloss: logloss(testPred, testLabel),
    accuracy: cls.accuracy,
    accuracy_05: classificationAt(testPred, testLabel, 0.5).accuracy,
    precision: cls.precision,
    recall: cls.recall,
    f1: cls.f1,
    threshold,
    ece: cal.ece,
    mean_pred: cal.meanPred,
    observed_rate: cal.observedRate,
    n: cls.tp + cls.fp + cls.tn + cls.fn,
    positives: cls.tp + cls.fn,
  };
}
