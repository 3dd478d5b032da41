// MMoE (Ma et al., KDD 2018): shared experts, one softmax gate per task mixing them.

import type { NetBuilder } from './builder.ts';

export function buildMmoe(b: NetBuilder): void {
  const x = b.features(b.table('emb'));
  const experts = Array.from({ length: b.cfg.experts }, (_, e) => b.mlp(x, b.cfg.expertDims, `expert${e}`));
  for (const t of b.tasks) {
    const mixed = b.mix(b.gate(x, experts.length, `${t.name}.gate`), experts);
    b.output(t.name, b.tower(mixed, t.name));
  }
}
