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
  private rowBuf = new Float32Array(0);

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
    const d = t.dim;
    if (this.rowBuf.length < d) this.rowBuf = new Float32Array(d);
    const g = this.rowBuf;
    const { b1, b2, eps } = this;
    const grads = shards.map((s) => s.sparseGrad(t));
    for (let s = 0; s < grads.length; s++) {
      const gs = grads[s];
      for (let r = 0; r < gs.count; r++) {
        const row = gs.touched[r];
        let seen = false;
        for (let q = 0; q < s && !seen; q++) seen = grads[q].has(row);
        if (seen) continue; // already updated from an earlier shard
        const base = row * d;
        for (let j = 0; j < d; j++) g[j] = gs.grad[base + j];
        for (let q = s + 1; q < grads.length; q++) {
          if (!grads[q].has(row)) continue;
          for (let j = 0; j < d; j++) g[j] += grads[q].grad[base + j];
        }
        for (let j = 0; j < d; j++) {
          const i = base + j;
          const m = (t.m[i] = b1 * t.m[i] + (1 - b1) * g[j]);
          const v = (t.v[i] = b2 * t.v[i] + (1 - b2) * g[j] * g[j]);
          t.data[i] -= (lrT * m) / (Math.sqrt(v) + eps);
        }
      }
    }
  }
}
