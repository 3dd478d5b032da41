// PCGrad (Yu et al., NeurIPS 2020): each task's gradient of the shared parameters loses its
// component along any other task's gradient it conflicts with (negative dot product), the
// other tasks visited in random order, then the projected gradients are summed. The order is
// drawn per step from the run's seed, so reruns are bit-identical.

import { Rng } from '../engine/rng.ts';
import type { Workspace } from '../engine/workspace.ts';
import { dot, TaskGradients } from './task-gradients.ts';

export class PcGrad {
  private readonly grads: TaskGradients;
  private readonly sum: Float64Array;
  private readonly projected: Float64Array;
  private readonly order: Int32Array;
  private readonly rng: Rng;
  /** Projections made so far, per task (how often its gradient conflicted with another's). */
  readonly projections: number[];

  constructor(shards: readonly Workspace[], seed: number) {
    this.grads = new TaskGradients(shards);
    const size = this.grads.vectors[0].length;
    this.sum = new Float64Array(size);
    this.projected = new Float64Array(size);
    this.order = new Int32Array(this.grads.tasks).map((_, i) => i);
    // Its own stream, so the data order drawn from the seed stays what it is without PCGrad.
    this.rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
    this.projections = new Array<number>(this.grads.tasks).fill(0);
  }

  /** Replaces the shards' gradient of the shared parameters by the sum of projected task gradients. */
  apply(): void {
    const g = this.grads;
    g.gather();
    projectedSum(g.vectors, g.length, this.sum, this.projected, () => this.rng.shuffle(this.order), this.order, this.projections);
    g.write(this.sum);
  }
}

/**
 * sum_i g_i', where g_i' is g_i with, for every j (in `order` after `shuffle()`) whose g_j it
 * conflicts with, the component along g_j removed: g_i' -= (g_i' . g_j) / |g_j|^2 g_j.
 */
export function projectedSum(v: readonly Float64Array[], n: number, sum: Float64Array, p: Float64Array, shuffle: () => void, order: Int32Array, projections: number[]): void {
  const norm2 = v.map((x) => dot(x, x, n));
  sum.fill(0, 0, n);
  for (let i = 0; i < v.length; i++) {
    if (norm2[i] === 0) continue;
    for (let k = 0; k < n; k++) p[k] = v[i][k];
    shuffle();
    for (const j of order) {
      if (j === i || norm2[j] === 0) continue;
      const d = dot(p, v[j], n);
      if (d >= 0) continue;
      const c = d / norm2[j];
      for (let k = 0; k < n; k++) p[k] -= c * v[j][k];
      projections[i]++;
    }
    for (let k = 0; k < n; k++) sum[k] += p[k];
  }
}
