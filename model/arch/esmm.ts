// ESMM (Ma et al., SIGIR 2018): shared embeddings; a task with a parent in the funnel is
// modelled as p(task) = p(parent) * p(task | parent), every factor trained on the entire
// impression space through the product, which removes the sample-selection bias of
// training the conditional rate on clicked rows only.

import type { GraphNode } from '../engine/graph.ts';
import type { NetBuilder } from './builder.ts';
import { parentsFirst } from './funnel.ts';

export function buildEsmm(b: NetBuilder): void {
  // Without a funnel ESMM is independent towers under another name: refuse rather than mislead.
  if (!b.tasks.some((t) => t.parent)) throw new Error(`esmm needs tasks with a "parent" (a funnel such as purchase -> click); none of ${b.tasks.map((t) => t.name).join(', ')} has one`);
  const x = b.features(b.table('emb'));
  const prob = new Map<string, GraphNode>();
  for (const t of parentsFirst(b.tasks, (t) => t.parent, 'esmm')) {
    const own = b.tower(b.mlp(x, b.cfg.expertDims, `${t.name}.mlp`), t.name);
    prob.set(t.name, t.parent ? b.multiply(prob.get(t.parent)!, own) : own);
  }
  for (const t of b.tasks) b.output(t.name, prob.get(t.name)!);
}
