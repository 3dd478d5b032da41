// node --import tsx scripts/profile-worker.ts [--model DIR] [--parts node,workerd,ort,export] [--sizes 100,1000]
//        [--requests 3000] [--baseline REV] [--out DIR] [--interval US]
//
// Where the time of one POST /v1/score goes, measured with profilers (docs/performance.md):
//
//  node     The worker's own Hono app (functions/app.ts, functions/ort.ts: onnxruntime-web's
//           wasm build instantiated from a precompiled WebAssembly.Module, as in workerd) in
//           this Node process. (a) Each stage of the handler timed in isolation with the
//           worker's own functions on the same request (body read, JSON.parse, validation,
//           encoding, tensors, session.run, ranking, response JSON); (b) a V8 CPU profile
//           (node:inspector) over --requests whole requests through app.fetch, every sample
//           attributed to the stage on its stack.
//  workerd  The real bundle (wrangler deploy --dry-run, not minified so the profile has
//           names) in workerd through Miniflare: wall time of GET /__bench/noop, of a POST
//           that only reads the same body (/__bench/sink) and of POST /v1/score, interleaved;
//           and a CPU profile of the isolate itself over the inspector (Miniflare
//           inspectorPort -> workerd's DevTools protocol), attributed the same way, which
//           gives the worker's CPU per request without the transport.
//  ort      Inference alone at 100 rows (1,000 too with --sizes): native onnxruntime-node
//           (1 thread) per-node profile (enableProfiling), onnxruntime-web under Node: a CPU
//           profile of session.run (JS glue vs wasm), a per-node cost model from one-node
//           models (fixed cost per run, per node, MatMul kernels), and session-option variants
//           timed interleaved.
//  export   The export-side experiment (graphs rewritten here, not by the exporter).
//
// One file per part in scripts/profile-worker/ (node.ts, workerd.ts, ort.ts,
// export-experiment.ts), with the stage attribution of CPU profiles (attribution.ts) and the
// loading of the worker's code (code.ts); timed loops are scripts/bench/timing.ts.
//
// --baseline REV: the node and workerd parts also load the worker's code (functions/ and
// model/serving/) as of git revision REV (with the rest of model/ from this tree, exported into
// a temporary directory) and alternate requests between the two versions, so before/after come
// from one run under the same load. Figures are medians.
// Profiles (.cpuprofile, open in Chrome DevTools) and a JSON summary go to --out (default: a
// temporary directory, printed). Model: --model DIR (manifest.json, model.onnx,
// model.int8.onnx), else artifacts/default, else one trained like the benchmark's quick model.

import './profile-worker/ort-wasm-hook.ts'; // first: before anything from functions/ loads
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './build-worker.ts';
import { benchModel, type BenchModel } from './bench/model.ts';
import { scoreRequest } from './bench/requests.ts';
import { fail, main } from './lib/cli.ts';
import { exportRevision, loadCode, wranglerVars, type WorkerCode } from './profile-worker/code.ts';
import { log, type ProfileRun } from './profile-worker/context.ts';
import { exportExperimentPart } from './profile-worker/export-experiment.ts';
import { nodePart } from './profile-worker/node.ts';
import { ortPart } from './profile-worker/ort.ts';
import { workerdPart } from './profile-worker/workerd.ts';

const PARTS = ['node', 'workerd', 'ort', 'export'] as const;

await main(async () => {
  const a = parseArgs({
    options: {
      model: { type: 'string' },
      parts: { type: 'string', default: 'node,workerd,ort,export' },
      sizes: { type: 'string', default: '100,1000' },
      requests: { type: 'string', default: '3000' },
      baseline: { type: 'string' },
      out: { type: 'string' },
      interval: { type: 'string', default: '100' },
      quick: { type: 'boolean', default: false },
    },
  }).values;
  const parts = new Set(a.parts!.split(',').map((s) => s.trim()).filter(Boolean));
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) fail(`--parts: unknown part "${p}"; expected some of ${PARTS.join(',')}`);
  const sizes = a.sizes!.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) fail('--sizes: positive integers');
  const requests = Number(a.requests);
  const interval = Number(a.interval);
  const quick = a.quick!;
  const outDir = resolve(a.out ?? mkdtempSync(join(tmpdir(), 'edge-mtl-profile-')));
  mkdirSync(outDir, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'edge-mtl-profile-scratch-'));
  const lines: string[] = [];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), load: os.loadavg(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };
  lines.push(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)} at start; profiles in ${outDir}`);

  let bm: BenchModel;
  if (a.model) {
    const dir = resolve(a.model);
    const { checkManifest } = await import('../model/manifest.ts');
    const { layoutOf } = await import('../model/features/layout.ts');
    const manifest = checkManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    bm = {
      dir,
      source: dir,
      manifest,
      layout: layoutOf(manifest.features),
      fp32: new Uint8Array(readFileSync(join(dir, 'model.onnx'))),
      int8: new Uint8Array(readFileSync(join(dir, 'model.int8.onnx'))),
      trainSeconds: 0,
      cleanup: () => undefined,
    };
  } else bm = benchModel(true, log);
  lines.push(`model: ${bm.source} (${bm.manifest.architecture.name}, int8 ${(bm.int8.byteLength / 2 ** 20).toFixed(2)} MiB)`);
  const bodies = new Map<number, string>();
  for (const n of sizes) bodies.set(n, JSON.stringify(await scoreRequest(bm.manifest, n, n)));
  const env = await wranglerVars();

  try {
    const codes: WorkerCode[] = [];
    if (parts.has('node') || parts.has('workerd')) {
      codes.push(await loadCode(ROOT, 'this tree'));
      if (a.baseline) codes.unshift(await loadCode(exportRevision(a.baseline, scratch), `baseline ${a.baseline}`));
    }

    const run: ProfileRun = { bm, sizes, bodies, env, requests, interval, quick, outDir, lines, summary };
    if (parts.has('node')) {
      await nodePart(run, codes);
    }
    if (parts.has('workerd')) {
      await workerdPart(run, codes);
    }
    if (parts.has('ort')) {
      log('ort: inference alone');
      await ortPart(run, !parts.has('node'));
    }
    if (parts.has('export')) {
      log('export: export-side experiment');
      await exportExperimentPart(run);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    bm.cleanup();
    // Whatever was measured, also when a part failed.
    summary.loadEnd = os.loadavg();
    lines.push('', `load ${os.loadavg()[0].toFixed(2)} at end`);
    writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
    console.log(lines.join('\n'));
  }
});
