// Runs forward + backward of each shard of a step. The inline runner does it on this
// thread, one shard after the other; the threaded one (threads.ts) hands shards to worker
// threads. Both leave identical gradients in the same workspaces.

import type { Workspace } from '../engine/workspace.ts';

export interface ShardRunner {
  readonly shards: readonly Workspace[];
  /** Forward + backward of shard s over its first rows[s] rows. */
  run(rows: readonly number[]): Promise<void> | void;
  close(): Promise<void> | void;
}

export class InlineRunner implements ShardRunner {
  constructor(readonly shards: readonly Workspace[]) {}
  run(rows: readonly number[]): void {
    this.shards.forEach((w, s) => {
      w.forward(rows[s]);
      w.backward();
    });
  }
  close(): void {}
}
