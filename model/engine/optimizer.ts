// Adam over the gradients of one or more shards. Shards are always summed in the same order
// (shard 0, then 1, ...), so the update does not depend on how many threads computed them:
// one thread and two threads give bit-identical weights.
// Embedding tables use lazy Adam: only rows some shard touched are read or written.

import type { Kernels } from './kernels/types.ts';
import type { DenseParam, EmbeddingTable } from './params.ts';
import type { Workspace } from './workspace.ts';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Adam {
  step = 0;
  readonly lr: number;
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;

  constructor(
    private readonly k: Kernels,
    o: AdamOptions,
  ) {
    this.lr = o.lr;
    this.b1 = o.beta1 ?? 0.9;
    this.b2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
  }

  /** One update of every parameter from the shards' gradients. */
  apply(shards: readonly Workspace[], params: { dense: DenseParam[]; tables: EmbeddingTable[] }): void {
    this.step++;
    const lrT = (this.lr * Math.sqrt(1 - this.b2 ** this.step)) / (1 - this.b1 ** this.step);
    for (const p of params.dense) {
      const g = shards[0].denseGrad(p);
      for (let s = 1; s < shards.length; s++) {
        const h = shards[s].denseGrad(p);
        for (let i = 0; i < p.size; i++) g[i] += h[i];
      }
      this.k.adam(p.data, g, p.m, p.v, p.size, lrT, this.b1, this.b2, this.eps);
    }
    for (const t of params.tables) this.applySparse(t, shards, lrT);
  }

  private applySparse(t: EmbeddingTable, shards: readonly Workspace[], lrT: number): void {
    // Fold shards 1.. into shard 0 in shard order, then one pass of lazy Adam over the rows.
    const g = shards[0].sparseGrad(t);
    for (let s = 1; s < shards.length; s++) g.mergeFrom(shards[s].sparseGrad(t));
    const d = t.dim;
    const { b1, b2, eps } = this;
    const w = t.data;
    const m = t.m;
    const v = t.v;
    const grad = g.grad;
    const rows = g.touched;
    for (let r = 0, n = g.count; r < n; r++) {
      const base = rows[r] * d;
      for (let i = base; i < base + d; i++) {
        const gi = grad[i];
        const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
        w[i] -= (lrT * mi) / (Math.sqrt(vi) + eps);
      }
    }
  }
}
