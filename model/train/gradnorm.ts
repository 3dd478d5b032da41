// GradNorm (Chen et al., ICML 2018): task weights w_i learned so that the norm of each task's
// weighted gradient at the last shared layer, G_i = ||grad_W w_i L_i||, tracks
// mean(G) * r_i^alpha, where r_i is the task's loss relative to its first loss, over the mean
// of those ratios: a task that trains more slowly gets a larger gradient. The target is held
// constant; the weights take an Adam step on sum_i |G_i - target_i| and are renormalised to
// sum to the number of tasks.

import type { Workspace } from '../engine/workspace.ts';
import { ScalarAdam } from './scalar-adam.ts';
import { dot, TaskGradients } from './task-gradients.ts';

/** The asymmetry of the paper's main experiments (NYUv2); the paper's range is 0 to 3. */
export const DEFAULT_GRADNORM_ALPHA = 1.5;

/** Weights are kept above this before renormalising, so no task is switched off for good. */
const MIN_WEIGHT = 1e-3;

export class GradNorm {
  readonly w: Float64Array;
  private readonly first: Float64Array;
  private readonly norms: Float64Array;
  private readonly adam: ScalarAdam;
  private grads: TaskGradients | null = null;

  constructor(
    tasks: number,
    readonly alpha: number,
    lr: number,
  ) {
    this.w = new Float64Array(tasks).fill(1);
    this.first = new Float64Array(tasks).fill(NaN);
    this.norms = new Float64Array(tasks);
    this.adam = new ScalarAdam(tasks, lr);
  }

  /** After backward: each task's G_i on this batch (the shards' losses carry the weights already). */
  measure(shards: readonly Workspace[]): void {
    this.grads ??= new TaskGradients(shards);
    const g = this.grads;
    g.gather();
    for (let t = 0; t < g.tasks; t++) this.norms[t] = Math.sqrt(dot(g.vectors[t], g.vectors[t], g.length));
  }

  /** After the step: move the weights given each task's mean loss (NaN = absent from the batch). */
  update(meanLoss: readonly number[]): void {
    if (!this.grads) return;
    const T = this.w.length;
    const present = meanLoss.map((l, t) => Number.isFinite(l) && l > 0 && this.norms[t] > 0);
    for (let t = 0; t < T; t++) if (present[t] && Number.isNaN(this.first[t])) this.first[t] = meanLoss[t];
    const live = present.flatMap((p, t) => (p ? [t] : []));
    if (live.length < 2) return;
    const grad = new Array<number>(T).fill(NaN);
    const g = gradnormGradient(
      live.map((t) => this.w[t]),
      live.map((t) => this.norms[t]),
      live.map((t) => meanLoss[t] / this.first[t]),
      this.alpha,
    );
    live.forEach((t, i) => (grad[t] = g[i]));
    this.adam.step(this.w, grad);
    let sum = 0;
    for (let t = 0; t < T; t++) sum += this.w[t] = Math.max(this.w[t], MIN_WEIGHT);
    for (let t = 0; t < T; t++) this.w[t] *= T / sum;
  }
}

/**
 * d/dw_i of sum_i |G_i - mean(G) r_i^alpha| with G_i = w_i n_i, the target held constant,
 * given the weights, the weighted norms G_i and the loss ratios L_i(t) / L_i(0).
 */
export function gradnormGradient(w: readonly number[], norms: readonly number[], lossRatio: readonly number[], alpha: number): number[] {
  const k = w.length;
  const meanRatio = lossRatio.reduce((a, b) => a + b, 0) / k;
  const meanNorm = norms.reduce((a, b) => a + b, 0) / k;
  return w.map((wi, i) => Math.sign(norms[i] - meanNorm * (lossRatio[i] / meanRatio) ** alpha) * (norms[i] / wi));
}
