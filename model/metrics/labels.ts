// Shared input conventions for every metric.
// A label is 1 (positive), 0 (negative), or anything else (the trainer writes -1): masked,
// meaning "this task was not labelled on this row". Masked rows are invisible to every metric,
// whatever their prediction; that is what makes multi-task evaluation on sparse labels honest.

/** Predicted probabilities, one per row. */
export type Pred = Float32Array | Float64Array;

/** True for rows that carry a label (1 or 0); every other value is masked. */
export function isLabelled(l: number): boolean {
  return l === 1 || l === 0;
}

/**
 * Throws on length mismatches and on NaN predictions of labelled rows.
 * A NaN probability is an upstream bug (a diverged model); without this check it would be sorted
 * to the end by the rank metrics and silently produce a plausible-looking number.
 */
export function checkInputs(pred: Pred, label: Float32Array, group?: Int32Array): void {
  if (pred.length !== label.length) {
    throw new RangeError(`metrics: pred has ${pred.length} rows but label has ${label.length}`);
  }
  if (group !== undefined && group.length !== label.length) {
    throw new RangeError(`metrics: group has ${group.length} rows but label has ${label.length}`);
  }
  for (let i = 0; i < pred.length; i++) {
    if (Number.isNaN(pred[i]) && isLabelled(label[i])) {
      throw new RangeError(`metrics: prediction of labelled row ${i} is NaN`);
    }
  }
}

/**
 * Predictions of the labelled rows split by class, each sorted ascending.
 * Sorting two plain Float64Arrays uses the engine's native numeric sort (no comparator callback,
 * no index array), which is what keeps AUC and the threshold scan fast on millions of rows.
 */
export function sortedByClass(pred: Pred, label: Float32Array): { pos: Float64Array; neg: Float64Array } {
  checkInputs(pred, label);
  let p = 0;
  let n = 0;
  for (let i = 0; i < label.length; i++) {
    if (label[i] === 1) p++;
    else if (label[i] === 0) n++;
  }
  const pos = new Float64Array(p);
  const neg = new Float64Array(n);
  p = 0;
  n = 0;
  for (let i = 0; i < label.length; i++) {
    if (label[i] === 1) pos[p++] = pred[i];
    else if (label[i] === 0) neg[n++] = pred[i];
  }
  pos.sort();
  neg.sort();
  return { pos, neg };
}
