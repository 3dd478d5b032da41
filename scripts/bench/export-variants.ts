// Benchmark of the export variants: fp32 vs int8 (dynamic / weight-only, per-column /
// per-tensor weight scales) in onnxruntime-web (wasm, 1 thread, under Node) and, for
// reference, onnxruntime-node (1 thread), at batch 100 and 1000, plus file size, session
// start-up time and the max abs probability difference from fp32.
//
//   node --import tsx scripts/bench/export-variants.ts [--reps 5] [--model DIR]
//
// Without --model: a realistic random model (MMoE, DEFAULT_ARCH_CONFIG, 15 categorical
// fields + a 5-long multi field + 6 numerics, ~300k table rows, 4 tasks). With --model: a
// trained model directory (manifest.json + weights.bin). Variants run round-robin so that
// load from other processes spreads over all of them; medians are reported.

import { DEFAULT_ARCH_CONFIG } from '../../model/arch/builder.ts';
import { buildGraph } from '../../model/arch/index.ts';
import type { Graph } from '../../model/engine/graph.ts';
import { createJsKernels } from '../../model/engine/kernels/js.ts';
import { initParams } from '../../model/engine/params.ts';
import { Rng } from '../../model/engine/rng.ts';
import { layoutOf, type FeatureLayout } from '../../model/features/layout.ts';
import type { FeatureSpec, TaskSpec } from '../../model/features/spec.ts';
import { loadModelDir } from '../../model/onnx/export-dir.ts';
import type { WeightGranularity } from '../../model/onnx/quantize.ts';
import { feedsOf, loadOrt, runOnnx, sessionOptionsOf, type OrtRuntime } from '../../model/onnx/run.ts';
import { exportOnnx } from '../../model/onnx/writer.ts';
import { type ExportOptions } from '../../model/onnx/export-options.ts';
import { main as cliMain } from '../lib/cli.ts';
import { randomBatch, sliceBatch } from './random-batch.ts';
import { summarize } from './stats.ts';

const cat = (name: string, buckets: number, entity: FeatureSpec['entity'] = 'user'): FeatureSpec => ({ name, entity, kind: 'categorical', buckets });
const num = (name: string): FeatureSpec => ({ name, entity: 'item', kind: 'numeric', transform: 'identity', mean: 0, std: 1 });

const BENCH_FEATURES: FeatureSpec[] = [
  cat('user_id', 120_000),
  cat('age_band', 10),
  cat('gender', 4),
  cat('city', 400),
  cat('device', 8, 'context'),
  cat('os', 16, 'context'),
  cat('hour', 24, 'context'),
  cat('weekday', 7, 'context'),
  cat('channel', 12, 'context'),
  cat('candidate_kind', 3, 'context'),
  cat('item_id', 150_000, 'item'),
  cat('brand', 20_000, 'item'),
  cat('category', 1_000, 'item'),
  cat('shop', 8_000, 'item'),
  cat('coupon_kind', 6, 'coupon'),
  { name: 'recent_categories', entity: 'user', kind: 'multi', buckets: 1_000, maxLen: 5, separator: '|' },
  num('price'),
  num('rating'),
  num('discount'),
  num('min_spend'),
  num('sensitivity'),
  num('popularity'),
];
const BENCH_TASKS: TaskSpec[] = [
  { name: 'click', appliesTo: 'item' },
  { name: 'cart', appliesTo: 'item', parent: 'click' },
  { name: 'purchase', appliesTo: 'item', parent: 'click' },
  { name: 'redeem', appliesTo: 'coupon' },
];

/** MMoE over BENCH_FEATURES with initialised weights; tables at a trained-like scale (std 0.2). */
function randomModel(seed = 1): { graph: Graph; layout: FeatureLayout } {
  const layout = layoutOf(BENCH_FEATURES);
  const graph = buildGraph('mmoe', createJsKernels(), layout, BENCH_TASKS, DEFAULT_ARCH_CONFIG);
  const p = graph.params();
  const rng = new Rng(seed);
  initParams(p, rng);
  for (const t of p.tables) for (let i = t.dim; i < t.data.length; i++) t.data[i] *= 4;
  for (const d of p.dense) if (d.init.kind === 'zeros') for (let i = 0; i < d.size; i++) d.data[i] = rng.normal() * 0.05;
  return { graph, layout };
}

interface Variant {
  label: string;
  opts: ExportOptions;
  /** Session config entries this variant runs with (both runtimes; default SESSION_CONFIG). */
  sessionConfig?: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { label: 'fp32', opts: { quantization: 'fp32' } },
  ...(['dynamic', 'weight-only'] as const).flatMap((scheme) =>
    (['per-column', 'per-tensor'] as WeightGranularity[]).map((weights) => ({ label: `int8-${scheme}/${weights}`, opts: { quantization: 'int8' as const, scheme, weights } })),
  ),
  // The same model without SESSION_CONFIG: DequantizeLinear runs on every inference.
  { label: 'int8-weight-only/per-column, no fold', opts: { quantization: 'int8', scheme: 'weight-only' }, sessionConfig: {} },
];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const reps = Number(arg('reps') ?? 5);
  const dir = arg('model');
  const { graph, layout } = dir ? loadModelDir(dir) : randomModel();
  const tasks = graph.outputs.map((o) => o.task);
  const accRows = 10_000;
  const batch = randomBatch(layout, accRows, 99);
  const runtimes: OrtRuntime[] = ['web', 'node'];
  const sizes = [100, 1000];

  const models = VARIANTS.map((v) => ({ ...v, bytes: exportOnnx(graph, layout, v.opts) }));
  const fp32Bytes = models[0].bytes.length;

  // Accuracy against fp32 in the same runtime (onnxruntime-web: what serves).
  const ref = await runOnnx(models[0].bytes, layout, batch, { runtime: 'web' });
  const acc = new Map<string, { max: number; mean: number }>();
  for (const m of models) {
    const out = await runOnnx(m.bytes, layout, batch, { runtime: 'web', sessionConfig: m.sessionConfig });
    let max = 0;
    let sum = 0;
    for (const t of tasks) {
      for (let i = 0; i < accRows; i++) {
        const d = Math.abs(out[t][i] - ref[t][i]);
        max = Math.max(max, d);
        sum += d;
      }
    }
    acc.set(m.label, { max, mean: sum / (accRows * tasks.length) });
  }

  // Sessions (start-up time) and timings.
  type Key = string;
  const times = new Map<Key, number[]>();
  const startup = new Map<Key, number>();
  const sessions = new Map<Key, Awaited<ReturnType<Awaited<ReturnType<typeof loadOrt>>['InferenceSession']['create']>>>();
  for (const rt of runtimes) {
    const ort = await loadOrt(rt);
    // The first session of a process also starts the runtime (wasm instantiation): not timed.
    await (await ort.InferenceSession.create(models[1].bytes, sessionOptionsOf({ runtime: rt }) as never)).release();
    for (const m of models) {
      const t0 = performance.now();
      const s = await ort.InferenceSession.create(m.bytes, sessionOptionsOf({ runtime: rt, sessionConfig: m.sessionConfig }) as never);
      startup.set(`${rt}|${m.label}`, performance.now() - t0);
      sessions.set(`${rt}|${m.label}`, s);
    }
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const rt of runtimes) {
      const ort = await loadOrt(rt);
      for (const n of sizes) {
        const feeds = feedsOf(ort, layout, sliceBatch(layout, batch, 0, n));
        const runs = n === 100 ? 60 : 15;
        for (const m of models) {
          const s = sessions.get(`${rt}|${m.label}`)!;
          for (let w = 0; w < 3; w++) await s.run(feeds);
          const t0 = performance.now();
          for (let r = 0; r < runs; r++) await s.run(feeds);
          const key = `${rt}|${n}|${m.label}`;
          (times.get(key) ?? times.set(key, []).get(key)!).push((performance.now() - t0) / runs);
        }
      }
    }
  }
  for (const s of sessions.values()) await s.release();

  console.log(`model: ${dir ?? 'random MMoE (bench)'}; table rows ${graph.params().tables.map((t) => `${t.rows}x${t.dim}`).join(', ')}; tasks ${tasks.join(', ')}; ${reps} rounds`);
  console.log('variant                                  bytes   ratio  web start ms  web b100 ms  web b1000 ms  node b100 ms  node b1000 ms  max|dp| (web)  mean|dp|');
  for (const m of models) {
    const t = (rt: string, n: number) => summarize(times.get(`${rt}|${n}|${m.label}`)!).median.toFixed(3).padStart(12);
    const a = acc.get(m.label)!;
    console.log(
      `${m.label.padEnd(38)} ${String(m.bytes.length).padStart(9)} ${(m.bytes.length / fp32Bytes).toFixed(3).padStart(6)} ${startup.get(`web|${m.label}`)!.toFixed(0).padStart(13)} ${t('web', 100)} ${t('web', 1000)}  ${t('node', 100)}  ${t('node', 1000)} ${a.max.toExponential(2).padStart(14)} ${a.mean.toExponential(2).padStart(9)}`,
    );
  }
}

await cliMain(main);
