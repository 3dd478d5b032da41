// Runs a training step: forward + backward of each shard, then the Adam update. The inline runner does it on this
// thread, one shard after the other; the threaded one (threads.ts) hands shards to worker
// threads. Both leave identical gradients in the same workspaces.

import type { Adam } from '../engine/optimizer.ts';
import type { Params } from '../engine/params.ts';
import type { Workspace } from '../engine/workspace.ts';

/** Runs on the main thread once every shard's backward is done, before the update reads the gradients. */
export type BeforeUpdate = (shards: readonly Workspace[]) => void;

export interface ShardRunner {
  readonly shards: readonly Workspace[];
  beforeUpdate?: BeforeUpdate;
  /**
   * One training step: forward + backward of shard s over its first rows[s] rows, then the
   * update. Both runners number the steps 1, 2, ... (the dropout masks' step number).
   */
  step(rows: readonly number[], adam: Adam, params: Params): Promise<void> | void;
  close(): Promise<void> | void;
}

export class InlineRunner implements ShardRunner {
  beforeUpdate?: BeforeUpdate;
  /** Steps so far: the number of the next one (1, 2, ...) draws its dropout masks. */
  private steps = 0;
  constructor(readonly shards: readonly Workspace[]) {}
  step(rows: readonly number[], adam: Adam, params: Params): void {
    const step = ++this.steps;
    this.shards.forEach((w, s) => {
      w.forward(rows[s], step);
      w.backward();
    });
    this.beforeUpdate?.(this.shards);
    adam.apply(this.shards, params);
  }
  close(): void {}
}
