// Logistic regression per task: one weight per hashed value (a 1-wide embedding), the
// mean of multi-valued weights, and the numerics, summed. The floor every model must clear.

import type { NetBuilder } from './builder.ts';

export function buildLogistic(b: NetBuilder): void {
  for (const t of b.tasks) {
    const x = b.features(b.table(`${t.name}.lr`, 1));
    b.output(t.name, b.sigmoid(b.dense(x, 1, 'linear', `${t.name}.lr_out`)));
  }
}
