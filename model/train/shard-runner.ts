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
  /** One training step: forward + backward of shard s over its first rows[s] rows, then the update. */
  step(rows: readonly number[], adam: Adam, params: Params): Promise<void> | void;
  close(): Promise<void> | void;
}

export class InlineRunner implements ShardRunner {
  beforeUpdate?: BeforeUpdate;
  constructor(readonly shards: readonly Workspace[]) {}
  step(rows: readonly number[], adam: Adam, params: Params): void {
    this.shards.forEach((w, s) => {
      w.forward(rows[s]);
      w.backward();
    });
    this.beforeUpdate?.(this.shards);
    adam.apply(this.shards, params);
  }
  close(): void {}
}
