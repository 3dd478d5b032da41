// npm run train -- --data synthetic --arch mmoe --out DIR
// Trains one architecture (or all of them, with the logistic-regression baseline, on the
// same split) and writes manifest.json, metrics.json and weights (and the ONNX files).

import { parseArgs } from 'node:util';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { ARCHITECTURES, isArchName, type ArchName } from '../model/arch/index.ts';
import { checkBadShare, describeBadRows, isAudited } from '../model/data/bad-rows.ts';
import { openDataSource } from '../model/data/index.ts';
import type { KernelKind } from '../model/engine/kernels/index.ts';
import type { DataSource } from '../model/data/source.ts';
import { DEFAULT_NUMERIC_BINS, prepare, type PreparedData } from '../model/train/prepare.ts';
import { trainToDir, type RunOptions } from '../model/train/run.ts';
import { afterTraining, comparisonTable, type ArchResult } from '../model/train/compare.ts';
import { chooseBudget, describeBudget, fewStepsWarning, type BudgetOverrides } from '../model/train/budget.ts';
import { fail, int, main, nonNegative, positive, progressBar } from './lib/cli.ts';
import { helpText, parseOptions, TRAIN_FLAGS } from './lib/train-flags.ts';

const HELP = helpText('usage: npm run train -- --data synthetic --arch mmoe --out DIR [options]', TRAIN_FLAGS);

await main(async () => {
  let args;
  try {
    args = parseArgs({ options: parseOptions(TRAIN_FLAGS), allowPositionals: false }).values as Record<string, string | undefined> & { 'no-export': boolean; help: boolean };
  } catch (e) {
    fail(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  const arch = args.arch!;
  if (arch !== 'all' && !isArchName(arch)) fail(`unknown architecture "${arch}" (one of ${Object.keys(ARCHITECTURES).join(', ')}, all)`);
  if (!['auto', 'wasm-simd', 'js'].includes(args.kernels!)) fail(`--kernels must be auto, wasm-simd or js`);
  if (!['fixed', 'uncertainty'].includes(args.weighting!)) fail(`--weighting must be fixed or uncertainty`);
  const seed = int('seed', args.seed, 42, 0);
  const seedCount = int('seeds', args.seeds, 1);
  const numericBins = int('numeric-bins', args['numeric-bins'], DEFAULT_NUMERIC_BINS, 0);
  const maxBadShare = args['max-bad-share'] === undefined ? 0.01 : Number(args['max-bad-share']);
  if (!(maxBadShare >= 0 && maxBadShare <= 1)) fail(`--max-bad-share must be a number in [0, 1], got "${args['max-bad-share']}"`);
  const overrides: BudgetOverrides = {
    batchSize: optInt('batch-size', args['batch-size'], 1),
    epochs: optInt('epochs', args.epochs, 1),
    evalEvery: optInt('eval-every', args['eval-every'], 1),
    patience: optInt('patience', args.patience, 1),
    warmupSteps: optInt('warmup', args.warmup, 0),
  };
  const source = openDataSource(args.data!, { rows: args.rows === undefined ? undefined : int('rows', args.rows, 0, 100), seed, schema: args.schema });
  // File-backed sources read every row when opened: report bad rows, and stop before training
  // on a file that is mostly unreadable.
  if (isAudited(source)) {
    const bad = Object.values(source.badRows).reduce((a, b) => a + b, 0);
    if (bad) process.stderr.write(`bad rows: ${bad} of ${source.rowsRead} (${((bad / source.rowsRead) * 100).toFixed(2)}%): ${describeBadRows(source.badRows, source.badRowLines)}\n`);
    checkBadShare(source, maxBadShare);
  }
  let taskWeights: number[] | undefined;
  if (args['task-weights'] !== undefined) {
    taskWeights = args['task-weights'].split(',').map((x) => Number(x));
    if (taskWeights.length !== source.tasks.length || taskWeights.some((x) => !(x >= 0))) {
      fail(`--task-weights needs ${source.tasks.length} non-negative numbers (tasks: ${source.tasks.map((t) => t.name).join(', ')})`);
    }
  }
  const hasParents = source.tasks.some((t) => t.parent);
  if (arch === 'esmm' && !hasParents) fail(`--arch esmm needs tasks with a "parent" (a funnel such as purchase -> click); the tasks of ${source.name} have none`);
  const t0 = performance.now();
  const data = prepare(source, { numericBins });
  const bad = Object.entries(source.badRows ?? {});
  if (bad.length && !isAudited(source)) process.stderr.write(`skipped bad rows: ${bad.map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  const binned = data.layout.numericBins.filter((b) => b !== null).length;
  process.stderr.write(
    `data ${source.name}: train ${data.splits.train.n.toLocaleString('en-US')}, valid ${data.splits.valid.n.toLocaleString('en-US')}, test ${data.splits.test.n.toLocaleString('en-US')} rows (${((performance.now() - t0) / 1000).toFixed(1)} s)` +
      (data.layout.numeric.length ? `; ${binned} of ${data.layout.numeric.length} numeric features binned (up to ${numericBins} quantile bins)` : '') +
      '\n',
  );
  const budget = chooseBudget(data.splits.train.n, overrides);
  const given = Object.entries(overrides).filter(([, v]) => v !== undefined).map(([k]) => k);
  const budgetNote = given.length ? `defaults from ${data.splits.train.n} training rows; given: ${given.join(', ')}` : `defaults from ${data.splits.train.n} training rows`;
  process.stderr.write(`${describeBudget(data.splits.train.n, budget)}${given.length ? ` (given: ${given.join(', ')})` : ''}\n`);
  const few = fewStepsWarning(data.splits.train.n, budget);
  if (few) process.stderr.write(`warning: ${few}\n`);
  const base: Omit<RunOptions, 'arch' | 'out' | 'seed'> = {
    cfg: { ...DEFAULT_ARCH_CONFIG, embeddingDim: int('emb-dim', args['emb-dim'], DEFAULT_ARCH_CONFIG.embeddingDim) },
    ...budget,
    lr: positive('lr', args.lr, 0.002),
    embeddingDecay: nonNegative('emb-decay', args['emb-decay'], 0),
    threads: int('threads', args.threads, 2),
    kernels: args.kernels as KernelKind,
    weighting: args.weighting as 'fixed' | 'uncertainty',
    taskWeights,
    dataInfo: source.describe(),
    baseline: baselineOf(source, data),
    budgetNote,
    numericBins,
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
      runs.push(r);
    }
    results.push({ arch: a, runs });
  }
  console.log(comparisonTable(outRoot, data.tasks, results, arch === 'all' || seedCount > 1, seeds));
});

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
