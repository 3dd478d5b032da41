// The training loop: shuffled mini-batches split into fixed shards, Adam (lazy on
// embeddings) with a warm-up / decay schedule, validation every few steps, early stopping on
// mean validation AUC with the best checkpoint kept.

// Before any kernels exist: the fused multiply-add build needs relaxed SIMD (a flag on Node 20).
import './relaxed-simd.ts';
import { buildGraph, type ArchName } from '../arch/index.ts';
import type { ArchConfig } from '../arch/builder.ts';
import type { Graph } from '../engine/graph.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { Adam } from '../engine/optimizer.ts';
import { initParams, type Params } from '../engine/params.ts';
import { loadWeights } from '../engine/weights-file.ts';
import { Rng } from '../engine/rng.ts';
import { trainingSeed, Workspace } from '../engine/workspace.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { TaskSpec } from '../features/spec.ts';
import { restore, snapshot } from './checkpoint.ts';
import { WeightAverage } from './weight-average.ts';
import { mean } from '../metrics/index.ts';
import { lrFactor } from './budget.ts';
import type { EncodedSplit } from './dataset.ts';
import type { TrainSplit } from './row-store.ts';
import { trainRows, type TrainRows } from './rows.ts';
import { EarlyStopping } from './early-stop.ts';
import { validationAuc } from './predict.ts';
import { InlineRunner, type ShardRunner } from './shard-runner.ts';
import { TaskWeights, type Weighting } from './task-weights.ts';
import { isWasmKernels, ThreadRunner } from './threads.ts';
import { shardError } from './shards.ts';
import { recordingKernels, type Allocation } from '../engine/replay-kernels.ts';

export interface TrainOptions {
  arch: ArchName;
  cfg: ArchConfig;
  /** Upper bound on passes over the training split (see budget.ts for the defaults). */
  epochs: number;
  batchSize: number;
  lr: number;
  /** Decoupled weight decay of embedding rows (see AdamOptions.embeddingDecay). */
  embeddingDecay?: number;
  seed: number;
  /**
   * A step's batch is always cut into this many shards, whatever the thread count: the
   * result depends on it (shards.ts has the default).
   */
  shards: number;
  weighting: Weighting;
  taskWeights?: number[];
  /** GradNorm's asymmetry (see gradnorm.ts for the default). */
  gradnormAlpha?: number;
  /** Validation passes without improvement before stopping. */
  patience: number;
  /**
   * Optimizer steps between validation passes (default a quarter epoch); the last step of an
   * epoch always validates. ID-heavy recommenders often peak between one and two epochs and
   * then overfit fast, so the best checkpoint is looked for within epochs.
   */
  evalEvery?: number;
  /** Learning-rate schedule (budget.ts lrFactor); without it the rate is constant. */
  warmupSteps?: number;
  minLrFactor?: number;
  /** Steps of the cosine decay after the warm-up (default: to the last possible step). */
  decaySteps?: number;
  /**
   * Validate (and keep as the best checkpoint) an exponential moving average of the weights
   * over about this many steps (weight-average.ts); 0 or unset = the raw weights.
   */
  averageSteps?: number;
  /** Stop after this many optimizer steps (a tuning trial's budget); default: epochs allow. */
  maxSteps?: number;
  /**
   * Start from these weights (a weights.bin of the same architecture and feature layout, see
   * warm-start.ts) instead of the random initialisation.
   */
  initialWeights?: Uint8Array;
  /** Threads computing shards (1 = this thread only; more needs the wasm-simd kernels; at most one per shard is used). */
  threads: number;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  samplesPerSec: number;
  loss: number;
}

export interface EpochLog {
  /** Position of this validation pass in epochs (e.g. 1.25). */
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  /** Learning rate of the last step (after warm-up / decay). */
  lr: number;
  /** Mean training loss (sum over tasks) since the previous validation pass. */
  trainLoss: number;
  validAuc: number[];
  /** Training time and rows since the previous validation pass. */
  seconds: number;
  rows: number;
  /** The task weights at this pass (they move with uncertainty weighting and GradNorm). */
  taskWeights: number[];
}

export interface TrainResult {
  graph: Graph;
  /** Position (in epochs) of the validation pass whose weights were kept. */
  bestEpoch: number;
  /** Optimizer steps taken (the kept weights may be from an earlier step). */
  steps: number;
  history: EpochLog[];
  samplesPerSec: number;
  taskWeights: number[];
}

export interface TrainData {
  layout: FeatureLayout;
  tasks: TaskSpec[];
  /** In memory, or in chunk files when it exceeded the memory budget (row-store.ts). */
  train: TrainSplit;
  valid: EncodedSplit;
}

export async function train(k: Kernels, data: TrainData, o: TrainOptions): Promise<TrainResult> {
  const { layout, tasks } = data;
  const T = tasks.length;
  const bad = shardError(o.shards, o.batchSize);
  if (bad) throw new Error(bad);
  // A thread beyond the shard count would idle.
  const threads = Math.min(o.threads, o.shards);
  // With worker threads, record where the graph and the shard workspaces are allocated so
  // the workers can rebuild them over the same shared memory.
  let kb = k;
  let log: Allocation[] = [];
  if (threads > 1) {
    if (!isWasmKernels(k)) throw new Error('--threads above 1 needs the wasm-simd kernels (shared memory); use --threads 1 with js kernels');
    ({ kernels: kb, log } = recordingKernels(k));
  }
  const graph = buildGraph(o.arch, kb, layout, tasks, o.cfg);
  const weights = new TaskWeights(o.weighting, o.taskWeights ?? tasks.map(() => 1), o.lr, { gradnormAlpha: o.gradnormAlpha, seed: o.seed });
  const shardRows = Math.ceil(o.batchSize / o.shards);
  const shards = Array.from({ length: o.shards }, (_, s) => new Workspace(graph, kb, layout, shardRows, weights.taskGradients, trainingSeed(o.seed, s)));
  const params = graph.params();
  const rng = new Rng(o.seed);
  initParams(params, rng);
  if (o.initialWeights) loadWeights(o.initialWeights, params);
  const adam = new Adam(k, { lr: o.lr, embeddingDecay: o.embeddingDecay });
  const runner: ShardRunner =
    threads > 1 && isWasmKernels(k)
      ? await ThreadRunner.start(shards, k, log, { arch: o.arch, cfg: o.cfg, features: [...layout.specs], tasks, threads, adam: adam.options(), taskGradients: weights.taskGradients, seed: o.seed }, shardRows)
      : new InlineRunner(shards);
  runner.beforeUpdate = (s) => weights.beforeUpdate(s);

  const n = data.train.n;
  const perEpoch = Math.ceil(n / o.batchSize);
  const maxSteps = Math.min(o.maxSteps ?? Infinity, perEpoch * o.epochs);
  const evalEvery = o.evalEvery ?? Math.ceil(perEpoch / 4);
  const warmupSteps = o.warmupSteps ?? 0;
  const schedule = { warmupSteps, minLrFactor: o.minLrFactor ?? 1, decaySteps: o.decaySteps ?? Math.max(1, maxSteps - warmupSteps) };
  const stopper = new EarlyStopping(o.patience);
  const history: EpochLog[] = [];
  let bestEpoch = -1;
  let bestSnap = snapshot(params);
  const average = o.averageSteps ? new WeightAverage(k, o.averageSteps) : null;
  let trainSeconds = 0;
  let trained = 0;
  let step = 0;
  let stop = false;
  const ctx: StepContext = { T, rows: trainRows(data.train, layout, T), shards, shardRows, runner, adam, params, weights, counts: new Float64Array(T), shardRowsUsed: new Array<number>(o.shards).fill(0) };
  try {
    for (let epoch = 1; epoch <= o.epochs && !stop; epoch++) {
      ctx.rows.startEpoch(rng);
      const t0 = performance.now();
      let lossSum = 0;
      let lossN = 0;
      let lastReport = t0;
      let evalMs = 0;
      let tMark = t0;
      let trainedMark = 0;
      let stepInEpoch = 0;
      for (let from = 0; from < n && !stop; from += o.batchSize) {
        const to = Math.min(n, from + o.batchSize);
        step++;
        stepInEpoch++;
        adam.scale = lrFactor(step, schedule);
        const taskLoss = await trainStep(ctx, from, to);
        // Tasks with labelled rows in the batch; a NaN among them is divergence, not absence.
        let stepLoss = 0;
        for (let t = 0; t < T; t++) if (ctx.counts[t]) stepLoss += taskLoss[t];
        if (!Number.isFinite(stepLoss)) throw new Error(`training diverged at epoch ${epoch}, step ${step}: loss is ${stepLoss}; try a lower --lr`);
        weights.update(taskLoss);
        average?.observe(params, step);
        lossSum += stepLoss;
        lossN++;
        const now = performance.now();
        if (o.onProgress && (now - lastReport > 250 || to === n)) {
          lastReport = now;
          o.onProgress({ epoch, epochs: o.epochs, done: to, total: n, samplesPerSec: (to * 1000) / (now - t0 - evalMs), loss: lossSum / lossN });
        }
        if (step >= maxSteps) stop = true;
        if (stepInEpoch % evalEvery === 0 || to === n || stop) {
          const e0 = performance.now();
          const seconds = (e0 - tMark) / 1000;
          trainSeconds += seconds;
          trained += to - trainedMark;
          const position = Math.round((epoch - 1 + to / n) * 1000) / 1000;
          // The averaged weights (when on) are what is scored and kept; training goes on from the raw ones.
          const evaluate = () => {
            const validAuc = validationAuc(shards[0], data.valid, layout, T);
            history.push({ epoch: position, step, lr: adam.scale * o.lr, trainLoss: lossSum / lossN, validAuc, seconds, rows: to - trainedMark, taskWeights: weights.values() });
            // The early-stopping score: mean validation AUC over tasks (prepare checked that
            // every task can be scored).
            if (stopper.observe(mean(validAuc))) {
              bestEpoch = position;
              bestSnap = snapshot(params);
            } else if (stopper.shouldStop) {
              stop = true;
            }
          };
          if (average) average.withAverage(params, evaluate);
          else evaluate();
          trainedMark = to;
          lossSum = 0;
          lossN = 0;
          tMark = performance.now();
          evalMs += tMark - e0;
        }
      }
    }
  } finally {
    await runner.close();
  }
  restore(params, bestSnap);
  return { graph, bestEpoch, steps: step, history, samplesPerSec: trained / trainSeconds, taskWeights: weights.values() };
}

interface StepContext {
  T: number;
  rows: TrainRows;
  shards: Workspace[];
  shardRows: number;
  runner: ShardRunner;
  adam: Adam;
  params: Params;
  weights: TaskWeights;
  /** Scratch: labelled rows per task in the batch, rows per shard. */
  counts: Float64Array;
  shardRowsUsed: number[];
}

/**
 * One optimizer step on rows [from, to) of the epoch's order: the batch is cut into the fixed shards, each
 * task's loss is weighted by its task weight over its labelled rows in the whole batch (so
 * the shard split never changes the gradient), then forward, backward and the update.
 * Returns each task's mean loss on the batch (NaN for a task with no labelled row).
 */
async function trainStep(c: StepContext, from: number, to: number): Promise<number[]> {
  const { T, counts, shardRowsUsed: rows } = c;
  counts.fill(0);
  for (let s = 0; s < c.shards.length; s++) {
    const a = Math.min(to, from + s * c.shardRows);
    const b = Math.min(to, a + c.shardRows);
    rows[s] = b - a;
    const w = c.shards[s];
    c.rows.gather(a, b, w.batch, w.labels);
    for (let i = 0; i < rows[s] * T; i++) if (w.labels[i] >= 0) counts[i % T]++;
  }
  for (const w of c.shards) for (let t = 0; t < T; t++) w.taskScale[t] = counts[t] ? c.weights.weight(t) / counts[t] : 0;
  await c.runner.step(rows, c.adam, c.params);
  const loss: number[] = [];
  for (let t = 0; t < T; t++) {
    let l = 0;
    for (const w of c.shards) l += w.lossSum[t];
    loss.push(counts[t] ? l / counts[t] : NaN);
  }
  return loss;
}
