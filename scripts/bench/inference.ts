// Inference time of one session.run on n rows (1 / 100 / 1,000), fp32 and int8, in three
// runtimes, on the same rows (a /v1/score request encoded by the worker's encoder):
//   native  onnxruntime-node, 1 intra-op thread (the ceiling)
//   native_per_row  the same on the per-row export of the same weights (model.ts perRow):
//           what serving the model natively, one row at a time through the graph, costs
//   web     onnxruntime-web (wasm, 1 thread) under Node
//   workerd onnxruntime-web inside the worker's isolate (functions/bench.ts)
// All with the session options the project prescribes (model/onnx/run.ts sessionOptionsOf,
// the same SESSION_CONFIG the worker passes).
//
// A measurement is a batch of K back-to-back runs of one session on the same feeds; its
// figure is the batch's elapsed time / K. After a warm-up, K is calibrated per cell so a
// batch lasts about `targetMs` (workerd: at least 50 ms, see below). Cells run round-robin (rep -> n -> quant
// -> runtime), so load from other processes spreads over all of them; the median and spread
// are over the reps, ratios to native are of medians from this same run.
//
// workerd: the isolate's clock is coarse (1 ms locally; on the platform it only advances at
// I/O), so a single run cannot be timed inside it. POST /__bench/infer?k=K runs the session
// K times in a loop inside the isolate and returns performance.now() elapsed across the
// loop; with >= 50 ms per batch the 1 ms granularity is <= 2%. As a cross-check that does not
// trust the isolate's clock, each batch is paired with a k=0 call of the same body (same
// transfer, JSON parse and encoding, no runs) and (wall(K) - wall(0)) / K is recorded too
// (inference.workerd_wall.*). If the isolate clock did not move at all (a platform-like
// clock), the wall difference is the figure.

import { feedsOf, loadOrt, sessionOptionsOf, type OrtRuntime } from '../../model/onnx/run.ts';
import type { BenchModel } from './model.ts';
import { encodeRequest, type ScoreRequest } from './requests.ts';
import { summarize, type Summary } from './stats.ts';
import { fetchText, jsonPost, type BenchWorkers, type Quant } from './worker.ts';

export type Runtime = 'native' | 'native_per_row' | 'web' | 'workerd';

export interface InferenceCell {
  runtime: Runtime;
  quant: Quant;
  n: number;
  k: number;
  /** Per-run ms, one value per batch. */
  perRunMs: Summary;
  /** workerd only: (wall(K) - wall(k=0)) / K per batch. */
  wallDiffMs?: Summary;
  /** workerd only: which figure perRunMs is ('isolate' clock or 'wall' difference). */
  clock?: 'isolate' | 'wall';
}

export interface InferenceOptions {
  sizes: number[];
  quants: Quant[];
  runtimes: Runtime[];
  reps: number;
  targetMs: number;
  /** Warm-up time per cell before calibration. */
  warmupMs: number;
  requests: Map<number, ScoreRequest>;
  workers: BenchWorkers | null;
}

type Ort = Awaited<ReturnType<typeof loadOrt>>;
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

interface Driver {
  /**
   * One batch of k runs: per-run ms; workerd also: the isolate clock's elapsed ms over the
   * runs (`isolateMs`, 0 when it did not move, in which case perRun is the noisy wall
   * difference) and that wall difference per run.
   */
  batch(k: number): Promise<{ perRun: number; wallDiff?: number; isolateMs?: number }>;
  /** Shortest batch (ms) its clock times well enough to size K from. */
  minMs: number;
  release(): Promise<void>;
}

async function nodeDriver(runtime: OrtRuntime, model: Uint8Array, bm: BenchModel, req: ScoreRequest): Promise<Driver> {
  const ort = await loadOrt(runtime);
  const session: Session = await ort.InferenceSession.create(model, sessionOptionsOf({ runtime, threads: 1 }) as never);
  const feeds = feedsOf(ort, bm.layout, encodeRequest(bm.manifest, bm.layout, req), 0, undefined, session.inputNames);
  return {
    async batch(k) {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) await session.run(feeds);
      return { perRun: (performance.now() - t0) / k };
    },
    minMs: 0.2,
    release: () => session.release(),
  };
}

function workerdDriver(w: BenchWorkers, quant: Quant, req: ScoreRequest): Driver {
  const body = JSON.stringify(req);
  const call = async (k: number) => {
    const t0 = performance.now();
    const { text } = await fetchText(w, quant, `/__bench/infer?k=${k}`, jsonPost(body), 200);
    const wall = performance.now() - t0;
    const r = JSON.parse(text) as { rows: number; k: number; elapsed_ms: number };
    return { wall, elapsed: r.elapsed_ms };
  };
  return {
    async batch(k) {
      const base = await call(0);
      const run = await call(k);
      const wallDiff = (run.wall - base.wall) / k;
      const isolateMoved = run.elapsed > 0;
      return { perRun: isolateMoved ? run.elapsed / k : wallDiff, wallDiff, isolateMs: run.elapsed };
    },
    minMs: 10, // 1 ms ticks
    release: async () => undefined,
  };
}

/**
 * K so that a batch lasts about targetMs, from a typical (median) run: a first untimed call
 * (session creation inside workerd, the first run), runs for about warmupMs (JIT tiers,
 * allocator growth), then the smallest power-of-two k whose batch lasts half the target (and
 * at least `minMs`) on the driver's clock, then 4 more batches of that k; K = targetMs / their
 * median per-run time. (On a loaded machine a run can stall for a scheduler slice, 10-20 ms,
 * and inside workerd the first runs of a request vary a lot; the median over batches of
 * several runs ignores both, where a single short probe could shrink K to a handful of runs.) Should the isolate's
 * clock never move (as on the platform), the caller's wall clock ends the search instead.
 */
async function calibrate(d: Driver, targetMs: number, warmupMs: number): Promise<number> {
  await d.batch(1);
  const t0 = performance.now();
  let k = 1;
  while (performance.now() - t0 < warmupMs) {
    await d.batch(k);
    k = Math.min(k * 2, 256);
  }
  // The batch's duration on the driver's own clock (workerd: the isolate's, 1 ms ticks,
  // 0 included once it is known to move: dropping zeros would bias the estimate up).
  const clock = (r: { perRun: number; isolateMs?: number }, k: number) => r.isolateMs ?? r.perRun * k;
  const enough = Math.max(d.minMs, targetMs / 2);
  k = 1;
  const per: number[] = [];
  // The caller's wall clock per run of the same batches: an upper bound of the run's time, so
  // K <= 4 x target / wall keeps a batch within a few targets even if the driver's clock
  // reads near zero for a while (a stalled isolate clock once gave K = 100,000 and a batch of minutes).
  const wallPer: number[] = [];
  const timed = async () => {
    const w0 = performance.now();
    const r = await d.batch(k);
    wallPer.push((performance.now() - w0) / k);
    return r;
  };
  for (let i = 0; i < 20; i++) {
    const w0 = performance.now();
    const r = await timed();
    if (clock(r, k) >= enough) {
      per.push(clock(r, k) / k);
      break;
    }
    if (performance.now() - w0 >= 4 * targetMs) return k; // a clock that never moves
    k *= 2;
  }
  if (!per.length) return k;
  wallPer.length = 0;
  for (let i = 0; i < 4; i++) per.push(clock(await timed(), k) / k);
  const byClock = Math.ceil(targetMs / Math.max(summarize(per).median, 1e-4));
  const byWall = Math.ceil((4 * targetMs) / Math.max(summarize(wallPer).median, 1e-4));
  return Math.max(2, Math.min(100_000, byClock, byWall));
}

export async function benchInference(bm: BenchModel, o: InferenceOptions, log: (s: string) => void): Promise<InferenceCell[]> {
  const drivers = new Map<string, { d: Driver; k: number; per: number[]; wall: number[]; moved: boolean[] }>();
  const key = (rt: Runtime, q: Quant, n: number) => `${rt}|${q}|${n}`;
  for (const n of o.sizes) {
    for (const q of o.quants) {
      for (const rt of o.runtimes) {
        const req = o.requests.get(n)!;
        const bytes = rt === 'native_per_row' ? bm.perRow[q] : q === 'int8' ? bm.int8 : bm.fp32;
        let d: Driver;
        if (rt === 'workerd') {
          if (!o.workers) throw new Error('workerd inference needs the bench workers');
          d = workerdDriver(o.workers, q, req);
        } else d = await nodeDriver(rt === 'web' ? 'web' : 'node', bytes, bm, req);
        const target = rt === 'workerd' ? Math.max(50, o.targetMs) : o.targetMs;
        const k = await calibrate(d, target, o.warmupMs);
        drivers.set(key(rt, q, n), { d, k, per: [], wall: [], moved: [] });
      }
    }
  }
  log(`inference: K per batch ${[...drivers].map(([k, v]) => `${k}=${v.k}`).join(' ')}`);
  for (let rep = 0; rep < o.reps; rep++) {
    for (const n of o.sizes) {
      for (const q of o.quants) {
        for (const rt of o.runtimes) {
          const c = drivers.get(key(rt, q, n))!;
          const r = await c.d.batch(c.k);
          c.per.push(r.perRun);
          if (r.wallDiff !== undefined) c.wall.push(r.wallDiff);
          if (r.isolateMs !== undefined) c.moved.push(r.isolateMs > 0);
        }
      }
    }
  }
  const cells: InferenceCell[] = [];
  for (const [k, c] of drivers) {
    const [runtime, quant, n] = k.split('|');
    await c.d.release();
    const cell: InferenceCell = { runtime: runtime as Runtime, quant: quant as Quant, n: Number(n), k: c.k, perRunMs: summarize(c.per) };
    if (runtime === 'workerd') {
      cell.wallDiffMs = summarize(c.wall);
      cell.clock = c.moved.every(Boolean) ? 'isolate' : 'wall';
      // Mixed batches (some with a frozen clock): report the wall difference for all of them.
      if (cell.clock === 'wall') cell.perRunMs = cell.wallDiffMs;
    }
    cells.push(cell);
  }
  return cells;
}
