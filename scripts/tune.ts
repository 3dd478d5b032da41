// npm run tune -- --data D [--arch A] [--trials N] [--seed S] --out DIR
// Successive-halving search on validation AUC (model/train/tune.ts); writes DIR/tune.json with
// every trial and DIR/best, a normal model directory trained with the best settings (the only
// run that scores the test split).

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { ARCHITECTURES, isArchName, type ArchName } from '../model/arch/index.ts';
import { createKernels, type KernelKind } from '../model/engine/kernels/index.ts';
import { chooseBudget } from '../model/train/budget.ts';
import { afterTraining, comparisonTable } from '../model/train/compare.ts';
import { DEFAULT_NUMERIC_BINS, type PreparedData } from '../model/train/prepare.ts';
import { availableParallelism } from 'node:os';
import { trainToDir } from '../model/train/train-to-dir.ts';
import { parallelism } from './lib/parallelism.ts';
import { formatBytes, memoryBudget } from './lib/memory-budget.ts';
import { budgetOf, tune, type Trial } from '../model/train/tune.ts';
import { fail, int, main } from './lib/cli.ts';
import { openData, prepareReported } from './lib/open-data.ts';
import { parseFlags, type Flag } from './lib/train-flags.ts';

const FLAGS: readonly Flag[] = [
  { name: 'data', value: 'NAME', parseDefault: 'synthetic', help: 'a data source as for npm run train (default synthetic)' },
  { name: 'schema', value: 'PATH', help: 'column roles of a csv:PATH / parquet:PATH source' },
  { name: 'rows', value: 'N', help: 'synthetic shop size; taobao: first N lines' },
  { name: 'max-bad-share', value: 'X', help: 'as for npm run train (default 0.01)' },
  { name: 'arch', value: 'NAME', parseDefault: 'mmoe', help: `${Object.keys(ARCHITECTURES).join(' | ')} (default mmoe)` },
  { name: 'trials', value: 'N', help: 'settings tried; trial 0 is the defaults (default 24)' },
  { name: 'seed', value: 'N', help: 'draws the settings and seeds every trial (default 42)' },
  { name: 'out', value: 'DIR', help: 'writes DIR/tune.json and the best model as DIR/best (default artifacts/tune)' },
  { name: 'memory-budget', value: 'SIZE', help: 'as for npm run train (default a quarter of the RAM)' },
  { name: 'shards', value: 'N', help: 'shards per batch, as for npm run train (default from each trial\'s batch size)' },
  { name: 'threads', value: 'N', help: "threads computing the shards (default the machine's cores, at most one per shard); results do not depend on it" },
  { name: 'kernels', value: 'K', parseDefault: 'auto', help: 'auto | wasm-simd | js (default auto)' },
  { name: 'no-match-features', help: 'as for npm run train: do not derive the match features' },
  { name: 'no-export', help: 'skip the ONNX export of DIR/best' },
  { name: 'help', help: 'this text' },
];

await main(async () => {
  const args = parseFlags(FLAGS, 'usage: npm run tune -- --data NAME [--arch A] [--trials N] [--seed S] --out DIR');
  if (!args) return;
  const arch = args.arch!;
  if (!isArchName(arch)) fail(`unknown architecture "${arch}" (one of ${Object.keys(ARCHITECTURES).join(', ')})`);
  if (!['auto', 'wasm-simd', 'js'].includes(args.kernels!)) fail(`--kernels must be auto, wasm-simd or js`);
  const seed = int('seed', args.seed, 42, 0);
  const trials = int('trials', args.trials, 24);
  const shards = args.shards === undefined ? undefined : int('shards', args.shards, 1);
  const threads = int('threads', args.threads, availableParallelism());
  const out = args.out ?? 'artifacts/tune';
  const source = openData({ data: args.data, schema: args.schema, rows: args.rows, 'max-bad-share': args['max-bad-share'] }, seed);
  if (arch === 'esmm' && !source.tasks.some((t) => t.parent)) fail(`--arch esmm needs tasks with a "parent"; the tasks of ${source.name} have none`);
  const budgetBytes = memoryBudget(args['memory-budget']);
  process.stderr.write(`memory budget of the training split: ${formatBytes(budgetBytes.bytes)} (${budgetBytes.note})\n`);
  const prepared = new Map<number, PreparedData>();
  const dataFor = (bins: number) => {
    let d = prepared.get(bins);
    if (!d) prepared.set(bins, (d = prepareReported(source, { numericBins: bins, memoryBudget: budgetBytes.bytes, matchFeatures: !args['no-match-features'] })));
    return d;
  };
  const rows = dataFor(DEFAULT_NUMERIC_BINS).splits.train.n;
  const b = chooseBudget(rows);
  const defaults = {
    lr: 0.002,
    batchSize: b.batchSize,
    embeddingDim: DEFAULT_ARCH_CONFIG.embeddingDim,
    expertDims: DEFAULT_ARCH_CONFIG.expertDims,
    towerDims: DEFAULT_ARCH_CONFIG.towerDims,
    embeddingDecay: 0,
    numericBins: DEFAULT_NUMERIC_BINS,
  };
  const describe = (t: Trial) => {
    const s = t.settings;
    return `lr ${s.lr.toPrecision(2)} batch ${s.batchSize} emb ${s.embeddingDim} experts ${s.expertDims.join('-')} tower ${s.towerDims.join('-')} emb-decay ${s.embeddingDecay} bins ${s.numericBins}`;
  };
  const result = await tune(() => createKernels(args.kernels as KernelKind), {
    arch,
    cfg: DEFAULT_ARCH_CONFIG,
    trials,
    seed,
    threads,
    shards,
    dataFor,
    defaults,
    onTrial: (t, r, rungs) => {
      const last = t.rungs[t.rungs.length - 1];
      process.stderr.write(
        `rung ${r + 1}/${rungs} trial ${String(t.id).padStart(2)}: ${describe(t)} -> valid AUC ${last.score.toFixed(4)} (${last.steps} of ${last.maxSteps} steps, ${last.seconds.toFixed(1)} s)\n`,
      );
    },
  });
  const best = result.best;
  process.stderr.write(`best: trial ${best.id} (${describe(best)}), valid AUC ${best.rungs[best.rungs.length - 1].score.toFixed(4)}; training it into ${join(out, 'best')}\n`);
  const data = dataFor(best.settings.numericBins);
  const budget = budgetOf(data.splits.train.n, best.settings);
  const s = best.settings;
  const r = await trainToDir(data, {
    arch: arch as ArchName,
    cfg: { ...DEFAULT_ARCH_CONFIG, embeddingDim: s.embeddingDim, expertDims: s.expertDims, towerDims: s.towerDims },
    ...budget,
    lr: s.lr,
    embeddingDecay: s.embeddingDecay,
    seed,
    ...parallelism(args.shards, args.threads, budget.batchSize),
    kernels: args.kernels as KernelKind,
    weighting: 'fixed',
    dataInfo: source.describe(),
    budgetNote: `npm run tune: trial ${best.id} of ${trials}`,
    numericBins: s.numericBins,
    out: join(out, 'best'),
  });
  await afterTraining(r, data, { export: !args['no-export'] });
  mkdirSync(out, { recursive: true });
  const tasks = data.tasks.map((t) => t.name);
  writeFileSync(
    join(out, 'tune.json'),
    JSON.stringify(
      {
        data: source.describe(),
        arch,
        seed,
        method: 'successive halving, eta 3, on mean validation AUC',
        trials: result.trials.map((t) => ({ id: t.id, settings: t.settings, rungs: t.rungs.map((g) => ({ max_steps: g.maxSteps, steps: g.steps, valid_auc: g.validAuc, score: g.score, seconds: g.seconds })) })),
        best: { id: best.id, settings: best.settings, dir: join(out, 'best'), test_auc: Object.fromEntries(tasks.map((n) => [n, r.metrics[n].test.auc])) },
      },
      null,
      2,
    ) + '\n',
  );
  console.log(comparisonTable(out, data.tasks, [{ arch: `${arch} (tuned)`, runs: [r] }], false, [seed]));
});
