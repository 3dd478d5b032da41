// The training loop: shuffled mini-batches split into fixed shards, Adam (lazy on
// embeddings), early stopping on validation AUC with the best checkpoint kept.

import { buildGraph, type ArchName } from '../arch/index.ts';
import type { ArchConfig } from '../arch/builder.ts';
import type { Graph } from '../engine/graph.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import { Adam } from '../engine/optimizer.ts';
import { initParams } from '../engine/params.ts';
import { Rng } from '../engine/rng.ts';
import { Workspace } from '../engine/workspace.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { TaskSpec } from '../features/spec.ts';
import { auc } from '../metrics/index.ts';
import { restore, snapshot } from './checkpoint.ts';
import { gatherRows, type EncodedSplit } from './dataset.ts';
import { InlineRunner, type ShardRunner } from './runner.ts';
import { TaskWeights, type Weighting } from './task-weights.ts';
import { isWasmKernels, ThreadRunner } from './threads.ts';
import { recordingKernels, type Allocation } from '../engine/replay-kernels.ts';

export interface TrainOptions {
  arch: ArchName;
  cfg: ArchConfig;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Decoupled weight decay of embedding rows (see AdamOptions.embeddingDecay). */
  embeddingDecay?: number;
  seed: number;
  /** A step's batch is always cut into this many shards, whatever the thread count. */
  shards: number;
  weighting: Weighting;
  taskWeights?: number[];
  /** GradNorm's asymmetry (see gradnorm.ts for the default). */
  gradnormAlpha?: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /**
   * Validation passes per epoch (default 4). ID-heavy recommenders often peak between one
   * and two epochs and then overfit fast, so the best checkpoint is looked for within epochs.
   */
  evalsPerEpoch?: number;
  /** Threads computing shards (1 = this thread only; more needs the wasm-simd kernels). */
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
  history: EpochLog[];
  samplesPerSec: number;
  taskWeights: number[];
}

export interface TrainData {
  layout: FeatureLayout;
  tasks: TaskSpec[];
  train: EncodedSplit;
  valid: EncodedSplit;
}

export async function train(k: Kernels, data: TrainData, o: TrainOptions): Promise<TrainResult> {
  const { layout, tasks } = data;
  const T = tasks.length;
  // With worker threads, record where the graph and the shard workspaces are allocated so
  // the workers can rebuild them over the same shared memory.
  let kb = k;
  let log: Allocation[] = [];
  if (o.threads > 1) {
    if (!isWasmKernels(k)) throw new Error('--threads above 1 needs the wasm-simd kernels (shared memory); use --threads 1 with js kernels');
    ({ kernels: kb, log } = recordingKernels(k));
  }
  const graph = buildGraph(o.arch, kb, layout, tasks, o.cfg);
  const weights = new TaskWeights(o.weighting, o.taskWeights ?? tasks.map(() => 1), o.lr, { gradnormAlpha: o.gradnormAlpha, seed: o.seed });
  const shardRows = Math.ceil(o.batchSize / o.shards);
  const shards = Array.from({ length: o.shards }, () => new Workspace(graph, kb, layout, shardRows, weights.taskGradients));
  const params = graph.params();
  const rng = new Rng(o.seed);
  initParams(params, rng);
  const adam = new Adam(k, { lr: o.lr, embeddingDecay: o.embeddingDecay });
  const runner: ShardRunner =
    o.threads > 1 && isWasmKernels(k)
      ? await ThreadRunner.start(shards, k, log, { arch: o.arch, cfg: o.cfg, features: [...layout.specs], tasks, threads: o.threads, adam: adam.options(), taskGradients: weights.taskGradients }, shardRows)
      : new InlineRunner(shards);
  runner.beforeUpdate = (s) => weights.beforeUpdate(s);

  const n = data.train.n;
  const order = new Int32Array(n).map((_, i) => i);
  const history: EpochLog[] = [];
  let best = -Infinity;
  let bestEpoch = -1;
  let bestSnap = snapshot(params);
  let trainSeconds = 0;
  let trained = 0;
  const counts = new Float64Array(T);
  const rows = new Array<number>(o.shards).fill(0);
  const evalRows = Math.max(o.batchSize, Math.ceil(n / (o.evalsPerEpoch ?? 4)));
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      rng.shuffle(order);
      const t0 = performance.now();
      let lossSum = 0;
      let lossN = 0;
      let lastReport = t0;
      let evalMs = 0;
      let tMark = t0;
      let trainedMark = 0;
      let nextEval = evalRows;
      for (let from = 0; from < n; from += o.batchSize) {
        const to = Math.min(n, from + o.batchSize);
        counts.fill(0);
        for (let s = 0; s < o.shards; s++) {
          const a = Math.min(to, from + s * shardRows);
          const b = Math.min(to, a + shardRows);
          rows[s] = b - a;
          const w = shards[s];
          gatherRows(layout, T, data.train, order, a, b, w.batch, w.labels);
          for (let i = 0; i < rows[s] * T; i++) if (w.labels[i] >= 0) counts[i % T]++;
        }
        for (const w of shards) for (let t = 0; t < T; t++) w.taskScale[t] = counts[t] ? weights.weight(t) / counts[t] : 0;
        await runner.step(rows, adam, params);
        const mean: number[] = [];
        let stepLoss = 0;
        for (let t = 0; t < T; t++) {
          let l = 0;
          for (const w of shards) l += w.lossSum[t];
          mean.push(counts[t] ? l / counts[t] : NaN);
          if (counts[t]) stepLoss += mean[t];
        }
        if (!Number.isFinite(stepLoss)) throw new Error(`training diverged at epoch ${epoch}, row ${from}: loss is ${stepLoss}`);
        weights.update(mean);
        lossSum += stepLoss;
        lossN++;
        const now = performance.now();
        if (o.onProgress && (now - lastReport > 250 || to === n)) {
          lastReport = now;
          o.onProgress({ epoch, epochs: o.epochs, done: to, total: n, samplesPerSec: (to * 1000) / (now - t0 - evalMs), loss: lossSum / lossN });
        }
        if (to >= nextEval || to === n) {
          const e0 = performance.now();
          const seconds = (e0 - tMark) / 1000;
          const stepRows = to - trainedMark;
          trainSeconds += seconds;
          trained += stepRows;
          trainedMark = to;
          const position = epoch - 1 + to / n;
          const validAuc = evaluateAuc(shards[0], data.valid, layout, T);
          history.push({ epoch: Math.round(position * 1000) / 1000, trainLoss: lossSum / lossN, validAuc, seconds, rows: stepRows, taskWeights: weights.values() });
          const score = meanFinite(validAuc);
          if (score > best) {
            best = score;
            bestEpoch = position;
            bestSnap = snapshot(params);
          } else if (position - bestEpoch >= o.patience - 1e-9) {
            throw new EarlyStop();
          }
          nextEval = Math.min(n, to + evalRows);
          tMark = performance.now();
          evalMs += tMark - e0;
        }
      }
    }
  } catch (e) {
    if (!(e instanceof EarlyStop)) throw e;
  } finally {
    await runner.close();
  }
  restore(params, bestSnap);
  return { graph, bestEpoch, history, samplesPerSec: trained / trainSeconds, taskWeights: weights.values() };
}

class EarlyStop extends Error {}

function meanFinite(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : -Infinity;
}

/** Probabilities [n, tasks] of every row of a split, computed in workspace-sized chunks. */
export function predict(w: Workspace, split: EncodedSplit, layout: FeatureLayout, T: number): Float32Array {
  const out = new Float32Array(split.n * T);
  for (let from = 0; from < split.n; from += w.maxRows) {
    const to = Math.min(split.n, from + w.maxRows);
    gatherRows(layout, T, split, null, from, to, w.batch, w.labels);
    w.forward(to - from);
    for (let t = 0; t < T; t++) {
      const p = w.prob(t);
      for (let i = 0; i < to - from; i++) out[(from + i) * T + t] = p[i];
    }
  }
  return out;
}

/** Column t of a row-major [n, T] matrix. */
export function column(m: Float32Array, T: number, t: number): Float32Array {
  const out = new Float32Array(m.length / T);
  for (let i = 0; i < out.length; i++) out[i] = m[i * T + t];
  return out;
}

function evaluateAuc(w: Workspace, split: EncodedSplit, layout: FeatureLayout, T: number): number[] {
  const p = predict(w, split, layout, T);
  return Array.from({ length: T }, (_, t) => auc(column(p, T, t), column(split.labels, T, t)));
}
