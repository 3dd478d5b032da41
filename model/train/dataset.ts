// A split encoded once into flat typed arrays (features, labels, groups), so every epoch
// reads memory instead of re-parsing or re-simulating rows.

import { encodeRowInto, type EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { Example } from '../data/source.ts';

export interface EncodedSplit {
  n: number;
  batch: EncodedBatch;
  /** [n, tasks]; 1, 0, or -1 = not labelled. */
  labels: Float32Array;
  /** Dense user index per row, for GAUC. */
  group: Int32Array;
  /** [n, tasks] true probabilities (simulated data only). */
  trueProb?: Float32Array;
  /**
   * A validation or test split past the memory budget: its inputs (`batch`, then empty) are
   * in these chunk files, its labels, groups and true probabilities here (row-store.ts);
   * predict.ts reads the chunks in order, so its metrics stay exact.
   */
  inputsOnDisk?: { chunks: { path: string; rows: number }[]; chunkRows: number };
}

/** Growable column store; finish() trims to the exact row count. */
export function encodeExamples(layout: FeatureLayout, tasks: number, examples: Iterable<Example>, groupIds: Map<string, number>): EncodedSplit {
  let cap = 1 << 14;
  let n = 0;
  const C = layout.catWidth;
  const D = layout.numeric.length;
  let cat = new Int32Array(cap * C);
  let multi = layout.multi.map((m) => new Int32Array(cap * m.maxLen));
  let num = new Float32Array(cap * D);
  let labels = new Float32Array(cap * tasks);
  let group = new Int32Array(cap);
  let trueProb: Float32Array | undefined;
  const grow = <T extends Int32Array | Float32Array>(a: T, w: number): T => {
    const b = new (a.constructor as new (n: number) => T)(cap * 2 * w);
    b.set(a);
    return b;
  };
  const batch: EncodedBatch = { n: cap, cat, multi, num };
  for (const ex of examples) {
    if (n === cap) {
      cat = grow(cat, C);
      multi = multi.map((a, i) => grow(a, layout.multi[i].maxLen));
      num = grow(num, D);
      labels = grow(labels, tasks);
      group = grow(group, 1);
      if (trueProb) trueProb = grow(trueProb, tasks);
      cap *= 2;
      Object.assign(batch, { n: cap, cat, multi, num });
    }
    encodeRowInto(layout, batch, n, (name) => ex.features[name]);
    for (let t = 0; t < tasks; t++) {
      const y = ex.labels[t];
      labels[n * tasks + t] = y === null || y === undefined ? -1 : y;
    }
    let g = groupIds.get(ex.group);
    if (g === undefined) groupIds.set(ex.group, (g = groupIds.size));
    group[n] = g;
    if (ex.trueProb) {
      trueProb ??= new Float32Array(cap * tasks);
      for (let t = 0; t < tasks; t++) trueProb[n * tasks + t] = ex.trueProb[t];
    }
    n++;
  }
  return {
    n,
    batch: { n, cat: cat.slice(0, n * C), multi: multi.map((a, i) => a.slice(0, n * layout.multi[i].maxLen)), num: num.slice(0, n * D) },
    labels: labels.slice(0, n * tasks),
    group: group.slice(0, n),
    trueProb: trueProb?.slice(0, n * tasks),
  };
}

/** Copies rows `idx[from..to)` of a split into a workspace's input and label buffers, from row `at` on. */
export function gatherRows(
  layout: FeatureLayout,
  tasks: number,
  src: EncodedSplit,
  idx: Int32Array | null,
  from: number,
  to: number,
  dst: EncodedBatch,
  dstLabels: Float32Array,
  at = 0,
): void {
  if (src.inputsOnDisk) throw new Error('gatherRows: the inputs of this split are in chunk files (predict.ts reads them)');
  const C = layout.catWidth;
  const D = layout.numeric.length;
  // Every array in a local: inside the row loop V8 cannot hoist the property loads itself.
  const srcCat = src.batch.cat, dstCat = dst.cat, srcNum = src.batch.num, dstNum = dst.num, srcLabels = src.labels;
  for (let r = from; r < to; r++) {
    const i = idx ? idx[r] : r;
    const o = r - from + at;
    for (let c = 0; c < C; c++) dstCat[o * C + c] = srcCat[i * C + c];
    for (let d = 0; d < D; d++) dstNum[o * D + d] = srcNum[i * D + d];
    for (let t = 0; t < tasks; t++) dstLabels[o * tasks + t] = srcLabels[i * tasks + t];
  }
  for (let m = 0; m < layout.multi.length; m++) {
    const L = layout.multi[m].maxLen;
    const a = src.batch.multi[m];
    const b = dst.multi[m];
    for (let r = from; r < to; r++) {
      const i = idx ? idx[r] : r;
      const o = r - from + at;
      for (let s = 0; s < L; s++) b[o * L + s] = a[i * L + s];
    }
  }
}
