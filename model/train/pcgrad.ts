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
    const n = g.length;
    const v = g.vectors;
    const norm2 = v.map((x) => dot(x, x, n));
    const p = this.projected;
    this.sum.fill(0, 0, n);
    for (let i = 0; i < g.tasks; i++) {
      if (norm2[i] === 0) continue;
      for (let k = 0; k < n; k++) p[k] = v[i][k];
      this.rng.shuffle(this.order);
      for (const j of this.order) {
        if (j === i || norm2[j] === 0) continue;
        const d = dot(p, v[j], n);
        if (d >= 0) continue;
        const c = d / norm2[j];
        for (let k = 0; k < n; k++) p[k] -= c * v[j][k];
        this.projections[i]++;
      }
      for (let k = 0; k < n; k++) this.sum[k] += p[k];
    }
    g.write(this.sum);
  }
}
