// Single-task baseline: one independent network per task (own embeddings, MLP, tower).
// They share nothing, so training them in one graph on the summed loss gives each exactly
// the gradients it would get alone; only early stopping is shared. This is the baseline
// multi-task learning has to beat.

import type { NetBuilder } from './builder.ts';

export function buildSingle(b: NetBuilder): void {
  for (const t of b.tasks) {
    const x = b.features(b.table(`${t.name}.emb`));
    b.output(t.name, b.tower(b.mlp(x, b.cfg.expertDims, `${t.name}.mlp`), t.name));
  }
}
