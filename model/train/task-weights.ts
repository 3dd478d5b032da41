// How the per-task losses are combined:
// - fixed weights;
// - uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018): L = sum_t exp(-s_t) L_t + s_t / 2
//   with s_t = log sigma_t^2 learned by its own Adam, so tasks with a small, noisy loss are not
//   drowned out;
// - GradNorm (gradnorm.ts): weights that balance the tasks' gradient norms at the last shared layer;
// - PCGrad (pcgrad.ts): fixed weights, conflicting components of the tasks' shared gradients
//   projected away.
// GradNorm and PCGrad need each task's own gradient of the shared parameters: `taskGradients`
// says which the workspaces must keep, `beforeUpdate` runs once every shard's backward is
// done and before the optimizer reads the gradients.

import type { TaskGradientKind } from '../engine/task-passes.ts';
import type { Workspace } from '../engine/workspace.ts';
import { DEFAULT_GRADNORM_ALPHA, GradNorm } from './gradnorm.ts';
import { PcGrad } from './pcgrad.ts';
import { ScalarAdam } from './scalar-adam.ts';

export const WEIGHTINGS = ['fixed', 'uncertainty', 'gradnorm', 'pcgrad'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

export interface WeightingOptions {
  /** GradNorm's asymmetry alpha (default DEFAULT_GRADNORM_ALPHA). */
  gradnormAlpha?: number;
  /** The run's seed (PCGrad's task order). */
  seed?: number;
}

export class TaskWeights {
  private readonly s: Float64Array;
  private readonly adam: ScalarAdam;
  private readonly gradnorm: GradNorm | null;
  private pcgrad: PcGrad | null = null;

  constructor(
    readonly mode: Weighting,
    private readonly fixed: readonly number[],
    lr: number,
    private readonly o: WeightingOptions = {},
  ) {
    this.s = new Float64Array(fixed.length);
    this.adam = new ScalarAdam(fixed.length, lr);
    this.gradnorm = mode === 'gradnorm' ? new GradNorm(fixed.length, o.gradnormAlpha ?? DEFAULT_GRADNORM_ALPHA, lr) : null;
  }

  /** The per-task gradients the workspaces must keep for this weighting (undefined: none). */
  get taskGradients(): TaskGradientKind | undefined {
    return this.mode === 'gradnorm' ? 'last-shared' : this.mode === 'pcgrad' ? 'shared' : undefined;
  }

  /**
   * Between backward and the update. Workspaces without a plan (the tasks share nothing, as in
   * `single` and `lr`) leave nothing to balance or project: the weights stay fixed.
   */
  beforeUpdate(shards: readonly Workspace[]): void {
    if (!shards[0].plan) return;
    if (this.gradnorm) this.gradnorm.measure(shards);
    if (this.mode === 'pcgrad') (this.pcgrad ??= new PcGrad(shards, this.o.seed ?? 0)).apply();
  }

  /** Current multiplier of each task's mean loss. */
  weight(t: number): number {
    if (this.mode === 'uncertainty') return this.fixed[t] * Math.exp(-this.s[t]);
    if (this.gradnorm) return this.fixed[t] * this.gradnorm.w[t];
    return this.fixed[t];
  }

  /** After a step: learn from each task's mean loss on the batch (NaN = task absent). */
  update(meanLoss: readonly number[]): void {
    if (this.gradnorm) this.gradnorm.update(meanLoss);
    if (this.mode !== 'uncertainty') return;
    this.adam.step(
      this.s,
      meanLoss.map((l, i) => -this.fixed[i] * Math.exp(-this.s[i]) * l + 0.5),
    );
  }

  values(): number[] {
    return this.fixed.map((_, t) => this.weight(t));
  }
}
