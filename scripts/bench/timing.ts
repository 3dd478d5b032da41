// Timed loops: the one helper behind every "ms per call" figure of the benchmarks and the
// profiler. A loop of k calls is calibrated to last about targetMs (the clock's resolution and
// the loop's overhead vanish in it), then timed `reps` times; with several functions the loops
// run round-robin, one of each per round, so load from other processes hits all of them alike
// and figures paired by round (pairedRatio, pairedDiff) cancel its drift.

import { summarize, type Summary } from './stats.ts';

/** A summary with the per-round values it was made of (for pairing by round). */
export type Timed = Summary & { xs: number[] };

/** Every result is stored here, so no call's work can be optimised away. */
let sink: unknown;

/** ms for k calls of f; a promise result is awaited, a plain one is not (no microtask per call). */
async function loopMs(f: () => unknown, k: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < k; i++) {
    const r = f();
    sink = r instanceof Promise ? await r : r;
  }
  return performance.now() - t0;
}

/** Calls per loop so that one loop lasts about targetMs (doubling until a loop takes >= 10 ms). */
async function callsFor(f: () => unknown, targetMs: number): Promise<number> {
  for (let k = 1; ; k *= 2) {
    const dt = await loopMs(f, k);
    if (dt >= 10 || k >= 1 << 20) return Math.max(1, Math.ceil((targetMs * k) / Math.max(dt, 1e-3)));
  }
}

/** Mean ms per call of each function over a loop of about targetMs, `reps` rounds, round-robin. */
export async function timeInterleaved(fs: Record<string, () => unknown>, reps: number, targetMs: number): Promise<Record<string, Timed>> {
  const ks: Record<string, number> = {};
  for (const [name, f] of Object.entries(fs)) ks[name] = await callsFor(f, targetMs);
  const xs: Record<string, number[]> = Object.fromEntries(Object.keys(fs).map((n) => [n, []]));
  for (let r = 0; r < reps; r++) for (const [name, f] of Object.entries(fs)) xs[name].push((await loopMs(f, ks[name])) / ks[name]);
  return Object.fromEntries(Object.entries(xs).map(([n, v]) => [n, { ...summarize(v), xs: v }]));
}

/** Mean ms per call of f over a loop of about targetMs; median etc. over `reps` loops. */
export async function timeLoop(f: () => unknown, reps: number, targetMs: number): Promise<Summary> {
  const { xs: _, ...summary } = (await timeInterleaved({ f }, reps, targetMs)).f;
  return summary;
}

/** Median of the per-round ratios a/b (paired by round: load drift cancels). */
export function pairedRatio(a: Timed, b: Timed): number {
  return summarize(a.xs.map((x, i) => x / b.xs[i])).median;
}

/** Median of the per-round differences a - b. */
export function pairedDiff(a: Timed, b: Timed): number {
  return summarize(a.xs.map((x, i) => x - b.xs[i])).median;
}

/** Calls run (awaited) for about `ms`: V8 tiers hot code (wasm: Liftoff -> TurboFan) up while it runs. */
export async function runFor(run: () => Promise<unknown>, ms: number): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) await run();
}
