// Group AUC (Zhou et al., "Deep Interest Network", KDD 2018): the AUC of each user's own ranking,
// averaged with weights = the user's number of labelled rows (impressions). Global AUC mixes users
// with different base rates; GAUC measures what a recommender actually does, rank within a user.

import { aucSorted } from './auc.ts';
import { denseGroupIds } from './groups.ts';
import { checkInputs, type Pred } from './labels.ts';

/**
 * GAUC = sum_g n_g * AUC_g / sum_g n_g over groups holding both classes; groups with only
 * positives or only negatives have no AUC and are skipped (neither numerator nor weight).
 * Masked rows (label not 0/1) are ignored. NaN when no group qualifies.
 *
 * Rows are sorted by (group, pred) once: a counting sort by group lays every qualifying group out
 * in one buffer as [its positives | its negatives], then each slice is sorted natively by pred.
 */
export function gauc(pred: Pred, label: Float32Array, group: Int32Array): number {
  checkInputs(pred, label, group);
  const { ids, count } = denseGroupIds(group, label);
  const nPos = new Int32Array(count);
  const nNeg = new Int32Array(count);
  for (let i = 0; i < label.length; i++) {
    if (label[i] === 1) nPos[ids[i]]++;
    else if (label[i] === 0) nNeg[ids[i]]++;
  }

  // Offsets only for groups with both classes: single-class groups (most users in click logs)
  // are never copied or sorted.
  const start = new Float64Array(count).fill(-1);
  let size = 0;
  for (let g = 0; g < count; g++) {
    if (nPos[g] > 0 && nNeg[g] > 0) {
      start[g] = size;
      size += nPos[g] + nNeg[g];
    }
  }
  if (size === 0) return NaN;

  const buf = new Float64Array(size);
  const posAt = new Int32Array(count); // next free slot among the group's positives
  const negAt = new Int32Array(count); // next free slot among the group's negatives
  for (let g = 0; g < count; g++) {
    if (start[g] < 0) continue;
    posAt[g] = start[g];
    negAt[g] = start[g] + nPos[g];
  }
  for (let i = 0; i < label.length; i++) {
    const g = ids[i];
    if (g < 0 || start[g] < 0) continue;
    if (label[i] === 1) buf[posAt[g]++] = pred[i];
    else buf[negAt[g]++] = pred[i];
  }

  let weighted = 0;
  let weight = 0;
  for (let g = 0; g < count; g++) {
    if (start[g] < 0) continue;
    const s = start[g];
    const pos = buf.subarray(s, s + nPos[g]).sort();
    const neg = buf.subarray(s + nPos[g], s + nPos[g] + nNeg[g]).sort();
    const w = nPos[g] + nNeg[g];
    weighted += w * aucSorted(pos, neg);
    weight += w;
  }
  return weighted / weight;
}
