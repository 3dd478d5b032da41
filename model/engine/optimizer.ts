// Adam over the gradients of one or more shards. Shards are always summed in the same order
// (shard 0, then 1, ...), so the update does not depend on how many threads computed them:
// one thread and two threads give bit-identical weights.
// Embedding tables use lazy Adam: only rows some shard touched are read or written (the
// kernels' adamRows over a list of rows; the shards' gradients of a row are summed first).
// An update can be split into parts (by parameter and by row) that threads apply at once.

import type { Kernels } from './kernels/types.ts';
import type { EmbeddingTable, Params } from './params.ts';
import type { Workspace } from './workspace.ts';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /**
   * Decoupled weight decay (AdamW) of embedding rows, applied when a row is updated: rows of
   * rare ids move rarely and so are pulled to 0 rarely; it curbs memorising frequent ids.
   */
  embeddingDecay?: number;
}

export class Adam {
  step = 0;
  readonly lr: number;
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  readonly embeddingDecay: number;
  /** Multiplier of the learning rate for the next step: the trainer's warm-up / decay schedule. */
  scale = 1;
  /** The rows of one shard this part updates (per Adam instance, so per thread). */
  private rowList = new Int32Array(0);

  constructor(
    private readonly k: Kernels,
    o: AdamOptions,
  ) {
    this.lr = o.lr;
    this.b1 = o.beta1 ?? 0.9;
    this.b2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.embeddingDecay = o.embeddingDecay ?? 0;
  }

  options(): Required<AdamOptions> {
    return { lr: this.lr, beta1: this.b1, beta2: this.b2, eps: this.eps, embeddingDecay: this.embeddingDecay };
  }

  /** Advances the step count; returns the bias-corrected learning rate of this step. */
  nextStep(): number {
    this.step++;
    return (this.scale * this.lr * Math.sqrt(1 - this.b2 ** this.step)) / (1 - this.b1 ** this.step);
  }

  /** One update of every parameter from the shards' gradients, on this thread. */
  apply(shards: readonly Workspace[], params: Params): void {
    this.applyPart(shards, params, this.nextStep(), 0, 1);
  }

  /**
   * The share `part` of `parts` of one update: of every dense parameter the slice
   * partRange(size, part, parts), embedding rows r with r % parts == part. Every parameter value
   * is updated by exactly one part with the same arithmetic, so the split across threads cannot
   * change the result. (Whole dense parameters by index gave the main thread every weight matrix
   * and the other thread the biases.)
   */
  applyPart(shards: readonly Workspace[], params: Params, lrT: number, part: number, parts: number): void {
    const { b1, b2, eps } = this;
    for (const p of params.dense) {
      const [lo, hi] = partRange(p.size, part, parts);
      if (lo >= hi) continue;
      const g = shards[0].denseGrad(p);
      for (let s = 1; s < shards.length; s++) {
        const h = shards[s].denseGrad(p);
        for (let j = lo; j < hi; j++) g[j] += h[j];
      }
      this.k.adam(p.data.subarray(lo, hi), g.subarray(lo, hi), p.m.subarray(lo, hi), p.v.subarray(lo, hi), hi - lo, lrT, b1, b2, eps);
    }
    for (const t of params.tables) this.applySparse(t, shards, lrT, part, parts);
  }

  private applySparse(t: EmbeddingTable, shards: readonly Workspace[], lrT: number, part: number, parts: number): void {
    const d = t.dim;
    const keep = 1 - this.lr * this.embeddingDecay;
    const grads = shards.map((s) => s.sparseGrad(t));
    for (let s = 0; s < grads.length; s++) {
      const gs = grads[s];
      const touched = gs.touched;
      const n = gs.count;
      if (this.rowList.length < n) this.rowList = new Int32Array(Math.max(n, 2 * this.rowList.length));
      const list = this.rowList;
      let count = 0;
      for (let r = 0; r < n; r++) {
        const row = touched[r];
        if (row % parts !== part) continue;
        let seen = false;
        for (let q = 0; q < s; q++) if (grads[q].has(row)) seen = true;
        if (seen) continue; // updated with the earlier shard that touched it
        // The later shards' gradients of the row are summed into this shard's, in shard order
        // (the row belongs to this part only, so no other thread writes it).
        const base = row * d;
        const g = gs.grad;
        for (let q = s + 1; q < grads.length; q++) {
          if (!grads[q].has(row)) continue;
          const o = grads[q].grad;
          for (let j = 0; j < d; j++) g[base + j] += o[base + j];
        }
        list[count++] = row;
      }
      this.k.adamRows(t.data, gs.grad, t.m, t.v, list, count, d, lrT, this.b1, this.b2, this.eps, keep);
    }
  }
}

/**
 * Elements [lo, hi) of a dense parameter of `size` that part `part` of `parts` updates: equal
 * slices in multiples of 4 (whole SIMD lanes), the last one shorter.
 */
export function partRange(size: number, part: number, parts: number): [number, number] {
  const chunk = Math.ceil(size / parts / 4) * 4;
  const lo = Math.min(size, part * chunk);
  return [lo, Math.min(size, lo + chunk)];
}
