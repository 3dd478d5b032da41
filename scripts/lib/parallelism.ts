// --shards and --threads of a training command, resolved: the shard count from the batch
// unless given (so the result does not depend on the machine), the threads from the cores.

import { defaultShards, defaultThreads, shardError } from '../../model/train/shards.ts';
import { fail, int } from './cli.ts';

export function parallelism(shardsArg: string | undefined, threadsArg: string | undefined, batchSize: number): { shards: number; threads: number } {
  const shards = int('shards', shardsArg, defaultShards(batchSize));
  const bad = shardError(shards, batchSize);
  if (bad) fail(bad);
  return { shards, threads: int('threads', threadsArg, defaultThreads(shards)) };
}
