// Lets a worker thread rebuild the same graph over the same shared memory: the main thread
// records every allocation while it builds the graph and its workspaces; the worker replays
// the identical construction with an allocator that hands back views of those very bytes.
// Every other kernel call goes to the thread's own kernel instance.

import type { Kernels } from './kernels/types.ts';
import type { WasmKernels } from './kernels/wasm.ts';

export interface Allocation {
  type: 'f32' | 'i32';
  address: number;
  length: number;
}

function delegate(inner: Kernels, alloc: (len: number) => Float32Array, allocInt: (len: number) => Int32Array): Kernels {
  return {
    name: inner.name,
    alloc,
    allocInt,
    gemm: inner.gemm.bind(inner),
    addBias: inner.addBias.bind(inner),
    colSum: inner.colSum.bind(inner),
    relu: inner.relu.bind(inner),
    reluBackward: inner.reluBackward.bind(inner),
    adam: inner.adam.bind(inner),
    adamRows: inner.adamRows.bind(inner),
    scatterAddRows: inner.scatterAddRows.bind(inner),
    mixAdd: inner.mixAdd.bind(inner),
    mixBackward: inner.mixBackward.bind(inner),
    dotInteraction: inner.dotInteraction.bind(inner),
    dotInteractionBackward: inner.dotInteractionBackward.bind(inner),
    gatherRows: inner.gatherRows.bind(inner),
    concatColumns: inner.concatColumns.bind(inner),
    concatColumnsBackward: inner.concatColumnsBackward.bind(inner),
    movingAverage: inner.movingAverage.bind(inner),
  };
}

export function recordingKernels(inner: WasmKernels): { kernels: Kernels; log: Allocation[] } {
  const log: Allocation[] = [];
  const kernels = delegate(
    inner,
    (len) => {
      const a = inner.alloc(len);
      log.push({ type: 'f32', address: inner.addressOf(a), length: len });
      return a;
    },
    (len) => {
      const a = inner.allocInt(len);
      log.push({ type: 'i32', address: inner.addressOf(a), length: len });
      return a;
    },
  );
  return { kernels, log };
}

export function replayKernels(inner: WasmKernels, log: readonly Allocation[]): { kernels: Kernels; remaining: () => number } {
  let next = 0;
  const take = (type: Allocation['type'], len: number): Allocation => {
    const a = log[next++];
    if (!a || a.type !== type || a.length !== len) {
      throw new Error(`replayed allocation ${next - 1} differs from the recorded one (${JSON.stringify(a)} vs ${type}[${len}]): the worker built another graph`);
    }
    return a;
  };
  const kernels = delegate(
    inner,
    (len) => inner.viewF32(take('f32', len).address, len),
    (len) => inner.viewI32(take('i32', len).address, len),
  );
  return { kernels, remaining: () => log.length - next };
}
