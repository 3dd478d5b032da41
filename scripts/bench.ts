// npm run bench [-- --quick] [--json PATH] [--only train,weighting,inference,request,cold,bundle] [--readme README.md]
// Measures training, inference, the whole request, cold start and the bundle side by side in
// one run, and prints a table of medians (with spreads); ratios are computed within this run
// only. --quick: the same measurements with fewer samples and a smaller training run (CI; a
// couple of minutes at most). --json writes flat dotted keys (see scripts/bench/readme.ts for
// the README section made from them; --readme PATH runs it after the benchmark).
//
// How each figure is measured: scripts/bench/train.ts (training, next to PyTorch when
// /usr/bin/python3 has torch; peak RSS of streamed training), weighting.ts (cost of each
// task weighting per step), inference.ts (native /
// web / workerd inference), request.ts (whole request, JSON), cold.ts (cold start); the
// bundle is scripts/build-worker.ts's wrangler dry-run. No test asserts any of these times.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fail, main } from './lib/cli.ts';
import { buildWorker, type BuiltWorker } from './build-worker.ts';
import { benchCold } from './bench/cold.ts';
import { benchInference, type Runtime } from './bench/inference.ts';
import { benchModel, type BenchModel } from './bench/model.ts';
import { updateReadme } from './bench/readme.ts';
import { benchIsolateRequests, benchRequests } from './bench/request.ts';
import { scoreRequest, type ScoreRequest } from './bench/requests.ts';
import type { Summary } from './bench/stats.ts';
import { benchTraining, blasWarning, trainingLines } from './bench/train.ts';
import { benchWeighting } from './bench/weighting.ts';
import { startBenchWorkers, type BenchWorkers, type Quant } from './bench/worker.ts';

const PARTS = ['train', 'weighting', 'inference', 'request', 'cold', 'bundle'] as const;
const SIZES = [1, 100, 1000];
const QUANTS: Quant[] = ['int8', 'fp32'];
const RUNTIMES: Runtime[] = ['native', 'native_per_row', 'web', 'workerd'];

await main(async () => {
  const started = performance.now();
  const a = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' }, only: { type: 'string' }, readme: { type: 'string' } } }).values;
  const quick = a.quick!;
  const only = new Set((a.only ?? PARTS.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
  for (const p of only) if (!(PARTS as readonly string[]).includes(p)) fail(`--only: unknown part "${p}"; expected some of ${PARTS.join(',')}`);
  const cpus = os.cpus();
  const machine: Record<string, unknown> = {
    cpus: cpus.length,
    model: cpus[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    load: os.loadavg()[0],
  };
  const json: Record<string, unknown> = { machine, quick, date: new Date().toISOString() };
  const lines: string[] = [`machine: ${machine.cpus} x ${machine.model}, ${machine.memGiB} GiB, Node ${machine.node}, load ${(machine.load as number).toFixed(2)} at start${quick ? '  [--quick: few samples, indicative only]' : ''}`];
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const k = (x: number) => Math.round(x).toLocaleString('en-US');
  const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
  const spread = (s: Summary) => `${f(s.median)} [${f(s.min)}-${f(s.max)}]`;
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      seconds[name] = (performance.now() - t0) / 1000;
    }
  };

  if (only.has('train')) {
    log('training');
    const t = await timed('train', () => benchTraining(quick));
    json['train.reference.samples_per_sec'] = t.reference_2t.median;
    json['train.reference.samples_per_sec_1t'] = t.reference_1t.median;
    json['train.reference.peak_rss_bytes'] = t.reference_2t.runs[0].peakRssBytes;
    if ('version' in t.torch) {
      json['train.reference.torch_samples_per_sec_1t'] = t.torch.torch_1t.median;
      json['train.reference.torch_samples_per_sec_2t'] = t.torch.torch_2t.median;
      json['train.reference.vs_torch_1t'] = t.torch.ratio_1t;
      json['train.reference.vs_torch_best'] = t.torch.ratio_2t_vs_best;
      json['train.reference.torch_blas'] = t.torch.blas.library;
      const warning = blasWarning(t.torch.blas);
      if (warning) json['train.reference.torch_blas_warning'] = warning;
    }
    json['train.synthetic.samples_per_sec'] = t.synthetic_2t.samplesPerSec.median;
    for (const r of t.rss) json[`train.streamed.peak_rss_bytes_${r.rows}`] = r.peakRssBytes;
    json['train.detail'] = t;
    lines.push('', ...trainingLines(t));
  }

  if (only.has('weighting')) {
    log('task weightings');
    const w = await timed('weighting', () => benchWeighting(quick));
    json['train.weighting'] = w;
    lines.push('', 'task weighting, synthetic shop, 2 threads, options interleaved (ms per 512-row step, median [min-max]; x = median vs fixed)');
    for (const r of w) {
      const fixed = w.find((x) => x.arch === r.arch && x.weighting === 'fixed')!;
      lines.push(`  ${r.arch.padEnd(6)} ${r.weighting.padEnd(12)} ${spread(r.msPerStep).padStart(18)} ms  (${(r.msPerStep.median / fixed.msPerStep.median).toFixed(2)}x)`);
    }
  }

  const needModel = ['inference', 'request', 'cold', 'bundle'].some((p) => only.has(p));
  let model: BenchModel | null = null;
  let workers: BenchWorkers | null = null;
  const buildDir = needModel ? mkdtempSync(join(tmpdir(), 'edge-mtl-bench-build-')) : null;
  try {
    if (needModel) {
      model = await timed('model', () => benchModel(quick, log));
      json['model.source'] = model.source;
      json['model.version'] = model.manifest.version;
      json['model.int8_bytes'] = model.int8.byteLength;
      json['model.fp32_bytes'] = model.fp32.byteLength;
      lines.push('', `model: ${model.source}; ${model.manifest.architecture.name}, int8 ${(model.int8.byteLength / 2 ** 20).toFixed(2)} MiB, fp32 ${(model.fp32.byteLength / 2 ** 20).toFixed(2)} MiB`);
    }
    let built: BuiltWorker | null = null;
    if (model && buildDir && ['inference', 'request', 'cold', 'bundle'].some((p) => only.has(p))) {
      log('building the worker (wrangler deploy --dry-run)');
      built = await timed('build', () => buildWorker({ modelDir: model!.dir, outDir: join(buildDir, 'dist') }));
    }
    if (built && only.has('bundle')) {
      json['bundle.raw_bytes'] = built.total.raw;
      json['bundle.gzip_bytes'] = built.total.gzip;
      json['bundle.wrangler_total'] = built.wranglerTotal;
      json['bundle.modules'] = built.modules.map((m) => ({ file: m.path.slice(built!.outDir.length + 1), type: m.type, raw: m.raw, gzip: m.gzip }));
      lines.push('', 'bundle (wrangler deploy --dry-run, int8 model; the platform limits the gzip size)');
      for (const m of built.modules) lines.push(`  ${m.path.slice(built.outDir.length + 1).replace(/^[0-9a-f]{40}-/, '').padEnd(28)} ${m.type.padEnd(13)} ${(m.raw / 1024).toFixed(1).padStart(9)} KiB raw ${(m.gzip / 1024).toFixed(1).padStart(9)} KiB gzip`);
      lines.push(`  ${'total'.padEnd(42)} ${(built.total.raw / 2 ** 20).toFixed(2).padStart(9)} MiB raw ${(built.total.gzip / 2 ** 20).toFixed(2).padStart(9)} MiB gzip  (wrangler: ${built.wranglerTotal ?? '?'})`);
    }

    const requests = new Map<number, ScoreRequest>();
    if (model) for (const n of SIZES) requests.set(n, await scoreRequest(model.manifest, n, n));

    if (model && built && (only.has('inference') || only.has('request'))) {
      workers = await startBenchWorkers(built, model, only.has('inference') ? QUANTS : ['int8']);
    }

    if (model && only.has('inference')) {
      log('inference: native / web in Node / web in workerd');
      const cells = await timed('inference', () =>
        benchInference(model!, { sizes: SIZES, quants: QUANTS, runtimes: RUNTIMES, reps: quick ? 5 : 15, targetMs: quick ? 20 : 100, warmupMs: quick ? 100 : 500, requests, workers }, log),
      );
      const get = (rt: Runtime, q: Quant, n: number) => cells.find((c) => c.runtime === rt && c.quant === q && c.n === n);
      for (const c of cells) {
        const p = `inference.${c.runtime}.${c.quant}.n${c.n}`;
        json[`${p}.p50_ms`] = c.perRunMs.median;
        json[`${p}.min_ms`] = c.perRunMs.min;
        json[`${p}.max_ms`] = c.perRunMs.max;
        json[`${p}.runs_per_batch`] = c.k;
        json[`${p}.batches`] = c.perRunMs.n;
        const native = get('native', c.quant, c.n);
        if (c.runtime !== 'native' && native) json[`${p}.ratio_to_native`] = c.perRunMs.median / native.perRunMs.median;
        const perRow = get('native_per_row', c.quant, c.n);
        if ((c.runtime === 'web' || c.runtime === 'workerd') && perRow) json[`${p}.ratio_to_native_per_row`] = c.perRunMs.median / perRow.perRunMs.median;
        if (c.wallDiffMs) {
          json[`inference.workerd_wall.${c.quant}.n${c.n}.p50_ms`] = c.wallDiffMs.median;
          json[`inference.workerd_wall.${c.quant}.n${c.n}.min_ms`] = c.wallDiffMs.min;
          json[`inference.workerd_wall.${c.quant}.n${c.n}.max_ms`] = c.wallDiffMs.max;
          json[`${p}.clock`] = c.clock;
        }
      }
      for (const n of SIZES) {
        for (const rt of RUNTIMES) {
          const a8 = get(rt, 'int8', n);
          const a32 = get(rt, 'fp32', n);
          if (a8 && a32) json[`inference.${rt}.n${n}.int8_over_fp32`] = a8.perRunMs.median / a32.perRunMs.median;
        }
      }
      lines.push('', 'inference: one session.run, ms per call, median [min-max] over batches (x = ratio to native in this run)');
      lines.push(`  ${'rows'.padStart(5)}  quant  ${'native (ORT-node, 1 thread)'.padEnd(28)} ${'native, per-row export'.padEnd(30)} ${'web in Node'.padEnd(30)} ${'web in workerd'.padEnd(30)} workerd wall-diff`);
      for (const n of SIZES) {
        for (const q of QUANTS) {
          const nat = get('native', q, n);
          const cell = (rt: Runtime) => {
            const c = get(rt, q, n);
            if (!c) return '-'.padEnd(30);
            return `${spread(c.perRunMs)}${rt === 'native' || !nat ? '' : ` ${(c.perRunMs.median / nat.perRunMs.median).toFixed(1)}x`}`.padEnd(rt === 'native' ? 28 : 30);
          };
          const wd = get('workerd', q, n)?.wallDiffMs;
          lines.push(`  ${String(n).padStart(5)}  ${q.padEnd(5)}  ${cell('native')} ${cell('native_per_row')} ${cell('web')} ${cell('workerd')} ${wd ? f(wd.median) : '-'}`);
        }
      }
      const clocks = new Set(cells.filter((c) => c.clock).map((c) => c.clock));
      lines.push(`  workerd: K runs in a loop inside the isolate per batch (POST /__bench/infer), ${clocks.has('wall') ? 'isolate clock did not move: (wall(K) - wall(0)) / K' : 'isolate clock / K; wall-diff = (wall(K) - wall(k=0)) / K from Node, a cross-check'}`);
    }

    if (model && workers && only.has('request')) {
      log('whole request through the worker');
      const r = await timed('request', () => benchRequests(workers!, requests, { rounds: quick ? 40 : 400, warmup: quick ? 5 : 20, jsonReps: quick ? 5 : 15, jsonTargetMs: quick ? 10 : 50 }));
      for (const [key, s] of Object.entries(r.wallMs)) {
        json[`request.${key}.p50_ms`] = s.median;
        json[`request.${key}.p99_ms`] = s.p99;
        json[`request.${key}.min_ms`] = s.min;
        json[`request.${key}.max_ms`] = s.max;
        json[`request.${key}.count`] = s.n;
        if (key.startsWith('n')) json[`request.${key}.over_noop_p50_ms`] = s.median - r.wallMs.noop.median;
      }
      for (const [key, stages] of Object.entries(r.serverTiming)) for (const [st, s] of Object.entries(stages)) json[`request.${key}.worker_${st}_p50_ms`] = s.median;
      for (const [key, c] of Object.entries(r.json)) {
        json[`json.${key}.request_parse_ms`] = c.requestParse.median;
        json[`json.${key}.request_stringify_ms`] = c.requestStringify.median;
        json[`json.${key}.response_parse_ms`] = c.responseParse.median;
        json[`json.${key}.response_stringify_ms`] = c.responseStringify.median;
        json[`json.${key}.request_bytes`] = r.bodyBytes[key].request;
        json[`json.${key}.response_bytes`] = r.bodyBytes[key].response;
      }
      const iso = await timed('isolate', () => benchIsolateRequests(workers!, requests, [100, 1000], quick ? 3 : 7, quick ? 100 : 300));
      for (const [n, s] of Object.entries(iso)) {
        json[`isolate.request.n${n}.cpu_ms`] = s.median;
        json[`isolate.request.n${n}.min_ms`] = s.min;
        json[`isolate.request.n${n}.max_ms`] = s.max;
      }
      lines.push('', `whole request through the app inside the isolate (POST /__bench/stages?only=app, the isolate's clock, no transport), ms of CPU per request: ${Object.entries(iso).map(([n, s]) => `n=${n} ${spread(s)}`).join(', ')}`);
      lines.push('', `whole request through the worker (Miniflare dispatchFetch on loopback, int8, ms over ${r.wallMs.noop.n} rounds)`);
      lines.push('  request                     p50      p99   [min-max]         worker Server-Timing p50 (coarse 1 ms clock)');
      const st = (key: string) =>
        Object.entries(r.serverTiming[key] ?? {})
          .map(([name, s]) => `${name} ${+s.median.toFixed(1)}`)
          .join(', ');
      const row = (label: string, key: string) => {
        const s = r.wallMs[key];
        lines.push(`  ${label.padEnd(24)} ${f(s.median).padStart(6)} ${f(s.p99).padStart(8)}   [${f(s.min)}-${f(s.max)}]`.padEnd(62) + ` ${st(key)}`);
      };
      row('no-op GET /__bench/noop', 'noop');
      row('GET /healthz', 'healthz');
      for (const n of SIZES) row(`POST /v1/score n=${n}`, `n${n}`);
      lines.push('', '  JSON in Node (V8), ms per call: worker side = parse request + stringify response; client side = stringify request + parse response');
      lines.push('  candidates  request KiB  response KiB  parse req  stringify resp  stringify req  parse resp');
      for (const n of SIZES) {
        const c = r.json[`n${n}`];
        const b = r.bodyBytes[`n${n}`];
        lines.push(
          `  ${String(n).padStart(10)}  ${(b.request / 1024).toFixed(1).padStart(11)}  ${(b.response / 1024).toFixed(1).padStart(12)}  ${f(c.requestParse.median).padStart(9)}  ${f(c.responseStringify.median).padStart(14)}  ${f(c.requestStringify.median).padStart(13)}  ${f(c.responseParse.median).padStart(10)}`,
        );
      }
    }
    if (workers) {
      await workers.dispose();
      workers = null;
    }

    if (model && built && only.has('cold')) {
      const runs = 5;
      log(`cold start x${runs}`);
      const c = await timed('cold', () => benchCold(built!, model!, JSON.stringify(requests.get(100)), runs));
      json['cold_start.p50_ms'] = c.totalMs.median;
      json['cold_start.min_ms'] = c.totalMs.min;
      json['cold_start.max_ms'] = c.totalMs.max;
      json['cold_start.runs'] = c.totalMs.n;
      json['cold_start.ready_p50_ms'] = c.readyMs.median;
      json['cold_start.first_request_p50_ms'] = c.firstRequestMs.median;
      json['cold_start.worker_load_p50_ms'] = c.loadMs.median;
      json['cold_start.session_create_ms'] = c.sessionCreateMs.median;
      json['cold_start.wasm_instantiate_ms'] = c.wasmMs.median;
      json['cold_start.warmup_run_ms'] = c.warmupMs.median;
      json['cold_start.runtime_started_at_startup'] = c.runtimeStarted === c.totalMs.n;
      if (c.readyCpuMs && c.firstRequestCpuMs) {
        json['cold_start.ready_cpu_ms'] = c.readyCpuMs.median;
        json['cold_start.first_request_cpu_ms'] = c.firstRequestCpuMs.median;
      }
      lines.push('', `cold start: new Miniflare -> first 200 of POST /v1/score (100 candidates), ms, median [min-max] of ${c.totalMs.n}`);
      lines.push(`  total ${spread(c.totalMs)}  = workerd ready ${spread(c.readyMs)} + first request ${spread(c.firstRequestMs)} (of which model load, worker clock: ${f(c.loadMs.median)})`);
      lines.push(`  in the isolate: session creation ${spread(c.sessionCreateMs)} (of which wasm instantiation ${spread(c.wasmMs)}), warm-up run ${spread(c.warmupMs)}; onnxruntime started in the global scope in ${c.runtimeStarted} of ${c.totalMs.n}`);
      if (c.readyCpuMs && c.firstRequestCpuMs) lines.push(`  workerd process CPU (all threads, /proc): to ready ${spread(c.readyCpuMs)} (its own start + the global scope), first request ${spread(c.firstRequestCpuMs)}`);
    }
  } finally {
    if (workers) await workers.dispose();
    model?.cleanup();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  }

  machine.loadEnd = os.loadavg()[0];
  const total = (performance.now() - started) / 1000;
  json['bench.seconds'] = total;
  for (const [name, s] of Object.entries(seconds)) json[`bench.seconds.${name}`] = s;
  lines.push('', `took ${total.toFixed(0)} s (${Object.entries(seconds).map(([n, s]) => `${n} ${s.toFixed(0)} s`).join(', ')}); load ${(machine.loadEnd as number).toFixed(2)} at end`);
  console.log(lines.join('\n'));
  if (a.json) writeFileSync(a.json, JSON.stringify(json, null, 2) + '\n');
  if (a.readme) updateReadme(json, a.readme);
});
