// One training measurement in its own process (so its peak memory is its own):
// node --import tsx scripts/bench/train-child.ts --data reference|synthetic --threads N --rows N --epochs N
//   [--shards N] [--memory-budget BYTES --max-steps N] [--average-steps N]
// Prints one JSON line: samples/s of each stretch between validation passes, peak RSS (with a
// memory budget: of encoding, streaming the training split and validating, as rows grow).

import { parseArgs } from 'node:util';
import { resourceUsage } from 'node:process';
import { DEFAULT_ARCH_CONFIG } from '../../model/arch/builder.ts';
import { openDataSource } from '../../model/data/index.ts';
import { createKernels } from '../../model/engine/kernels/index.ts';
import { chooseBudget } from '../../model/train/budget.ts';
import { DEFAULT_NUMERIC_BINS, prepare } from '../../model/train/prepare.ts';
import { isStreamed } from '../../model/train/row-store.ts';
import { defaultShards } from '../../model/train/shards.ts';
import { train } from '../../model/train/trainer.ts';

const a = parseArgs({ options: { data: { type: 'string' }, threads: { type: 'string' }, rows: { type: 'string' }, epochs: { type: 'string' }, shards: { type: 'string' }, 'memory-budget': { type: 'string' }, 'max-steps': { type: 'string' }, 'average-steps': { type: 'string' }, kernels: { type: 'string', default: 'auto' } } }).values;
// The reference task is the note's network as specified: its 4 dense inputs stay plain numbers
// (no quantile-bin fields), so the figure compares with the note's PyTorch one. The synthetic
// shop is the default model as `npm run train` builds it (bins on).
const memoryBudget = a['memory-budget'] === undefined ? undefined : Number(a['memory-budget']);
const data = prepare(openDataSource(a.data!, { rows: Number(a.rows) }), { numericBins: a.data === 'reference' ? 0 : DEFAULT_NUMERIC_BINS, memoryBudget });
const maxSteps = a['max-steps'] === undefined ? undefined : Number(a['max-steps']);
const k = await createKernels(a.kernels as 'auto');
// The synthetic shop trains with the weight average as npm run train does (the budget's
// default window); the reference task is the note's bare loop.
const averageSteps = a['average-steps'] !== undefined ? Number(a['average-steps']) : a.data === 'reference' ? 0 : chooseBudget(data.splits.train.n, { batchSize: 512 }).averageSteps;
const r = await train(k, { layout: data.layout, tasks: data.tasks, train: data.splits.train, valid: data.splits.valid }, {
  arch: 'mmoe',
  // The note's network: 8 x 16 embeddings + 4 dense = 132 inputs, no interaction features.
  cfg: { ...DEFAULT_ARCH_CONFIG, interactions: a.data !== 'reference' },
  epochs: Number(a.epochs),
  batchSize: 512,
  lr: 0.002,
  seed: 1,
  shards: a.shards === undefined ? defaultShards(512) : Number(a.shards),
  weighting: 'fixed',
  patience: 1_000,
  threads: Number(a.threads),
  averageSteps,
  ...(maxSteps ? { maxSteps, evalEvery: Math.max(1, Math.floor(maxSteps / 4)) } : {}),
});
// Throughput of each stretch between validation passes (validation time excluded).
const perEpoch = r.history.map((h) => h.rows / h.seconds);
console.log(JSON.stringify({ perEpoch, validAuc: r.history[r.history.length - 1].validAuc, kernels: 'build' in k ? `${k.name} (${k.build})` : k.name, peakRssBytes: resourceUsage().maxRSS * 1024, trainRows: data.splits.train.n, streamed: isStreamed(data.splits.train) }));
