// Forward passes over a whole encoded split, in workspace-sized chunks: the validation pass
// of the training loop and the final evaluation both go through here.

import type { Workspace } from '../engine/workspace.ts';
import type { FeatureLayout } from '../features/layout.ts';
import { auc, column } from '../metrics/index.ts';
import { gatherRows, type EncodedSplit } from './dataset.ts';
import { allocSplit, readChunk } from './row-store.ts';

/** Probabilities [n, tasks] of every row of a split (its chunk files in order, if its inputs are on disk). */
export function predict(w: Workspace, split: EncodedSplit, layout: FeatureLayout, T: number): Float32Array {
  const out = new Float32Array(split.n * T);
  const disk = split.inputsOnDisk;
  if (!disk) {
    predictInto(w, split, layout, T, out, 0);
    return out;
  }
  const buffer = allocSplit(layout, T, disk.chunkRows);
  let at = 0;
  for (const c of disk.chunks) {
    readChunk(c.path, c.rows, buffer, layout, T, 0);
    predictInto(w, { ...buffer, n: c.rows }, layout, T, out, at);
    at += c.rows;
  }
  return out;
}

/** Probabilities of the rows of an in-memory split into out, from row `at` on. */
function predictInto(w: Workspace, split: EncodedSplit, layout: FeatureLayout, T: number, out: Float32Array, at: number): void {
  for (let from = 0; from < split.n; from += w.maxRows) {
    const to = Math.min(split.n, from + w.maxRows);
    gatherRows(layout, T, split, null, from, to, w.batch, w.labels);
    w.forward(to - from);
    for (let t = 0; t < T; t++) {
      const p = w.prob(t);
      for (let i = 0; i < to - from; i++) out[(at + from + i) * T + t] = p[i];
    }
  }
}

/** Validation AUC of every task. */
export function validationAuc(w: Workspace, split: EncodedSplit, layout: FeatureLayout, T: number): number[] {
  const p = predict(w, split, layout, T);
  return Array.from({ length: T }, (_, t) => auc(column(p, T, t), column(split.labels, T, t)));
}
