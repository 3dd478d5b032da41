// Maps arbitrary Int32 group keys (user indices) of the labelled rows to dense ids 0..count-1,
// so GAUC can bucket rows by group with a counting sort instead of a comparator sort.

import { isLabelled } from './labels.ts';

/**
 * Dense group id per row (-1 for masked rows) and the number of ids.
 * When the keys are already compact (the usual user index), the id is key - min and some ids may
 * be unused (empty groups are harmless to the caller). When keys are sparse (hashes, huge ids),
 * they are compressed through a sorted list of distinct keys and a binary search per row,
 * so memory stays O(rows) whatever the key range.
 */
export function denseGroupIds(group: Int32Array, label: Float32Array): { ids: Int32Array; count: number } {
  const n = label.length;
  const ids = new Int32Array(n).fill(-1);
  let labelled = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!isLabelled(label[i])) continue;
    labelled++;
    const g = group[i];
    if (g < min) min = g;
    if (g > max) max = g;
  }
  if (labelled === 0) return { ids, count: 0 };

  const range = max - min + 1;
  if (range <= 2 * labelled + 1024) {
    for (let i = 0; i < n; i++) if (isLabelled(label[i])) ids[i] = group[i] - min;
    return { ids, count: range };
  }

  const keys = new Int32Array(labelled);
  for (let i = 0, k = 0; i < n; i++) if (isLabelled(label[i])) keys[k++] = group[i];
  keys.sort();
  let distinct = 0;
  for (let k = 0; k < keys.length; k++) if (k === 0 || keys[k] !== keys[k - 1]) keys[distinct++] = keys[k];
  for (let i = 0; i < n; i++) {
    if (!isLabelled(label[i])) continue;
    const g = group[i];
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < g) lo = mid + 1;
      else hi = mid;
    }
    ids[i] = lo;
  }
  return { ids, count: distinct };
}
