// Shared-Bottom (Caruana 1997): one shared MLP under one tower per task.

import type { NetBuilder } from './builder.ts';

export function buildSharedBottom(b: NetBuilder): void {
  const shared = b.mlp(b.features(b.table('emb')), b.cfg.expertDims, 'bottom');
  for (const t of b.tasks) b.output(t.name, b.tower(shared, t.name));
}
