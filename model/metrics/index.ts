// Evaluation metrics for binary tasks with masked labels (1 positive, 0 negative, other = masked).

export { isLabelled, type Pred } from './labels.ts';
export { auc, aucSorted } from './auc.ts';
export { gauc } from './gauc.ts';
export { logloss, LOGLOSS_EPS } from './logloss.ts';
export { bestThreshold } from './threshold.ts';
export { classificationAt, type Classification } from './classification.ts';
export { calibration, type Calibration, type CalibrationBin } from './calibration.ts';
export { taskReport, type TaskReport } from './report.ts';
export { column } from './columns.ts';
export { rocPoints, reliabilityBins, type RocPoint, type ReliabilityBin } from './curves.ts';
export { mean, sd } from './summary.ts';
