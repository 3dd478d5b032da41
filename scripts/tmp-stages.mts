// temporary: every stage of /v1/score in the isolate at 100 and 1,000 candidates
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker } from './build-worker.ts';
import { load } from './bench/model.ts';
import { scoreRequest } from './bench/requests.ts';
import { startBenchWorkers, fetchText, jsonPost } from './bench/worker.ts';
const model = load(process.argv[2] ?? 'artifacts/default', 'x');
const built = await buildWorker({ modelDir: model.dir, outDir: join(mkdtempSync(join(tmpdir(), 'st-')), 'dist') });
const w = await startBenchWorkers(built, model, ['int8']);
const reps = Number(process.argv[3] ?? 5);
for (const n of [100, 1000]) {
  const body = JSON.stringify(await scoreRequest(model.manifest, n, n));
  const acc: Record<string, number[]> = {};
  for (let r = 0; r <= reps; r++) {
    const { text } = await fetchText(w, 'int8', `/__bench/stages?ms=300${process.env.ONLY ? `&only=${process.env.ONLY}` : ""}`, jsonPost(body), 200);
    const st = (JSON.parse(text) as { stages: Record<string, { ms_per_call: number }> }).stages;
    if (r > 0) for (const [k, v] of Object.entries(st)) (acc[k] ??= []).push(v.ms_per_call);
  }
  console.log(`n=${n}`);
  for (const [k, v] of Object.entries(acc)) { v.sort((a, b) => a - b); console.log(`  ${k.padEnd(42)} ${v[v.length >> 1].toFixed(3)}`); }
}
await w.dispose();
