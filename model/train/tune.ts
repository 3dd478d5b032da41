// Hyperparameter search on validation AUC by successive halving (Jamieson & Talwalkar 2016;
// the rung schedule of Hyperband's brackets): every trial trains on a small step budget, the
// best third goes on with three times the steps, and so on until the last rung trains with
// the full budget. Deterministic for a seed: the settings are drawn from it and every trial
// trains from the same seed. The test split is never read here.

import type { ArchName } from '../arch/index.ts';
import type { ArchConfig } from '../arch/builder.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { Rng } from '../engine/rng.ts';
import { chooseBudget, stepsPerEpoch, type Budget } from './budget.ts';
import type { PreparedData } from './prepare.ts';
import { mean } from '../metrics/index.ts';
import { defaultShards } from './shards.ts';
import { train } from './trainer.ts';

/** What a trial varies; everything else is the run's default. */
export interface TrialSettings {
  lr: number;
  batchSize: number;
  embeddingDim: number;
  expertDims: number[];
  towerDims: number[];
  embeddingDecay: number;
  numericBins: number;
}

export interface RungResult {
  /** Step budget of this rung. */
  maxSteps: number;
  /** Steps taken (early stopping may end a trial sooner). */
  steps: number;
  /** Validation AUC per task at the kept checkpoint. */
  validAuc: Record<string, number>;
  /** Mean of validAuc: what trials are ranked by. */
  score: number;
  seconds: number;
}

export interface Trial {
  id: number;
  settings: TrialSettings;
  rungs: RungResult[];
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.u32() % xs.length];

/**
 * Trial 0 is the defaults (so tuning cannot end below them on validation); the others draw
 * the learning rate log-uniformly in [3e-4, 1e-2], the batch from a quarter to twice the
 * default, widths and regularisation from small menus.
 */
export function sampleSettings(defaults: TrialSettings, n: number, seed: number): TrialSettings[] {
  const rng = new Rng(seed);
  const out = [defaults];
  for (let i = 1; i < n; i++) {
    out.push({
      lr: Math.exp(rng.uniform(Math.log(3e-4), Math.log(1e-2))),
      batchSize: Math.max(16, Math.round(defaults.batchSize * pick(rng, [0.25, 0.5, 1, 2]))),
      embeddingDim: pick(rng, [8, 16, 32]),
      expertDims: pick(rng, [[32, 16], [64, 32], [128, 64]]),
      towerDims: pick(rng, [[8], [16], [32]]),
      embeddingDecay: pick(rng, [0, 0, 0.01, 0.1, 1]),
      numericBins: pick(rng, [0, 16, 32]),
    });
  }
  return out;
}

/** Trials kept at each rung: n, n / eta, ... down to 1 (a rung of one ends the search). */
export function rungSizes(n: number, eta = 3): number[] {
  const sizes = [n];
  while (sizes[sizes.length - 1] > 1) sizes.push(Math.max(1, Math.floor(sizes[sizes.length - 1] / eta)));
  // The last rung trains a few candidates on the full budget, not one: the winner of a short
  // budget is not always the winner of a long one.
  if (sizes.length > 2) sizes.pop();
  return sizes;
}

export interface TuneOptions {
  arch: ArchName;
  cfg: ArchConfig;
  trials: number;
  seed: number;
  threads: number;
  /** Shards per batch of every trial; default from each trial's batch size (shards.ts). */
  shards?: number;
  /** Prepared data per numericBins value (bins change the encoding). */
  dataFor: (numericBins: number) => PreparedData;
  defaults: TrialSettings;
  onTrial?: (t: Trial, rung: number, rungs: number) => void;
}

/** The budget of a trial's settings on `rows` training rows. */
export function budgetOf(rows: number, s: TrialSettings, maxSteps?: number): Budget {
  const b = chooseBudget(rows, { batchSize: s.batchSize });
  // A short rung runs the whole warm-up / decay schedule within its steps: it scores what the
  // settings reach on that budget, not the start of a longer run.
  if (maxSteps === undefined) return b;
  const decaySteps = Math.max(1, Math.min(b.decaySteps, maxSteps - b.warmupSteps));
  return { ...b, decaySteps };
}

/**
 * Runs the search. `kernels` gives each training run its own kernels: a run's parameters,
 * optimizer state and workspaces live in its kernels' memory, which is never freed (a bump
 * allocator), so one set of kernels for all runs grew by a whole model per run (36 runs for
 * 24 trials) up to wasm32's 4 GiB; with a set per run, a finished run's memory is garbage.
 */
export async function tune(kernels: () => Promise<Kernels>, o: TuneOptions): Promise<{ trials: Trial[]; best: Trial }> {
  const trials: Trial[] = sampleSettings(o.defaults, o.trials, o.seed).map((settings, id) => ({ id, settings, rungs: [] }));
  const sizes = rungSizes(trials.length);
  let alive = trials;
  for (let r = 0; r < sizes.length; r++) {
    alive = alive.slice(0, sizes[r]);
    for (const t of alive) {
      const data = o.dataFor(t.settings.numericBins);
      const full = budgetOf(data.splits.train.n, t.settings);
      const maxSteps = Math.max(1, Math.ceil((stepsPerEpoch(data.splits.train.n, full.batchSize) * full.epochs) / 3 ** (sizes.length - 1 - r)));
      const b = budgetOf(data.splits.train.n, t.settings, maxSteps);
      const t0 = performance.now();
      const res = await train(
        await kernels(),
        { layout: data.layout, tasks: data.tasks, train: data.splits.train, valid: data.splits.valid },
        {
          arch: o.arch,
          cfg: { ...o.cfg, embeddingDim: t.settings.embeddingDim, expertDims: t.settings.expertDims, towerDims: t.settings.towerDims },
          ...b,
          maxSteps,
          lr: t.settings.lr,
          embeddingDecay: t.settings.embeddingDecay,
          seed: o.seed,
          shards: o.shards ?? defaultShards(b.batchSize),
          threads: o.threads,
          weighting: 'fixed',
        },
      );
      const kept = res.history.reduce((a, h) => (mean(h.validAuc) > mean(a.validAuc) ? h : a));
      t.rungs.push({
        maxSteps,
        steps: res.steps,
        validAuc: Object.fromEntries(data.tasks.map((task, i) => [task.name, kept.validAuc[i]])),
        score: mean(kept.validAuc),
        seconds: (performance.now() - t0) / 1000,
      });
      o.onTrial?.(t, r, sizes.length);
    }
    // Ties keep the earlier trial (the defaults first): deterministic.
    alive = [...alive].sort((a, b) => b.rungs[r].score - a.rungs[r].score || a.id - b.id);
  }
  return { trials, best: alive[0] };
}
