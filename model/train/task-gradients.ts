// Each task's gradient of the shared parameters over the whole batch, as one flat vector per
// task: the shards' per-task gradients (Workspace.taskDense / taskSparse) summed in shard
// order, so the vectors do not depend on which thread computed which shard. Embedding rows
// enter as the union of the rows any shard touched. `write` puts a combined gradient back
// where the optimizer reads it: all of it in shard 0, nothing in the other shards.

import type { DenseParam, EmbeddingTable } from '../engine/params.ts';
import type { Workspace } from '../engine/workspace.ts';

export class TaskGradients {
  /** Per task: [dense parameters..., then per table its union rows x dim], valid after gather(). */
  readonly vectors: Float64Array[];
  /** Entries of `vectors` in use this step. */
  length = 0;
  private readonly dense: DenseParam[];
  private readonly tables: EmbeddingTable[];
  private readonly denseSize: number;
  /** Per table: row -> index in this step's union (-1 = not touched), and the union's rows. */
  private readonly index: Int32Array[];
  private readonly union: Int32Array[];
  private readonly unionCount: number[];

  constructor(private readonly shards: readonly Workspace[]) {
    const plan = shards[0].plan;
    if (!plan) throw new Error('per-task gradients need workspaces built with taskGradients');
    this.dense = plan.dense;
    this.tables = plan.tables;
    this.denseSize = this.dense.reduce((a, p) => a + p.size, 0);
    this.index = this.tables.map((t) => new Int32Array(t.rows).fill(-1));
    this.union = this.tables.map((t) => new Int32Array(shards.reduce((a, s) => a + s.sparseGrad(t).touched.length, 0)));
    this.unionCount = this.tables.map(() => 0);
    const capacity = this.denseSize + this.tables.reduce((a, t, i) => a + this.union[i].length * t.dim, 0);
    this.vectors = shards[0].graph.outputs.map(() => new Float64Array(capacity));
  }

  get tasks(): number {
    return this.vectors.length;
  }

  /** Sums the shards' per-task gradients into `vectors`. */
  gather(): void {
    const T = this.tasks;
    this.tables.forEach((t, ti) => {
      const index = this.index[ti];
      for (let r = 0; r < this.unionCount[ti]; r++) index[this.union[ti][r]] = -1;
      let u = 0;
      for (const s of this.shards) {
        const g = s.sparseGrad(t);
        for (let r = 0; r < g.count; r++) {
          const row = g.touched[r];
          if (index[row] < 0) this.union[ti][(index[row] = u++)] = row;
        }
      }
      this.unionCount[ti] = u;
    });
    this.length = this.denseSize + this.tables.reduce((a, t, ti) => a + this.unionCount[ti] * t.dim, 0);
    for (let task = 0; task < T; task++) {
      const v = this.vectors[task];
      v.fill(0, 0, this.length);
      let off = 0;
      for (const p of this.dense) {
        for (const s of this.shards) {
          const g = s.taskDense.get(p)!;
          const base = task * p.size;
          for (let j = 0; j < p.size; j++) v[off + j] += g[base + j];
        }
        off += p.size;
      }
      this.tables.forEach((t, ti) => {
        const d = t.dim;
        for (const s of this.shards) {
          const { values, counts } = s.taskSparse.get(t)!;
          const g = s.sparseGrad(t);
          const base = task * g.touched.length * d;
          for (let r = 0; r < counts[task]; r++) {
            const o = off + this.index[ti][g.touched[r]] * d;
            for (let j = 0; j < d; j++) v[o + j] += values[base + r * d + j];
          }
        }
        off += this.unionCount[ti] * d;
      });
    }
  }

  /** Makes `combined` (laid out like `vectors`) the gradient the optimizer applies to the shared parameters. */
  write(combined: Float64Array): void {
    let off = 0;
    for (const p of this.dense) {
      const g0 = this.shards[0].denseGrad(p);
      for (let j = 0; j < p.size; j++) g0[j] = combined[off + j];
      for (let s = 1; s < this.shards.length; s++) this.shards[s].denseGrad(p).fill(0);
      off += p.size;
    }
    this.tables.forEach((t, ti) => {
      const g0 = this.shards[0].sparseGrad(t);
      for (let r = 0; r < this.unionCount[ti]; r++) g0.set(this.union[ti][r], combined, off + r * t.dim);
      for (let s = 1; s < this.shards.length; s++) this.shards[s].sparseGrad(t).reset();
      off += this.unionCount[ti] * t.dim;
    });
  }
}

export function dot(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}
