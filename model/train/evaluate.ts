// Per-task metrics of a trained graph on validation and test (threshold chosen on
// validation), and the Bayes ceiling where the data knows its true probabilities.

import type { Graph } from '../engine/graph.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { Workspace } from '../engine/workspace.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { TaskSpec } from '../features/spec.ts';
import { auc, column, taskReport, type TaskReport } from '../metrics/index.ts';
import type { EncodedSplit } from './dataset.ts';
import { predict } from './predict.ts';

export interface TaskMetrics {
  test: TaskReport;
  valid: { auc: number; logloss?: number };
  bayes_auc?: number;
  /** Test AUC of the data source's own baseline predictor (DataSource.baseline), if it has one. */
  baseline_auc?: number;
}

/** Metrics of ready-made predictions ([n, T] row-major) on validation and test. */
export function metricsOf(tasks: readonly TaskSpec[], valid: EncodedSplit, test: EncodedSplit, pValid: Float32Array, pTest: Float32Array): Record<string, TaskMetrics> {
  const T = tasks.length;
  const out: Record<string, TaskMetrics> = {};
  tasks.forEach((task, t) => {
    const vp = column(pValid, T, t);
    const vl = column(valid.labels, T, t);
    const tl = column(test.labels, T, t);
    const m: TaskMetrics = {
      test: taskReport(vp, vl, column(pTest, T, t), tl, test.group),
      valid: { auc: auc(vp, vl) },
    };
    if (test.trueProb) m.bayes_auc = auc(column(test.trueProb, T, t), tl);
    out[task.name] = m;
  });
  return out;
}

export function evaluateGraph(k: Kernels, graph: Graph, layout: FeatureLayout, tasks: readonly TaskSpec[], valid: EncodedSplit, test: EncodedSplit) {
  const w = new Workspace(graph, k, layout, 4096);
  const T = tasks.length;
  const pValid = predict(w, valid, layout, T);
  const pTest = predict(w, test, layout, T);
  return { metrics: metricsOf(tasks, valid, test, pValid, pTest), pTest };
}
