// AITM (Xi et al., KDD 2021): a tower per task over the shared embeddings; a task with a
// parent in the funnel (click -> cart -> purchase) receives the parent's representation
// through a transfer layer and fuses it with its own by attention over [transferred, own]
// with learned query / key / value projections (the adaptive information transfer module).
// The behavioural expectation calibrator (a penalty on p(child) > p(parent), weight
// cfg.aitmCalibration) is a loss term, declared on the graph and applied by the workspace.
// A parent on another candidate kind, or not among the tasks, leaves the task a root.

import type { GraphNode } from '../engine/graph.ts';
import type { TaskSpec } from '../features/spec.ts';
import type { NetBuilder } from './builder.ts';
import { parentsFirst } from './funnel.ts';

export function buildAitm(b: NetBuilder): void {
  const x = b.features(b.table('emb'));
  const fused = new Map<string, GraphNode>();
  const parentOf = (t: TaskSpec) => b.tasks.find((p) => p.name === t.parent && p.appliesTo === t.appliesTo);
  for (const t of parentsFirst(b.tasks, (t) => parentOf(t)?.name, 'aitm')) {
    const own = b.mlp(x, b.cfg.expertDims, `${t.name}.tower`);
    const parent = parentOf(t);
    if (!parent) {
      fused.set(t.name, own);
      continue;
    }
    const transferred = b.dense(fused.get(parent.name)!, own.dim, 'relu', `${t.name}.transfer`);
    fused.set(t.name, b.attend([transferred, own], `${t.name}.ait`));
    b.graph.calibrate(t.name, parent.name, b.cfg.aitmCalibration);
  }
  for (const t of b.tasks) b.output(t.name, b.tower(fused.get(t.name)!, t.name));
}
