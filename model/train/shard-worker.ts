// A worker thread computing forward + backward for its shards of every step, and its part
// of the Adam update, over the
// parameters and buffers the main thread allocated in shared WebAssembly memory.

import { parentPort, workerData } from 'node:worker_threads';
import { buildGraph } from '../arch/index.ts';
import { createWasmKernels } from '../engine/kernels/wasm.ts';
import { replayKernels } from '../engine/replay-kernels.ts';
import { Adam } from '../engine/optimizer.ts';
import { trainingSeed, Workspace } from '../engine/workspace.ts';
import { layoutOf } from '../features/layout.ts';
import { CTRL, pollSlot, type ShardWorkerInit } from './threads.ts';

const init = workerData as ShardWorkerInit;
const inner = await createWasmKernels({ memory: init.memory, build: init.build });
const { kernels, remaining } = replayKernels(inner, init.log);
const layout = layoutOf(init.features);
const graph = buildGraph(init.arch, kernels, layout, init.tasks, init.cfg);
const shards = Array.from({ length: init.shards }, (_, s) => new Workspace(graph, kernels, layout, init.shardRows, init.taskGradients, trainingSeed(init.seed, s)));
if (remaining() !== 0) throw new Error(`shard worker: ${remaining()} recorded allocations were not replayed`);
const params = graph.params();
const adam = new Adam(kernels, init.adam);
const ctrl = new Int32Array(init.ctrl);
const lr = new Float64Array(init.lr);
parentPort!.postMessage('ready');

let seq = 0;
let seq2 = 0;
// Each wait polls first (threads.ts POLL_MS), then sleeps if the main thread is still busy.
const changed = (slot: number, old: number) => pollSlot(ctrl, slot, (v) => v !== old, init.pollMs) !== old || Atomics.wait(ctrl, slot, old);
for (;;) {
  changed(CTRL.seq, seq);
  seq = Atomics.load(ctrl, CTRL.seq);
  if (Atomics.load(ctrl, CTRL.stop)) break;
  for (const s of init.myShards) {
    shards[s].forward(ctrl[CTRL.rows + s], seq);
    shards[s].backward();
  }
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
  // Phase 2: once the main thread has every shard's gradient, apply this thread's part.
  changed(CTRL.seq2, seq2);
  seq2 = Atomics.load(ctrl, CTRL.seq2);
  if (Atomics.load(ctrl, CTRL.stop)) break;
  adam.applyPart(shards, params, lr[0], init.part, init.parts);
  Atomics.add(ctrl, CTRL.done2, 1);
  Atomics.notify(ctrl, CTRL.done2);
}
