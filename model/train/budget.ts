// How long and in what steps to train, chosen from the number of training rows. A fixed
// "batch 512, 3 epochs" gives a 10,000-row table 60 optimizer steps and a 100-row file 1: the
// model stays near its initial outputs. Small data gets smaller batches and more epochs, so
// that every run gets a few thousand steps, validation often enough to catch the best
// checkpoint, and patience counted in validation passes. Every explicit setting wins.

/** The settings a training run uses (the trainer's, resolved). */
export interface Budget {
  batchSize: number;
  /** Upper bound on passes over the training split; early stopping usually ends sooner. */
  epochs: number;
  /** Optimizer steps between validation passes (the last step of an epoch always validates). */
  evalEvery: number;
  /** Validation passes without improvement of mean validation AUC before stopping. */
  patience: number;
  /** Steps of linear learning-rate warm-up from 0. */
  warmupSteps: number;
  /** The learning rate decays along a cosine to this fraction of itself ... */
  minLrFactor: number;
  /** ... over this many steps after the warm-up (then stays there). */
  decaySteps: number;
  /** Validation scores a moving average of the weights over about this many steps (fewer early on: at most a ninth of the steps so far); 0 = off (weight-average.ts). */
  averageSteps: number;
}

export type BudgetOverrides = Partial<Budget>;

/** Optimizer steps a run should be able to take at least (if the epoch cap allows). */
export const TARGET_STEPS = 3000;
/** Below this many possible steps a run is warned about: too few to learn from. */
export const FEW_STEPS = 300;
export const MAX_EPOCHS = 200;
const MIN_BATCH = 32;
const MAX_BATCH = 512;

export function stepsPerEpoch(rows: number, batchSize: number): number {
  return Math.max(1, Math.ceil(rows / batchSize));
}

/** The largest power of two <= x (x >= 1). */
function pow2Floor(x: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, x)));
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * Defaults from the training rows, each replaced by its override when one is given:
 *   batch      a power of two near rows / 64, within [32, 512] (512 from 32,768 rows up);
 *   epochs     enough for TARGET_STEPS steps, within [3, 200];
 *   evalEvery  a quarter epoch, but at least min(one epoch, 100 steps): small splits are cheap
 *              to validate, and a validation pass per 20 steps would mostly measure noise;
 *   patience   about 1,000 steps of no improvement, within [2, 10] validation passes;
 *   warm-up    2% of the possible steps, at most 200; then a cosine decay to 10% that ends
 *              after TARGET_STEPS steps or with the budget, whichever is first: large ID-heavy
 *              data peaks late in its first epoch and overfits on the second pass (the
 *              "one-epoch phenomenon" of CTR models), so the rate must be low by then;
 *   average    the weights validated are their moving average over one validation interval
 *              (evalEvery steps): each pass scores what the last interval learned, with less
 *              of its last batches' noise.
 */
export function chooseBudget(rows: number, o: BudgetOverrides = {}): Budget {
  const batchSize = o.batchSize ?? clamp(pow2Floor(rows / 64), MIN_BATCH, MAX_BATCH);
  const perEpoch = stepsPerEpoch(rows, batchSize);
  const epochs = o.epochs ?? clamp(Math.ceil(TARGET_STEPS / perEpoch), 3, MAX_EPOCHS);
  const evalEvery = o.evalEvery ?? Math.max(Math.ceil(perEpoch / 4), Math.min(perEpoch, 100));
  const patience = o.patience ?? clamp(Math.round(1000 / evalEvery), 2, 10);
  const maxSteps = perEpoch * epochs;
  const warmupSteps = o.warmupSteps ?? Math.min(200, Math.ceil(0.02 * maxSteps));
  const minLrFactor = o.minLrFactor ?? 0.1;
  const decaySteps = o.decaySteps ?? Math.max(1, Math.min(maxSteps, TARGET_STEPS) - warmupSteps);
  const averageSteps = o.averageSteps ?? evalEvery;
  return { batchSize, epochs, evalEvery, patience, warmupSteps, minLrFactor, decaySteps, averageSteps };
}

/** The line a training command prints before it starts. */
export function describeBudget(rows: number, b: Budget): string {
  const steps = stepsPerEpoch(rows, b.batchSize) * b.epochs;
  return (
    `${rows.toLocaleString('en-US')} training rows: batch ${b.batchSize}, up to ${b.epochs} epochs (${steps.toLocaleString('en-US')} steps), ` +
    `validation every ${b.evalEvery} steps, patience ${b.patience} evaluations, warm-up ${b.warmupSteps} steps, cosine decay to ${b.minLrFactor} x lr over ${b.decaySteps} steps, ` +
    (b.averageSteps ? `weights averaged over ${b.averageSteps} steps (at most a ninth of the steps so far)` : 'no weight average')
  );
}

/** A warning when a run cannot take enough steps to learn (null when it can). */
export function fewStepsWarning(rows: number, b: Budget): string | null {
  const steps = stepsPerEpoch(rows, b.batchSize) * b.epochs;
  if (steps >= FEW_STEPS) return null;
  return `only ${steps} optimizer steps (${rows} rows, batch ${b.batchSize}, ${b.epochs} epochs): fewer than ${FEW_STEPS}, the model may stay near its initial outputs; use more epochs or a smaller batch`;
}

/**
 * Learning-rate multiplier at step s (1-based): linear warm-up, then a cosine from 1 down to
 * minLrFactor over decaySteps, then minLrFactor.
 */
export function lrFactor(s: number, b: Pick<Budget, 'warmupSteps' | 'minLrFactor' | 'decaySteps'>): number {
  if (s <= b.warmupSteps) return s / (b.warmupSteps + 1);
  const t = Math.min(1, (s - b.warmupSteps) / Math.max(1, b.decaySteps));
  return b.minLrFactor + (1 - b.minLrFactor) * 0.5 * (1 + Math.cos(Math.PI * t));
}
