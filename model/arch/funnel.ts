// Funnel order for the architectures that chain tasks (ESMM, AITM): every task after the
// task it depends on, whatever order the tasks are declared in.

import type { TaskSpec } from '../features/spec.ts';

/** `parentOf` names the task a task waits for (undefined = none); a name never produced is an error. */
export function parentsFirst(tasks: readonly TaskSpec[], parentOf: (t: TaskSpec) => string | undefined, arch: string): TaskSpec[] {
  const done = new Set<string>();
  const order: TaskSpec[] = [];
  const pending = [...tasks];
  while (pending.length) {
    const i = pending.findIndex((t) => {
      const p = parentOf(t);
      return p === undefined || done.has(p);
    });
    if (i < 0) throw new Error(`${arch}: task parents form a cycle or name unknown tasks: ${pending.map((t) => t.name).join(', ')}`);
    const t = pending.splice(i, 1)[0];
    done.add(t.name);
    order.push(t);
  }
  return order;
}
