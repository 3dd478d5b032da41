// One training run end to end: train, evaluate, write weights + manifest + metrics into a
// directory. Node-only (file system, hashing): the worker never imports this.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernels, type KernelKind } from '../engine/kernels/index.ts';
import { MANIFEST_FORMAT, type Manifest } from '../manifest.ts';
import { serializeWeights } from '../engine/weights-file.ts';
import { writeCurves } from './curves-file.ts';
import { evaluateGraph, metricsOf, type TaskMetrics } from './evaluate.ts';
import type { PreparedData } from './prepare.ts';
import { isStreamed, type TrainSplit } from './row-store.ts';
import { train, type TrainOptions } from './trainer.ts';

/** The trainer's options, plus where and how to run. */
export interface RunOptions extends TrainOptions {
  kernels: KernelKind;
  out: string;
  dataInfo: Record<string, unknown>;
  /** The data source's baseline predictions on valid and test ([n, tasks]), scored as baseline_auc. */
  baseline?: { valid: Float32Array; test: Float32Array };
  /** Recorded in the manifest: how the budget was chosen (e.g. which settings were given). */
  budgetNote?: string;
  /** Recorded in the manifest: quantile bins per numeric feature the data was prepared with. */
  numericBins?: number;
  /** Recorded in the manifest: the model this run was warm-started from. */
  parent?: Manifest['parent'];
}

export interface RunResult {
  metrics: Record<string, TaskMetrics>;
  samplesPerSec: number;
  manifest: Manifest;
  dir: string;
  /** metrics.json's `train` section. */
  trainInfo: Record<string, unknown>;
}

export async function trainToDir(data: PreparedData, o: RunOptions): Promise<RunResult> {
  const k = await createKernels(o.kernels);
  const t0 = performance.now();
  const result = await train(k, { layout: data.layout, tasks: data.tasks, train: data.splits.train, valid: data.splits.valid }, o);
  const trainSeconds = (performance.now() - t0) / 1000;
  const { metrics, pTest } = evaluateGraph(k, result.graph, data.layout, data.tasks, data.splits.valid, data.splits.test);
  if (o.baseline) {
    const b = metricsOf(data.tasks, data.splits.valid, data.splits.test, o.baseline.valid, o.baseline.test);
    for (const t of data.tasks) metrics[t.name].baseline_auc = b[t.name].test.auc;
  }

  mkdirSync(o.out, { recursive: true });
  writeCurves(o.out, data.tasks, data.splits.test, pTest);
  const weights = serializeWeights(result.graph.params());
  const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
  writeFileSync(join(o.out, 'weights.bin'), weights);
  const weightsSha = sha(weights);
  // Declared kinds join the identity only when present, so a model of the default kinds hashes as before.
  const identity = { features: data.features, tasks: data.tasks, ...(data.kinds ? { kinds: data.kinds } : {}), architecture: { name: o.arch, config: o.cfg }, weights: weightsSha };
  // Fused multiply-adds round once: weights differ in the last bits between the two builds.
  const kernelBuild = 'build' in k ? k.build : null;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: sha(JSON.stringify(identity)).slice(0, 16),
    createdAt: new Date().toISOString(),
    data: o.dataInfo,
    features: data.features,
    tasks: data.tasks,
    ...(data.kinds ? { kinds: data.kinds } : {}),
    architecture: identity.architecture,
    training: {
      epochs: o.epochs,
      bestEpoch: result.bestEpoch,
      steps: result.steps,
      batchSize: o.batchSize,
      evalEvery: o.evalEvery,
      patience: o.patience,
      warmupSteps: o.warmupSteps,
      minLrFactor: o.minLrFactor,
      decaySteps: o.decaySteps,
      averageSteps: o.averageSteps ?? 0,
      budget: o.budgetNote,
      numericBins: o.numericBins,
      lr: o.lr,
      seed: o.seed,
      shards: o.shards,
      threads: o.threads,
      kernels: k.name,
      kernelBuild,
      weighting: o.weighting,
      ...(o.weighting === 'gradnorm' ? { gradnormAlpha: o.gradnormAlpha } : {}),
      taskWeights: result.taskWeights,
      history: result.history,
      samplesPerSec: result.samplesPerSec,
      seconds: trainSeconds,
      rows: { train: data.splits.train.n, valid: data.splits.valid.n, test: data.splits.test.n },
      // The order training read its rows in depends on the buffer (row-store.ts, rows.ts).
      trainSplit: streamInfo(data.splits.train),
    },
    files: { weights: { path: 'weights.bin', sha256: weightsSha, bytes: weights.length } },
    ...(o.parent ? { parent: o.parent } : {}),
    metrics: Object.fromEntries(Object.entries(metrics).map(([t, m]) => [t, { ...m.test, bayes_auc: m.bayes_auc ?? null }])),
  };
  writeFileSync(join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const weightHistory = result.history.map((h) => ({ epoch: h.epoch, task_weights: h.taskWeights }));
  const trainInfo = { samples_per_sec: result.samplesPerSec, seconds: trainSeconds, best_epoch: result.bestEpoch, steps: result.steps, shards: o.shards, threads: o.threads, kernels: k.name, kernel_build: kernelBuild, weighting: o.weighting, task_weights: weightHistory };
  writeMetrics(o.out, metrics, trainInfo);
  return { metrics, samplesPerSec: result.samplesPerSec, manifest, dir: o.out, trainInfo };
}

function streamInfo(s: TrainSplit): Record<string, unknown> {
  return isStreamed(s) ? { streamed: true, chunks: s.chunks.length, chunkRows: s.chunkRows, bufferRows: s.bufferRows } : { streamed: false };
}

/** metrics.json: per task {test.*, valid.auc, bayes_auc, baseline_auc}, plus train.* (and int8.* after export). */
export function writeMetrics(dir: string, metrics: Record<string, TaskMetrics>, trainInfo: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ ...metrics, train: trainInfo, ...extra }, null, 2) + '\n');
}
