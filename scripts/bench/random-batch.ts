// Random encoded rows for a layout (export tests and the benchmark): valid ids of every
// field (bucket 0 = missing included), multi-valued fields with 0..maxLen real values (so
// some rows are all padding) and, in some rows, padding between real values; standard
// normal numerics.

import type { EncodedBatch } from '../../model/features/encode.ts';
import { allocBatch } from '../../model/features/encode.ts';
import { PADDING_ROW, type FeatureLayout } from '../../model/features/layout.ts';
import { Rng } from '../../model/engine/rng.ts';

export function randomBatch(layout: FeatureLayout, n: number, seed: number): EncodedBatch {
  const rng = new Rng(seed);
  const b = allocBatch(layout, n);
  const C = layout.catWidth;
  const D = layout.numeric.length;
  for (let i = 0; i < n; i++) {
    layout.categorical.forEach((c, j) => (b.cat[i * C + j] = layout.offsets[c.name] + (rng.u32() % c.buckets)));
    for (const bins of layout.numericBins) if (bins) b.cat[i * C + bins.column] = bins.offset + (rng.u32() % bins.buckets);
    layout.multi.forEach((m, j) => {
      const L = m.maxLen;
      const real = rng.u32() % (L + 1);
      const row = b.multi[j].subarray(i * L, i * L + L);
      row.fill(PADDING_ROW);
      for (let s = 0; s < real; s++) row[s] = layout.offsets[m.name] + (rng.u32() % m.buckets);
      if (rng.next() < 0.5) rng.shuffle(row);
    });
    for (let d = 0; d < D; d++) b.num[i * D + d] = rng.next() < 0.05 ? 0 : rng.normal();
  }
  return b;
}

/** Rows [from, to) of a batch as a batch of their own (copies). */
export function sliceBatch(layout: FeatureLayout, batch: EncodedBatch, from: number, to: number): EncodedBatch {
  const C = layout.catWidth;
  const D = layout.numeric.length;
  return {
    n: to - from,
    cat: batch.cat.slice(from * C, to * C),
    multi: layout.multi.map((m, j) => batch.multi[j].slice(from * m.maxLen, to * m.maxLen)),
    num: batch.num.slice(from * D, to * D),
  };
}
