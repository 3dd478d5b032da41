// Data on which a task cannot be learned or scored is an error, not a "-" in a table: a split
// where a task has no positive or no negative label leaves its AUC undefined, early stopping
// would silently ignore it and the test table would show nothing.

import type { TaskSpec } from '../features/spec.ts';
import type { EncodedSplit } from './dataset.ts';
import { isStreamed, type TrainSplit } from './row-store.ts';

export function checkLearnable(source: string, tasks: readonly TaskSpec[], splits: { train: TrainSplit; valid: EncodedSplit; test: EncodedSplit }): void {
  const T = tasks.length;
  for (const [name, split] of Object.entries(splits)) {
    const { pos, neg } = labelCounts(split, T);
    tasks.forEach((t, k) => {
      if (pos[k] && neg[k]) return;
      const missing = pos[k] ? 'negative' : 'positive';
      throw new Error(
        `data ${source}: task "${t.name}" has no ${missing} label in the ${name} split (${pos[k]} positive, ${neg[k]} negative of ${split.n} rows): it cannot be ${name === 'train' ? 'learned' : 'scored'}; use more data or another split`,
      );
    });
  }
}

/** Positive and negative labels per task (a streamed split counted them while it was written). */
function labelCounts(split: TrainSplit, T: number): { pos: number[]; neg: number[] } {
  if (isStreamed(split)) return { pos: split.positives, neg: split.negatives };
  const pos = new Array<number>(T).fill(0);
  const neg = new Array<number>(T).fill(0);
  for (let i = 0; i < split.labels.length; i++) {
    const y = split.labels[i];
    if (y === 1) pos[i % T]++;
    else if (y === 0) neg[i % T]++;
  }
  return { pos, neg };
}
