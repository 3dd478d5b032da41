// The export's first-layer forms inside workerd, as the worker serves them: one wrangler build,
// one Miniflare with a worker per form (the same bundle, its ONNX data module swapped,
// worker.ts benchWorkerVariant):
//   per-row   one MatMul per Dense layer, every candidate computed on its own (the old export)
//   fused     Dense layers reading one input as one MatMul, still per row
//   request   fused + the per-request part once per request (the default export)
// Per round, for 100 and 1,000 candidates, each worker runs POST /__bench/stages?only=session.run,app
// (ms of the isolate's clock per call: inference alone, and the whole request through the app);
// `request+ovr` is the same request with 10% of the items overriding the context. Medians over
// the rounds and per-round ratios to per-row. Then cold starts, the forms interleaved: a new
// Miniflare per start, the first POST /v1/score (wall) and the isolate's load timings.
// `--onnx FILE` (repeatable) adds a worker serving that file as it is, labelled by its name:
// e.g. the same weights exported by an earlier commit (an int8 weight-only model.int8.onnx of
// the same manifest), to measure a change of the exporter.
//
//   node --import tsx scripts/bench/sharing-workerd.ts --model DIR [--rounds 7] [--ms 150] [--cold 3] [--onnx FILE ...]

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { OPSET, exportOnnx } from '../../model/onnx/writer.ts';
import { quantizationLabel, type ExportOptions } from '../../model/onnx/export-options.ts';
import { loadModelDir } from '../../model/onnx/export-dir.ts';
import { buildWorker } from '../build-worker.ts';
import { main } from '../lib/cli.ts';
import { scoreRequest, withContextOverrides } from './requests.ts';
import { summarize } from './stats.ts';
import { benchWorkerVariant, jsonPost } from './worker.ts';
import { useWorkerdV8Flags } from '../lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

const FORMS: Record<string, ExportOptions> = {
  'per-row': { quantization: 'int8', sharing: 'per-row', fuse: false },
  fused: { quantization: 'int8', sharing: 'per-row' },
  request: { quantization: 'int8', sharing: 'request' },
};

await main(async () => {
  const a = parseArgs({ options: { model: { type: 'string' }, rounds: { type: 'string', default: '7' }, ms: { type: 'string', default: '150' }, cold: { type: 'string', default: '3' }, onnx: { type: 'string', multiple: true, default: [] } } }).values;
  if (!a.model) throw new Error('--model DIR is required');
  const { manifest, layout, graph } = loadModelDir(a.model);
  const scratch = mkdtempSync(join(tmpdir(), 'edge-mtl-sharing-'));
  try {
    const built = await buildWorker({ modelDir: a.model, outDir: join(scratch, 'dist') });
    const variant = (name: string, onnx: Uint8Array, quantization: string) =>
      benchWorkerVariant(built, name, { manifest, onnx, record: { path: 'model.int8.onnx', sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.length, opset: OPSET, quantization } });
    const files = Object.fromEntries(a.onnx!.map((f) => [basename(f).replace(/\.onnx$/, '').replace(/[^A-Za-z0-9-]/g, '-'), f]));
    const opts = await Promise.all([
      ...Object.entries(FORMS).map(([name, o]) => variant(name, exportOnnx(graph, layout, { ...o, metadata: { manifest_version: manifest.version } }), quantizationLabel(o))),
      ...Object.entries(files).map(([name, f]) => variant(name, new Uint8Array(readFileSync(f)), 'int8-weight-only')),
    ]);
    const names = [...Object.keys(FORMS), ...Object.keys(files)];
    const bodies: Record<string, string> = {};
    for (const n of [100, 1000]) {
      const req = await scoreRequest(manifest, n, n);
      bodies[`n${n}`] = JSON.stringify(req);
      bodies[`n${n}+ovr`] = JSON.stringify(withContextOverrides(manifest, req));
    }
    const mf = new Miniflare({ workers: opts });
    const stages = async (name: string, body: string, ms: number) => {
      const res = await mf.dispatchFetch(`http://${name}.bench/__bench/stages?only=session.run,app&ms=${ms}`, jsonPost(body) as never);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${text.slice(0, 300)}`);
      const s = (JSON.parse(text) as { stages: Record<string, { ms_per_call: number }> }).stages;
      return { run: s['session.run'].ms_per_call, app: s.app.ms_per_call };
    };
    const xs: Record<string, { run: number[]; app: number[] }> = {};
    try {
      await mf.ready;
      for (const name of names) for (const b of Object.values(bodies)) await stages(name, b, 500); // warm-up: wasm tier-up
      for (let r = 0; r < Number(a.rounds); r++) {
        for (const [label, body] of Object.entries(bodies)) {
          for (const name of names) {
            if (label.endsWith('+ovr') && name in FORMS && name !== 'request') continue;
            const s = await stages(name, body, Number(a.ms));
            const k = `${label} ${name}`;
            (xs[k] ??= { run: [], app: [] }).run.push(s.run);
            xs[k].app.push(s.app);
          }
        }
        process.stderr.write(`round ${r + 1}\n`);
      }
    } finally {
      await mf.dispose();
    }
    const med = (v: number[]) => summarize(v).median;
    const ratio = (v: number[], base: number[]) => med(v.map((x, i) => x / base[i]));
    console.log('in the isolate, ms per call (median of rounds; x = per-round ratio to per-row)');
    for (const [k, v] of Object.entries(xs)) {
      const base = xs[`${k.split(' ')[0].replace('+ovr', '')} per-row`];
      console.log(`  ${k.padEnd(20)} session.run ${med(v.run).toFixed(3)} (${ratio(v.run, base.run).toFixed(3)}x)  whole request ${med(v.app).toFixed(3)} (${ratio(v.app, base.app).toFixed(3)}x)`);
    }
    const cold: Record<string, { first: number[]; create: number[]; warm: number[] }> = {};
    for (let r = 0; r < Number(a.cold); r++) {
      for (const [i, name] of names.entries()) {
        const one = new Miniflare({ workers: [opts[i]] });
        try {
          await one.ready;
          const t0 = performance.now();
          const res = await one.dispatchFetch(`http://${name}.bench/v1/score`, jsonPost(bodies.n100) as never);
          await res.text();
          const first = performance.now() - t0;
          const lt = (await (await one.dispatchFetch(`http://${name}.bench/__bench/load`)).json()) as { timings: { wasmMs: number; sessionMs: number; warmupMs: number } };
          const c = (cold[name] ??= { first: [], create: [], warm: [] });
          c.first.push(first);
          c.create.push(lt.timings.wasmMs + lt.timings.sessionMs);
          c.warm.push(lt.timings.warmupMs);
        } finally {
          await one.dispose();
        }
      }
    }
    console.log(`cold start, median of ${a.cold}: first request wall / session creation / warm-up run (isolate clock), ms`);
    for (const [name, c] of Object.entries(cold)) console.log(`  ${name.padEnd(8)} ${med(c.first).toFixed(0)} / ${med(c.create).toFixed(0)} / ${med(c.warm).toFixed(0)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
