// The task-weighting cost measurement in one process: the synthetic shop prepared once, then
// rounds in which every (architecture, weighting) trains one short epoch in turn, so a change
// in the machine's load hits every option alike. Prints one JSON line: ms per step of each
// stretch between validation passes, per option.
// node --import tsx scripts/bench/weighting-child.ts --rows N --rounds N --archs a,b

import { parseArgs } from 'node:util';
import { DEFAULT_ARCH_CONFIG } from '../../model/arch/builder.ts';
import type { ArchName } from '../../model/arch/index.ts';
import { openDataSource } from '../../model/data/index.ts';
import { createKernels } from '../../model/engine/kernels/index.ts';
import { prepare } from '../../model/train/prepare.ts';
import { WEIGHTINGS } from '../../model/train/task-weights.ts';
import { train } from '../../model/train/trainer.ts';

const BATCH = 512;
const a = parseArgs({ options: { rows: { type: 'string' }, rounds: { type: 'string' }, archs: { type: 'string' } } }).values;
const data = prepare(openDataSource('synthetic', { rows: Number(a.rows) }));
const k = await createKernels('auto');
const archs = a.archs!.split(',') as ArchName[];
const ms: Record<string, number[]> = {};
// Round 0 warms the JIT and the kernels up and is not recorded.
for (let round = 0; round <= Number(a.rounds); round++) {
  for (const arch of archs) {
    for (const weighting of WEIGHTINGS) {
      const r = await train(k, { layout: data.layout, tasks: data.tasks, train: round ? data.splits.train : data.splits.valid, valid: data.splits.valid }, {
        arch,
        cfg: DEFAULT_ARCH_CONFIG,
        epochs: 1,
        batchSize: BATCH,
        evalEvery: Math.ceil((round ? data.splits.train.n : data.splits.valid.n) / BATCH / 2),
        lr: 0.002,
        seed: 1,
        shards: 2,
        weighting,
        patience: 1_000,
        threads: 2,
      });
      if (round) (ms[`${arch} ${weighting}`] ??= []).push(...r.history.map((h) => (h.seconds * 1000 * BATCH) / h.rows));
    }
  }
}
console.log(JSON.stringify({ ms, kernels: k.name }));
