// A tiny feature layout, task list and random batch, small enough for finite differences.

import { DEFAULT_ARCH_CONFIG, type ArchConfig } from '../../model/arch/builder.ts';
import { Rng } from '../../model/engine/rng.ts';
import { layoutOf } from '../../model/features/layout.ts';
import type { FeatureSpec, TaskSpec } from '../../model/features/spec.ts';
import type { Workspace } from '../../model/engine/workspace.ts';

export const tinyFeatures: FeatureSpec[] = [
  { name: 'user', entity: 'user', kind: 'categorical', buckets: 7 },
  { name: 'item', entity: 'item', kind: 'categorical', buckets: 5 },
  { name: 'recent', entity: 'user', kind: 'multi', buckets: 6, maxLen: 3, separator: '|' },
  { name: 'price', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 0, std: 1, edges: [1, 10, 100] },
  { name: 'hour', entity: 'context', kind: 'numeric', transform: 'identity', mean: 0, std: 1 },
];
export const tinyLayout = layoutOf(tinyFeatures);
export const tinyTasks: TaskSpec[] = [
  { name: 'click', appliesTo: 'item' },
  { name: 'purchase', appliesTo: 'item', parent: 'click' },
  { name: 'redeem', appliesTo: 'coupon' },
];
export const tinyConfig: ArchConfig = { ...DEFAULT_ARCH_CONFIG, embeddingDim: 3, expertDims: [5, 4], towerDims: [3], experts: 2, taskExperts: 1, levels: 2 };

/** Fills a workspace's inputs with random ids (some padding), numerics and masked labels. */
export function fillRandom(w: Workspace, n: number, seed: number): void {
  const rng = new Rng(seed);
  const L = tinyLayout;
  const T = w.graph.outputs.length;
  for (let i = 0; i < n; i++) {
    L.categorical.forEach((c, j) => (w.batch.cat[i * L.catWidth + j] = L.offsets[c.name] + (rng.u32() % c.buckets)));
    for (const bins of L.numericBins) if (bins) w.batch.cat[i * L.catWidth + bins.column] = bins.offset + (rng.u32() % bins.buckets);
    L.multi.forEach((m, j) => {
      const real = rng.u32() % (m.maxLen + 1);
      for (let s = 0; s < m.maxLen; s++) w.batch.multi[j][i * m.maxLen + s] = s < real ? L.offsets[m.name] + (rng.u32() % m.buckets) : 0;
    });
    for (let d = 0; d < L.numeric.length; d++) w.batch.num[i * L.numeric.length + d] = rng.normal();
    for (let t = 0; t < T; t++) {
      const r = rng.next();
      w.labels[i * T + t] = r < 0.2 ? -1 : r < 0.6 ? 1 : 0;
    }
  }
  for (let t = 0; t < T; t++) w.taskScale[t] = 1 / n;
}
