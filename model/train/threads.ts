// Data parallelism over worker threads. A step's shards are split between the main thread
// (shard 0) and workers (the rest); all of them read the same parameters in shared
// WebAssembly memory and write gradients into their own workspaces, which the optimizer
// then sums in shard order. So N threads give the same bits as one.
// Hand-off is through Atomics on a small control array: no message per step.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ArchConfig } from '../arch/builder.ts';
import type { ArchName } from '../arch/index.ts';
import type { Kernels } from '../engine/kernels/types.ts';
import type { WasmKernels } from '../engine/kernels/wasm.ts';
import type { Allocation } from '../engine/replay-kernels.ts';
import type { TaskGradientKind } from '../engine/task-passes.ts';
import type { Adam, AdamOptions } from '../engine/optimizer.ts';
import type { Params } from '../engine/params.ts';
import type { Workspace } from '../engine/workspace.ts';
import type { FeatureSpec, TaskSpec } from '../features/spec.ts';
import type { BeforeUpdate, ShardRunner } from './shard-runner.ts';

/** Slots of the control array. */
export const CTRL = { seq: 0, done: 1, stop: 2, seq2: 3, done2: 4, rows: 5 } as const;

/**
 * How long a thread polls the control array before it sleeps. A futex wake-up (Atomics.wait
 * in the workers) or an event-loop hop (Atomics.waitAsync on the main thread) took 35-150 µs
 * here, four of them per step of ~3 ms; the hand-offs within a step come much sooner than
 * this, so they are seen by polling, and only long pauses (validation, the end) sleep. Only
 * with no more threads than cores (the default): then a poll takes no one's core.
 */
export const POLL_MS = 1;

/** Polls ctrl[slot] for up to `ms` until `ready` accepts it; returns the last value read. */
export function pollSlot(ctrl: Int32Array, slot: number, ready: (v: number) => boolean, ms: number): number {
  let v = Atomics.load(ctrl, slot);
  if (ready(v) || ms <= 0) return v;
  const until = performance.now() + ms;
  while (!ready((v = Atomics.load(ctrl, slot))) && performance.now() < until);
  return v;
}

export interface ShardWorkerInit {
  memory: WasmKernels["memory"];
  /** The main thread's module build, so every thread rounds the same way. */
  build: WasmKernels["build"];
  log: Allocation[];
  arch: ArchName;
  cfg: ArchConfig;
  features: FeatureSpec[];
  tasks: TaskSpec[];
  /** The per-task gradients the workspaces keep (same allocations as the main thread's). */
  taskGradients?: TaskGradientKind;
  shards: number;
  shardRows: number;
  myShards: number[];
  /** The run's seed (ThreadSpec.seed). */
  seed: number;
  /** This worker's share of the Adam update: part `part` of `parts`. */
  part: number;
  parts: number;
  adam: Required<AdamOptions>;
  ctrl: SharedArrayBuffer;
  /** Float64 slot: the bias-corrected learning rate of the current step. */
  lr: SharedArrayBuffer;
  /** How long a wait polls before it sleeps (POLL_MS, or 0 with more threads than cores). */
  pollMs: number;
}

export interface ThreadSpec {
  arch: ArchName;
  cfg: ArchConfig;
  features: FeatureSpec[];
  tasks: TaskSpec[];
  threads: number;
  adam: Required<AdamOptions>;
  taskGradients?: TaskGradientKind;
  /** The run's seed: each worker's shard workspaces draw their dropout masks from it. */
  seed: number;
}

export function isWasmKernels(k: Kernels): k is WasmKernels {
  return k.name === 'wasm-simd' && 'memory' in k;
}

export class ThreadRunner implements ShardRunner {
  beforeUpdate?: BeforeUpdate;
  private readonly ctrl: Int32Array;
  private readonly lr: Float64Array;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  private constructor(
    readonly shards: readonly Workspace[],
    private readonly workers: Worker[],
    ctrl: SharedArrayBuffer,
    lr: SharedArrayBuffer,
    private readonly mainShards: number[],
    private readonly pollMs: number,
  ) {
    this.ctrl = new Int32Array(ctrl);
    this.lr = new Float64Array(lr);
    for (const w of workers) {
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => code !== 0 && this.fail(new Error(`shard worker exited with code ${code}`)));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  static async start(shards: Workspace[], k: WasmKernels, log: Allocation[], spec: ThreadSpec, shardRows: number): Promise<ThreadRunner> {
    const nWorkers = Math.min(spec.threads, shards.length) - 1;
    const ctrl = new SharedArrayBuffer(4 * (CTRL.rows + shards.length));
    const lr = new SharedArrayBuffer(8);
    const parts = nWorkers + 1;
    const pollMs = parts <= availableParallelism() ? POLL_MS : 0;
    const owned: number[][] = Array.from({ length: nWorkers + 1 }, () => []);
    shards.forEach((_, s) => owned[s % (nWorkers + 1)].push(s));
    const workers = owned.slice(1).map((myShards, i) => {
      const init: ShardWorkerInit = {
        memory: k.memory,
        build: k.build,
        log,
        arch: spec.arch,
        cfg: spec.cfg,
        features: spec.features,
        tasks: spec.tasks,
        taskGradients: spec.taskGradients,
        shards: shards.length,
        shardRows,
        myShards,
        seed: spec.seed,
        part: i + 1,
        parts,
        adam: spec.adam,
        ctrl,
        lr,
        pollMs,
      };
      return new Worker(new URL('./shard-worker.mjs', import.meta.url), { workerData: init });
    });
    // Wait for every worker to report ready before any Atomics hand-off: an error while it
    // builds its graph must surface as an error here, not as a hang.
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
            w.once('exit', (c) => reject(new Error(`shard worker exited with code ${c} while starting`)));
          }),
      ),
    );
    return new ThreadRunner(shards, workers, ctrl, lr, owned[0], pollMs);
  }

  async step(rows: readonly number[], adam: Adam, params: Params): Promise<void> {
    if (this.failure) throw this.failure;
    const c = this.ctrl;
    rows.forEach((r, s) => (c[CTRL.rows + s] = r));
    Atomics.store(c, CTRL.done, 0);
    Atomics.store(c, CTRL.done2, 0);
    // The step's number (1, 2, ...), which the workers read back from the same slot.
    const step = Atomics.add(c, CTRL.seq, 1) + 1;
    Atomics.notify(c, CTRL.seq);
    for (const s of this.mainShards) {
      this.shards[s].forward(rows[s], step);
      this.shards[s].backward();
    }
    await this.until(CTRL.done);
    this.beforeUpdate?.(this.shards);
    // Every gradient is in: all threads apply their part of the update at once.
    const lrT = adam.nextStep();
    this.lr[0] = lrT;
    Atomics.add(c, CTRL.seq2, 1);
    Atomics.notify(c, CTRL.seq2);
    adam.applyPart(this.shards, params, lrT, 0, this.workers.length + 1);
    await this.until(CTRL.done2);
  }

  /** Waits until every worker has counted in: polls for up to pollMs, then without blocking the event loop (so worker errors surface). */
  private async until(slot: number): Promise<void> {
    const c = this.ctrl;
    const all = this.workers.length;
    if (pollSlot(c, slot, (v) => v === all, this.pollMs) === all) return;
    for (;;) {
      const done = Atomics.load(c, slot);
      if (done === this.workers.length) return;
      if (this.failure) throw this.failure;
      const r = Atomics.waitAsync(c, slot, done);
      if (r.async) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void r.value.then(() => resolve());
        });
        this.wake = null;
      }
    }
  }

  async close(): Promise<void> {
    Atomics.store(this.ctrl, CTRL.stop, 1);
    for (const slot of [CTRL.seq, CTRL.seq2]) {
      Atomics.add(this.ctrl, slot, 1);
      Atomics.notify(this.ctrl, slot);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
