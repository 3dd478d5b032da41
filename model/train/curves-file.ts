// DIR/curves.json: the plot data of the test predictions (ROC points and reliability bins per
// task) that the training report draws. Written by the training run, because the predictions
// themselves are not kept.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskSpec } from '../features/spec.ts';
import { column, reliabilityBins, rocPoints, type ReliabilityBin, type RocPoint } from '../metrics/index.ts';
import type { EncodedSplit } from './dataset.ts';

export const CURVES_FORMAT = 'edge-mtl-curves/1';
export const CURVES_FILE = 'curves.json';

export interface TaskCurves {
  /** Labelled rows and positives of the split. */
  n: number;
  positives: number;
  roc: RocPoint[];
  reliability: ReliabilityBin[];
}

export interface CurvesFile {
  format: typeof CURVES_FORMAT;
  split: 'test';
  tasks: Record<string, TaskCurves>;
}

/** The curves of predictions `pred` ([n, tasks] row-major) against the labels of `split`. */
export function curvesOf(tasks: readonly TaskSpec[], split: EncodedSplit, pred: Float32Array): CurvesFile {
  const T = tasks.length;
  const out: CurvesFile = { format: CURVES_FORMAT, split: 'test', tasks: {} };
  tasks.forEach((task, t) => {
    const p = column(pred, T, t);
    const l = column(split.labels, T, t);
    let n = 0;
    let positives = 0;
    for (const y of l) if (y === 1 || y === 0) (n++, (positives += y));
    out.tasks[task.name] = { n, positives, roc: rocPoints(p, l), reliability: reliabilityBins(p, l, 12) };
  });
  return out;
}

export function writeCurves(dir: string, tasks: readonly TaskSpec[], test: EncodedSplit, pTest: Float32Array): void {
  writeFileSync(join(dir, CURVES_FILE), JSON.stringify(curvesOf(tasks, test, pTest)) + '\n');
}
