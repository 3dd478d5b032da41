// npm run bench:worker [-- --model DIR] [--candidates 10,100,1000] [--requests 200]
// Request latency of the real worker bundle in workerd (Miniflare), warm isolate: wall time
// of POST /v1/score from Node (HTTP + JSON both ways included) and the worker's own
// Server-Timing total, by number of candidates (split over the model's kinds: 80% items,
// 20% coupons for the default two; scripts/bench-worker/request-body.ts). Also the cold first
// request. Builds the bundle first (scripts/build-worker.ts).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { buildWorker, ROOT } from './build-worker.ts';
import { quantile, summarize } from './bench/stats.ts';
import { requestBody, type BenchWorkerModel } from './bench-worker/request-body.ts';
import { useWorkerdV8Flags } from './lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

function args(argv: string[]) {
  const o = { model: join(ROOT, 'artifacts', 'default'), candidates: [10, 100, 1000], requests: 200 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--model') o.model = v;
    else if (a === '--candidates') o.candidates = v.split(',').map(Number);
    else if (a === '--requests') o.requests = Number(v);
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const median = (a: number[]) => summarize(a).median;
const p90 = (a: number[]) => quantile([...a].sort((x, y) => x - y), 0.9);

async function main() {
  const o = args(process.argv.slice(2));
  const manifest = JSON.parse(readFileSync(join(o.model, 'manifest.json'), 'utf8')) as BenchWorkerModel & { version: string };
  const out = mkdtempSync(join(tmpdir(), 'edge-mtl-bench-'));
  try {
    const w = await buildWorker({ modelDir: o.model, outDir: join(out, 'dist') });
    console.log(`model ${manifest.version} from ${o.model}; bundle ${(w.total.raw / 1048576).toFixed(1)} MiB raw, ${(w.total.gzip / 1048576).toFixed(1)} MiB gzip`);
    const mf = new Miniflare({
      modulesRoot: w.outDir,
      modules: w.modules.map((m) => ({ type: m.type, path: m.path })),
      compatibilityDate: w.compatibilityDate,
      kvNamespaces: { USER_FEATURES: 'bench' },
    });
    try {
      await mf.ready;
      const post = (body: string) => mf.dispatchFetch('http://bench/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const cold = requestBody(manifest, 10, 1);
      let t0 = performance.now();
      let res = await post(JSON.stringify(cold));
      await res.text();
      console.log(`first request of the isolate (10 candidates; ORT wasm start + model load + warm-up run): ${(performance.now() - t0).toFixed(0)} ms, status ${res.status}`);
      console.log('candidates  body KiB  wall median  wall p90  worker total median (ms, workerd clock)');
      for (const n of o.candidates) {
        const body = JSON.stringify(requestBody(manifest, n, n));
        for (let i = 0; i < 30; i++) await (await post(body)).text();
        const wall: number[] = [];
        const inner: number[] = [];
        for (let i = 0; i < o.requests; i++) {
          t0 = performance.now();
          res = await post(body);
          const text = await res.text();
          wall.push(performance.now() - t0);
          if (res.status !== 200) throw new Error(`status ${res.status}: ${text.slice(0, 300)}`);
          const m = /total;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
          if (m) inner.push(Number(m[1]));
        }
        console.log(
          `${String(n).padStart(10)}  ${(body.length / 1024).toFixed(1).padStart(8)}  ${median(wall).toFixed(2).padStart(11)}  ${p90(wall).toFixed(2).padStart(8)}  ${median(inner).toFixed(2).padStart(10)}`,
        );
      }
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
