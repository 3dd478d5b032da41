// Data on which a task cannot be learned or scored is an error, not a "-" in a table: a split
// where a task has no positive or no negative label leaves its AUC undefined, early stopping
// would silently ignore it and the test table would show nothing.

import type { TaskSpec } from '../features/spec.ts';
import type { EncodedSplit } from './dataset.ts';

export function checkLearnable(source: string, tasks: readonly TaskSpec[], splits: Readonly<Record<'train' | 'valid' | 'test', EncodedSplit>>): void {
  const T = tasks.length;
  for (const [name, split] of Object.entries(splits)) {
    const pos = new Float64Array(T);
    const neg = new Float64Array(T);
    for (let i = 0; i < split.labels.length; i++) {
      const y = split.labels[i];
      if (y === 1) pos[i % T]++;
      else if (y === 0) neg[i % T]++;
    }
    tasks.forEach((t, k) => {
      if (pos[k] && neg[k]) return;
      const missing = pos[k] ? 'negative' : 'positive';
      throw new Error(
        `data ${source}: task "${t.name}" has no ${missing} label in the ${name} split (${pos[k]} positive, ${neg[k]} negative of ${split.n} rows): it cannot be ${name === 'train' ? 'learned' : 'scored'}; use more data or another split`,
      );
    });
  }
}
