// The export's first-layer forms side by side, on the rows of /v1/score requests (one user, one
// context, the benchmark's candidates; `+ovr` = 10% of the items override the context's
// device and hour):
//   per-row      one MatMul per Dense layer (the export before request sharing)
//   fused        Dense layers reading one input as one MatMul (sharing 'per-row')
//   request      fused + the per-request part once per request (the default export)
// in onnxruntime-web (wasm, 1 thread, under Node) and onnxruntime-node (1 thread), fp32 and
// int8, interleaved round-robin (timing.ts), with the ratio to per-row of the same runtime,
// quantization and size paired by round, the largest probability difference to per-row, and
// session creation (ms, median of 5 creations, after the runtime's first session).
//
//   node --import tsx scripts/bench/sharing.ts --model DIR [--reps 7] [--sizes 1,100,1000]

import { parseArgs } from 'node:util';
import { loadModelDir } from '../../model/onnx/export-dir.ts';
import { feedsOf, loadOrt, sessionOptionsOf, type OrtRuntime } from '../../model/onnx/run.ts';
import { exportOnnx } from '../../model/onnx/writer.ts';
import { type ExportOptions } from '../../model/onnx/export-options.ts';
import { main } from '../lib/cli.ts';
import { encodeRequest, scoreRequest, withContextOverrides } from './requests.ts';
import { summarize } from './stats.ts';
import { pairedRatio, runFor, timeInterleaved } from './timing.ts';

const FORMS: Record<string, Omit<ExportOptions, 'quantization'>> = {
  'per-row': { sharing: 'per-row', fuse: false },
  fused: { sharing: 'per-row' },
  request: { sharing: 'request' },
};

await main(async () => {
  const a = parseArgs({ options: { model: { type: 'string' }, reps: { type: 'string', default: '7' }, sizes: { type: 'string', default: '1,100,1000' }, target: { type: 'string', default: '30' } } }).values;
  if (!a.model) throw new Error('--model DIR is required');
  const { manifest, layout, graph } = loadModelDir(a.model);
  const sizes = a.sizes!.split(',').map(Number);
  const reps = Number(a.reps);
  const target = Number(a.target);
  const runtimes: OrtRuntime[] = ['web', 'node'];
  const lines: string[] = [];
  for (const q of ['int8', 'fp32'] as const) {
    const bytes = Object.fromEntries(Object.entries(FORMS).map(([k, o]) => [k, exportOnnx(graph, layout, { quantization: q, ...o })]));
    for (const rt of runtimes) {
      const ort = await loadOrt(rt);
      const opts = sessionOptionsOf({ runtime: rt }) as never;
      // The runtime's first session (wasm instantiation), then seconds of runs: a fresh wasm
      // instance runs slower until V8 has tiered its hot functions up (docs/performance.md).
      const first = await ort.InferenceSession.create(bytes['per-row'], opts);
      const warm = feedsOf(ort, layout, encodeRequest(manifest, layout, await scoreRequest(manifest, 1000, 1)), 0, 1000, first.inputNames);
      await runFor(() => first.run(warm), 3000);
      await first.release();
      const sessions: Record<string, Awaited<ReturnType<typeof ort.InferenceSession.create>>> = {};
      const create: Record<string, number[]> = {};
      for (let i = 0; i < 5; i++) {
        for (const [k, b] of Object.entries(bytes)) {
          const t0 = performance.now();
          const s = await ort.InferenceSession.create(b, opts);
          (create[k] ??= []).push(performance.now() - t0);
          if (sessions[k]) await s.release();
          else sessions[k] = s;
        }
      }
      lines.push(`${q} ${rt}: session creation ms ${Object.entries(create).map(([k, v]) => `${k} ${summarize(v).median.toFixed(1)}`).join(', ')}; file bytes ${Object.entries(bytes).map(([k, b]) => `${k} ${b.length}`).join(', ')}`);
      for (const n of sizes) {
        const base = await scoreRequest(manifest, n, n);
        const fns: Record<string, () => Promise<unknown>> = {};
        let maxDiff = 0;
        for (const [label, req] of [['', base], ['+ovr', withContextOverrides(manifest, base)]] as const) {
          if (label && n < 10) continue;
          const batch = encodeRequest(manifest, layout, req);
          const outs: Record<string, Record<string, Float32Array>> = {};
          for (const [k, s] of Object.entries(sessions)) {
            const feeds = feedsOf(ort, layout, batch, 0, batch.n, s.inputNames);
            const r = await s.run(feeds);
            outs[k] = Object.fromEntries(s.outputNames.map((t) => [t, r[t].data as Float32Array]));
            if (label && k !== 'request') continue;
            fns[k + label] = () => s.run(feeds);
          }
          for (const k of Object.keys(outs)) for (const t of Object.keys(outs[k])) outs[k][t].forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p - outs['per-row'][t][i]))));
        }
        for (const f of Object.values(fns)) await runFor(f, 200);
        const t = await timeInterleaved(fns, reps, target);
        const cells = Object.entries(t).map(([k, v]) => `${k} ${v.median.toFixed(3)}${k === 'per-row' ? '' : ` (${pairedRatio(v, t['per-row']).toFixed(3)})`}`);
        lines.push(`  ${q} ${rt} n=${n}: ${cells.join(', ')}  max|dp| vs per-row ${maxDiff.toExponential(2)}`);
        process.stderr.write(lines[lines.length - 1] + '\n');
      }
      for (const s of Object.values(sessions)) await s.release();
    }
  }
  console.log(lines.join('\n'));
});
