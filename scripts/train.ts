// npm run train -- --data synthetic --arch mmoe --out DIR
// Trains one architecture (or all of them, with the logistic-regression baseline, on the
// same split) and writes manifest.json, metrics.json, curves.json and weights (and the ONNX
// files), then report.html (scripts/report/) per model directory and for the comparison.

import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { ARCHITECTURES, isArchName, type ArchName } from '../model/arch/index.ts';
import type { KernelKind } from '../model/engine/kernels/index.ts';
import type { DataSource } from '../model/data/source.ts';
import { DEFAULT_NUMERIC_BINS, type PreparedData } from '../model/train/prepare.ts';
import { trainToDir, type RunOptions } from '../model/train/train-to-dir.ts';
import { afterTraining, comparisonTable, type ArchResult } from '../model/train/compare.ts';
import { chooseBudget, describeBudget, fewStepsWarning, type BudgetOverrides } from '../model/train/budget.ts';
import { DEFAULT_GRADNORM_ALPHA } from '../model/train/gradnorm.ts';
import { WEIGHTINGS, type Weighting } from '../model/train/task-weights.ts';
import { fail, int, main, nonNegative, positive, progressBar } from './lib/cli.ts';
import { openData, prepareReported } from './lib/open-data.ts';
import { parseFlags, TRAIN_FLAGS } from './lib/train-flags.ts';
import { writeReport } from './report/index.ts';
import { createKernels, preferredBuild, wasmSimdSupported } from '../model/engine/kernels/index.ts';
import { availableParallelism } from 'node:os';
import { parallelism } from './lib/parallelism.ts';
import { formatBytes, memoryBudget } from './lib/memory-budget.ts';
import { SHARD_ROWS } from '../model/train/shards.ts';
import { checkWarmStart, parentTestAuc, readParent, warmFeatures } from '../model/train/warm-start.ts';

await main(async () => {
  const args = parseFlags(TRAIN_FLAGS, 'usage: npm run train -- --data synthetic --arch mmoe --out DIR [options]');
  if (!args) return;
  const arch = args.arch!;
  if (arch !== 'all' && !isArchName(arch)) fail(`unknown architecture "${arch}" (one of ${Object.keys(ARCHITECTURES).join(', ')}, all)`);
  if (!['auto', 'wasm-simd', 'js'].includes(args.kernels!)) fail(`--kernels must be auto, wasm-simd or js`);
  if (!(WEIGHTINGS as readonly string[]).includes(args.weighting!)) fail(`--weighting must be one of ${WEIGHTINGS.join(', ')}`);
  const gradnormAlpha = nonNegative('gradnorm-alpha', args['gradnorm-alpha'], DEFAULT_GRADNORM_ALPHA);
  const aitmCalibration = nonNegative('aitm-calibration', args['aitm-calibration'], DEFAULT_ARCH_CONFIG.aitmCalibration);
  const seed = int('seed', args.seed, 42, 0);
  const seedCount = int('seeds', args.seeds, 1);
  const numericBins = int('numeric-bins', args['numeric-bins'], DEFAULT_NUMERIC_BINS, 0);
  const overrides: BudgetOverrides = {
    batchSize: optInt('batch-size', args['batch-size'], 1),
    epochs: optInt('epochs', args.epochs, 1),
    evalEvery: optInt('eval-every', args['eval-every'], 1),
    patience: optInt('patience', args.patience, 1),
    warmupSteps: optInt('warmup', args.warmup, 0),
    averageSteps: optInt('average-steps', args['average-steps'], 0),
  };
  const source = openData({ data: args.data, schema: args.schema, rows: args.rows, 'max-bad-share': args['max-bad-share'] }, seed);
  let taskWeights: number[] | undefined;
  if (args['task-weights'] !== undefined) {
    taskWeights = args['task-weights'].split(',').map((x) => Number(x));
    if (taskWeights.length !== source.tasks.length || taskWeights.some((x) => !(x >= 0))) {
      fail(`--task-weights needs ${source.tasks.length} non-negative numbers (tasks: ${source.tasks.map((t) => t.name).join(', ')})`);
    }
  }
  const hasParents = source.tasks.some((t) => t.parent);
  if (arch === 'esmm' && !hasParents) fail(`--arch esmm needs tasks with a "parent" (a funnel such as purchase -> click); the tasks of ${source.name} have none`);
  const dropout = nonNegative('dropout', args.dropout, DEFAULT_ARCH_CONFIG.dropout);
  if (dropout >= 1) fail(`--dropout must be below 1, got ${dropout}`);
  const cfg = { ...DEFAULT_ARCH_CONFIG, embeddingDim: int('emb-dim', args['emb-dim'], DEFAULT_ARCH_CONFIG.embeddingDim), aitmCalibration, dropout };
  if (args['refit-stats'] && !args['init-from']) fail('--refit-stats goes with --init-from');
  const parent = args['init-from'] ? readParent(args['init-from']) : null;
  if (parent) {
    if (arch === 'all' || seedCount > 1) fail('--init-from continues one model: use it with one --arch and one seed');
    checkWarmStart(source, arch as ArchName, cfg, parent);
  }
  const budgetBytes = memoryBudget(args['memory-budget']);
  process.stderr.write(`memory budget of the training split: ${formatBytes(budgetBytes.bytes)} (${budgetBytes.note})\n`);
  const features = parent ? warmFeatures(source, parent, args['refit-stats']) : undefined;
  const data = prepareReported(source, { numericBins, features, memoryBudget: budgetBytes.bytes, matchFeatures: !args['no-match-features'] });
  const parentAuc = parent ? parentTestAuc(await createKernels(args.kernels as KernelKind), data, parent) : null;
  const budget = chooseBudget(data.splits.train.n, overrides);
  const given = Object.entries(overrides).filter(([, v]) => v !== undefined).map(([k]) => k);
  const budgetNote = given.length ? `defaults from ${data.splits.train.n} training rows; given: ${given.join(', ')}` : `defaults from ${data.splits.train.n} training rows`;
  process.stderr.write(`${describeBudget(data.splits.train.n, budget)}${given.length ? ` (given: ${given.join(', ')})` : ''}\n`);
  const few = fewStepsWarning(data.splits.train.n, budget);
  if (few) process.stderr.write(`warning: ${few}\n`);
  const { shards, threads } = parallelism(args.shards, args.threads, budget.batchSize);
  process.stderr.write(`${shards} shard${shards > 1 ? 's' : ''} per batch${args.shards === undefined ? ` (default: one per ${SHARD_ROWS} rows)` : ''}, ${threads} thread${threads > 1 ? 's' : ''}${args.threads === undefined ? ` (default: ${availableParallelism()} cores, at most one per shard)` : ''}\n`);
  if (args.kernels !== 'js' && wasmSimdSupported()) {
    process.stderr.write(preferredBuild() === 'relaxed-simd' ? 'kernels: wasm-simd, fused multiply-adds (relaxed SIMD)\n' : 'kernels: wasm-simd without fused multiply-adds (this runtime does not validate relaxed SIMD)\n');
  }
  const base: Omit<RunOptions, 'arch' | 'out' | 'seed'> = {
    cfg,
    ...budget,
    lr: positive('lr', args.lr, 0.002),
    embeddingDecay: nonNegative('emb-decay', args['emb-decay'], 0),
    shards,
    threads,
    kernels: args.kernels as KernelKind,
    weighting: args.weighting as Weighting,
    gradnormAlpha,
    taskWeights,
    dataInfo: source.describe(),
    baseline: baselineOf(source, data),
    budgetNote,
    numericBins,
    ...(parent && parentAuc ? { initialWeights: parent.weights, parent: { version: parent.manifest.version, dir: parent.dir, testAuc: parentAuc } } : {}),
  };
  let archs: ArchName[] = arch === 'all' ? (Object.keys(ARCHITECTURES) as ArchName[]) : [arch as ArchName];
  if (arch === 'all' && !hasParents) {
    archs = archs.filter((a) => a !== 'esmm');
    process.stderr.write(`esmm left out: the tasks of ${source.name} have no "parent" (ESMM models a funnel)\n`);
  }
  const seeds = Array.from({ length: seedCount }, (_, i) => seed + i);
  const outRoot = args.out ?? `artifacts/${arch}`;
  const results: ArchResult[] = [];
  for (const a of archs) {
    const runs = [];
    for (const s of seeds) {
      const dir = [outRoot, arch === 'all' ? a : '', seedCount > 1 ? `seed-${s}` : ''].filter(Boolean).join('/');
      const r = await trainToDir(data, { ...base, arch: a, seed: s, out: dir, onProgress: progressBar(seedCount > 1 ? `${a} seed ${s}` : a) });
      await afterTraining(r, data, { export: !args['no-export'] });
      process.stderr.write(`report: ${writeReport(dir)}\n`);
      if (parentAuc) process.stderr.write(warmStartLine(parent!.manifest.version, parentAuc, r));
      runs.push(r);
    }
    results.push({ arch: a, runs });
  }
  console.log(comparisonTable(outRoot, data.tasks, results, arch === 'all' || seedCount > 1, seeds));
  if (arch === 'all' || seedCount > 1) process.stderr.write(`report: ${writeReport(outRoot)}\n`);
});

/** The parent's and the new model's test AUC on the new test split, per task. */
function warmStartLine(parent: string, parentAuc: Record<string, number>, r: { metrics: Record<string, { test: { auc: number } }>; manifest: { version: string; training: Record<string, unknown> } }): string {
  const tasks = Object.keys(parentAuc).map((t) => `${t} ${parentAuc[t].toFixed(4)} -> ${r.metrics[t].test.auc.toFixed(4)}`);
  return `warm start from ${parent}: test AUC on the new test split, parent -> new (${r.manifest.version}, ${String(r.manifest.training.steps)} steps): ${tasks.join(', ')}\n`;
}

function optInt(name: string, v: string | undefined, min: number): number | undefined {
  return v === undefined ? undefined : int(name, v, 0, min);
}

/** The source's own baseline predictions on valid and test, checked against the split sizes. */
function baselineOf(source: DataSource, data: PreparedData): RunOptions['baseline'] {
  if (!source.baseline) return undefined;
  const T = data.tasks.length;
  const valid = source.baseline('valid');
  const test = source.baseline('test');
  if (valid.length !== data.splits.valid.n * T || test.length !== data.splits.test.n * T) {
    throw new Error(`data ${source.name}: baseline predictions do not match the valid / test rows`);
  }
  return { valid, test };
}
