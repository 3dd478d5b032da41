// PLE (Tang et al., RecSys 2020): stacked CGC levels. Each level has shared experts and
// task-specific experts; a task's gate mixes its own and the shared experts, and (below the
// last level) a shared gate mixes all experts to feed the next level's shared experts.

import type { GraphNode } from '../engine/graph.ts';
import type { NetBuilder } from './builder.ts';

export function buildPle(b: NetBuilder): void {
  const { tasks, cfg } = b;
  const x = b.features(b.table('emb'));
  let taskIn: GraphNode[] = tasks.map(() => x);
  let sharedIn = x;
  for (let level = 0; level < cfg.levels; level++) {
    const dims = [cfg.expertDims[Math.min(level, cfg.expertDims.length - 1)]];
    const shared = Array.from({ length: cfg.experts }, (_, e) => b.mlp(sharedIn, dims, `l${level}.shared${e}`));
    const own = tasks.map((t, ti) => Array.from({ length: cfg.taskExperts }, (_, e) => b.mlp(taskIn[ti], dims, `l${level}.${t.name}${e}`)));
    const nextTask = tasks.map((t, ti) => {
      const pool = [...own[ti], ...shared];
      return b.mix(b.gate(taskIn[ti], pool.length, `l${level}.${t.name}.gate`), pool);
    });
    if (level < cfg.levels - 1) {
      const all = [...own.flat(), ...shared];
      sharedIn = b.mix(b.gate(sharedIn, all.length, `l${level}.shared.gate`), all);
    }
    taskIn = nextTask;
  }
  tasks.forEach((t, ti) => b.output(t.name, b.tower(taskIn[ti], t.name)));
}
