// Forward passes over a whole encoded split, in workspace-sized chunks: the validation pass
// of the training loop and the final evaluation both go through here.

import type { Workspace } from '../engine/workspace.ts';
import type { FeatureLayout } from '../features/layout.ts';
import { auc, column } from '../metrics/index.ts';
import { gatherRows, type EncodedSplit } from './dataset.ts';

/** Probabilities [n, tasks] of every row of a split. */
export function predict(w: Workspace, split: EncodedSplit, layout: FeatureLayout, T: number): Float32Array {
  const out = new Float32Array(split.n * T);
  for (let from = 0; from < split.n; from += w.maxRows) {
    const to = Math.min(split.n, from + w.maxRows);
    gatherRows(layout, T, split, null, from, to, w.batch, w.labels);
    w.forward(to - from);
    for (let t = 0; t < T; t++) {
      const p = w.prob(t);
      for (let i = 0; i < to - from; i++) out[(from + i) * T + t] = p[i];
    }
  }
  return out;
}

/** Validation AUC of every task. */
export function validationAuc(w: Workspace, split: EncodedSplit, layout: FeatureLayout, T: number): number[] {
  const p = predict(w, split, layout, T);
  return Array.from({ length: T }, (_, t) => auc(column(p, T, t), column(split.labels, T, t)));
}
