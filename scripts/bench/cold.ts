// Cold start: a fresh workerd (new Miniflare instance, the int8 bundle as built) to the first
// scored response. Timed from `new Miniflare(...)` to the end of the body of the first
// POST /v1/score (100 candidates) that answers 200; split into `ready` (workerd process up,
// modules compiled: mf.ready) and `first request` (the isolate's first request: module
// evaluation, ORT wasm instantiation, model parse + session creation + warm-up run, then the
// scoring itself), and the isolate's own clock for the load (GET /__bench/load: wasm
// instantiation, session creation, warm-up run). Disposal is not timed. Runs one after another; median over the runs.
// Also the workerd process's CPU time (all its threads) up to ready and during the first
// request: the isolate's clock stands still while it starts, so the CPU that the global scope
// takes (onnxruntime's start, functions/ort.ts startRuntime) shows only there.

import { Miniflare } from 'miniflare';
import type { BuiltWorker } from '../build-worker.ts';
import type { BenchModel } from './model.ts';
import { summarize, type Summary } from './stats.ts';
import { benchWorkerOptions, jsonPost } from './worker.ts';
import { childCpuMs } from './process-cpu.ts';
import { useWorkerdV8Flags } from '../lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

export interface ColdBench {
  totalMs: Summary;
  readyMs: Summary;
  firstRequestMs: Summary;
  /** Server-Timing `load` of the first request (waiting for the model session), coarse. */
  loadMs: Summary;
  /** The isolate's own load timings (GET /__bench/load, functions/model.ts LoadTimings). */
  wasmMs: Summary;
  /** InferenceSession.create, wasm instantiation included: the session of a fresh isolate. */
  sessionCreateMs: Summary;
  warmupMs: Summary;
  /** workerd's process CPU (ms, every thread) from spawn to ready, and during the first request; null without /proc. */
  readyCpuMs: Summary | null;
  firstRequestCpuMs: Summary | null;
  /** Cold starts whose isolate had onnxruntime started before the first request (LoadTimings.runtimeStarted). */
  runtimeStarted: number;
}

export async function benchCold(built: BuiltWorker, model: BenchModel, body: string, runs: number): Promise<ColdBench> {
  const opts = await benchWorkerOptions(built, model, 'int8');
  const total: number[] = [];
  const ready: number[] = [];
  const first: number[] = [];
  const load: number[] = [];
  const wasm: number[] = [];
  const create: number[] = [];
  const warm: number[] = [];
  const readyCpu: number[] = [];
  const firstCpu: number[] = [];
  let runtimeStarted = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const mf = new Miniflare({ workers: [opts] });
    try {
      await mf.ready;
      const t1 = performance.now();
      const c1 = childCpuMs('workerd');
      const res = await mf.dispatchFetch('http://int8.bench/v1/score', jsonPost(body) as never);
      const text = await res.text();
      const t2 = performance.now();
      const c2 = childCpuMs('workerd');
      if (c1 !== null && c2 !== null) {
        readyCpu.push(c1);
        firstCpu.push(c2 - c1);
      }
      if (res.status !== 200) throw new Error(`cold start: status ${res.status}: ${text.slice(0, 300)}`);
      total.push(t2 - t0);
      ready.push(t1 - t0);
      first.push(t2 - t1);
      const m = /load;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
      load.push(m ? Number(m[1]) : 0);
      const lt = (await (await mf.dispatchFetch('http://int8.bench/__bench/load')).json()) as { timings: { wasmMs: number; sessionMs: number; warmupMs: number; runtimeStarted: boolean } | null };
      if (!lt.timings) throw new Error('cold start: the isolate reports no load timings after its first request');
      wasm.push(lt.timings.wasmMs);
      create.push(lt.timings.wasmMs + lt.timings.sessionMs);
      warm.push(lt.timings.warmupMs);
      if (lt.timings.runtimeStarted) runtimeStarted++;
    } finally {
      await mf.dispose();
    }
  }
  return {
    totalMs: summarize(total),
    readyMs: summarize(ready),
    firstRequestMs: summarize(first),
    loadMs: summarize(load),
    wasmMs: summarize(wasm),
    sessionCreateMs: summarize(create),
    warmupMs: summarize(warm),
    readyCpuMs: readyCpu.length ? summarize(readyCpu) : null,
    firstRequestCpuMs: firstCpu.length ? summarize(firstCpu) : null,
    runtimeStarted,
  };
}
