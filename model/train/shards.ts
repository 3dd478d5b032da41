// How a batch is cut for data parallelism, and how many threads compute it. The shard count
// decides the result (each shard's gradient is summed in shard order); the thread count only
// decides how fast. So the default shard count follows from the batch, never from the
// machine, and the default thread count is the machine's cores, at most one per shard.
// Node-only (node:os): the worker never imports this.

import { availableParallelism } from 'node:os';

/**
 * Rows a shard keeps at least by default. Every shard has a fixed cost per step (its own
 * workspace to clear, its gradients to merge in the update), so thin shards are slower: on
 * the reference task (batch 512) 4 shards of 128 rows trained 10-25% slower than 2 of 256
 * at 1 and at 2 threads, 8 of 64 rows 20-30% slower (docs/performance.md, "Every core").
 */
export const SHARD_ROWS = 256;
/** The most shards a default cuts (a 64-core machine's worth). */
export const MAX_DEFAULT_SHARDS = 64;

/** Default shard count of a batch: one per SHARD_ROWS rows, at least 1, at most 64. */
export function defaultShards(batchSize: number): number {
  return Math.min(MAX_DEFAULT_SHARDS, Math.max(1, Math.floor(batchSize / SHARD_ROWS)));
}

/** Default thread count: the machine's cores, but no more threads than shards (a spare one would idle). */
export function defaultThreads(shards: number): number {
  return Math.max(1, Math.min(availableParallelism(), shards));
}

/** A shard count for a batch, or the reason it cannot be one. */
export function shardError(shards: number, batchSize: number): string | null {
  if (!Number.isInteger(shards) || shards < 1) return `--shards must be an integer >= 1, got ${shards}`;
  if (shards > batchSize) return `--shards ${shards} is more than the batch size ${batchSize} (a shard needs at least one row)`;
  return null;
}
