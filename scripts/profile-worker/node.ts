// Part "node": the worker's own Hono app (functions/app.ts, functions/ort.ts: onnxruntime-web's
// wasm build instantiated from a precompiled WebAssembly.Module, as in workerd) in this Node
// process. (a) Each stage of the handler timed in isolation with the worker's own functions on
// the same request, every version interleaved; (b) a V8 CPU profile over whole requests
// through app.fetch, every sample attributed to the stage on its stack.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { int8Manifest, type BenchModel } from '../bench/model.ts';
import { pairedRatio, runFor, timeInterleaved } from '../bench/timing.ts';
import { attribute, printAttribution, profileNode } from './attribution.ts';
import type { WorkerCode } from './code.ts';
import { f3, log, type ProfileRun } from './context.ts';

interface NodeApp {
  code: WorkerCode;
  fetch(body: string): Promise<Response>;
  host: any;
}

async function nodeApp(code: WorkerCode, bm: BenchModel, env: Record<string, string>): Promise<NodeApp> {
  // model.int8.onnx for every revision compared (int8Manifest: a baseline knows no serving graph).
  const manifest = JSON.stringify(int8Manifest(bm.manifest));
  const onnx = bm.int8.buffer.slice(bm.int8.byteOffset, bm.int8.byteOffset + bm.int8.byteLength) as ArrayBuffer;
  const host = new code.model.ModelHost({ manifest, onnx, quantization: 'int8', source: bm.dir });
  await host.getSession();
  const getApp = code.app.appFactory(host);
  // As functions/index.ts: the app for this env (cached per configuration), then app.fetch.
  const fetch = async (body: string) => {
    return getApp(env).fetch(new Request('http://worker.local/v1/score', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body }), env);
  };
  return { code, fetch, host };
}

async function checkOk(res: Response): Promise<string> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** The handler's stages as separate functions (each version's own code), for timed loops. */
async function stageRunners(a: NodeApp, body: string, env: Record<string, string>): Promise<Record<string, () => unknown>> {
  const { code, host } = a;
  const info = host.info!;
  const cfg = code.config.parseConfig(env);
  const { buildSchemas } = await import(pathToFileURL(join(code.root, 'functions/schemas.ts')).href);
  const schemas = buildSchemas(info, cfg);
  const length = String(Buffer.byteLength(body));
  const mkReq = () => new Request('http://worker.local/v1/score', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': length }, body });
  const parsed = JSON.parse(body);
  const req = code.validate.validateRequest(parsed, schemas, info, cfg);
  const candidates = code.score.candidatesOf(info, req);
  const batch = code.score.encode(info, req, req.user?.features, candidates);
  const feeds = code.inputs.feedsOf(info.layout, batch, code.score.ortTensor);
  const session = await host.getSession();
  const outputs = await host.run(session, feeds);
  const settings = code.rank.rankSettings(info.tasks, cfg, req.rank);
  const probs = code.score.probabilities(info, outputs, batch.n);
  const lists = code.rank.rank(info.kinds, info.tasksOf, cfg, settings, candidates, probs, req.top_k);
  const response = { model: { version: info.manifest.version, quantization: info.quantization }, rank: settings, ...lists };
  return {
    'new Request (client side, Node only)': mkReq,
    'body read + decode + JSON.parse': () => code.body.readJsonBody(mkReq(), cfg.maxBodyBytes),
    'JSON.parse': () => JSON.parse(body),
    'validation (validateRequest)': () => code.validate.validateRequest(parsed, schemas, info, cfg),
    'settings + candidates': () => (code.rank.rankSettings(info.tasks, cfg, req.rank), code.score.candidatesOf(info, req)),
    'feature encoding (encode)': () => code.score.encode(info, req, req.user?.features, candidates),
    'tensor creation (feedsOf)': () => code.inputs.feedsOf(info.layout, batch, code.score.ortTensor),
    'session.run': () => host.run(session, feeds),
    'probabilities + rank': () => code.rank.rank(info.kinds, info.tasksOf, cfg, settings, candidates, code.score.probabilities(info, outputs, batch.n), req.top_k),
    'response JSON.stringify': () => JSON.stringify(response),
    'whole request (app.fetch + res.text)': async () => checkOk(await a.fetch(body)),
  };
}

export async function nodePart(run: ProfileRun, codes: WorkerCode[]): Promise<void> {
  const { bm, sizes, bodies, env, requests, interval, quick, outDir, lines, summary } = run;
  log('node: stage timings and CPU profile of the app in Node');
  const apps = await Promise.all(codes.map((c) => nodeApp(c, bm, env)));
  // Same answers from every version (one after the other: the versions share one
  // onnxruntime-web wasm instance, whose runs must not overlap).
  for (const n of sizes) {
    const texts: string[] = [];
    for (const x of apps) texts.push(await checkOk(await x.fetch(bodies.get(n)!)));
    for (const t of texts.slice(1)) if (t !== texts[0]) throw new Error(`the versions answer differently at n=${n}`);
  }
  const reps = quick ? 5 : 11;
  const target = quick ? 30 : 100;
  lines.push('', `node: the worker's app in Node (onnxruntime-web wasm as in workerd), ms per request, medians of ${reps} loops`);
  for (const n of sizes) {
    const body = bodies.get(n)!;
    // Stage timings (each version's own functions), all interleaved.
    const runners: Record<string, () => unknown> = {};
    for (const x of apps) for (const [k, f] of Object.entries(await stageRunners(x, body, env))) runners[`${x.code.label}|${k}`] = f;
    for (const x of apps) await runFor(() => x.fetch(body).then(checkOk), quick ? 1000 : 3000);
    const times = await timeInterleaved(runners, reps, target);
    const names = [...new Set(Object.keys(runners).map((k) => k.slice(k.indexOf('|') + 1)))];
    lines.push(`  n=${n}: stages timed in isolation, interleaved${apps.length > 1 ? ` (${apps.map((x) => x.code.label).join(' | ')})` : ''}`);
    for (const name of names) {
      const cells = apps.map((x) => f3(times[`${x.code.label}|${name}`]?.median ?? NaN).padStart(8)).join(' ');
      const ratio = apps.length === 2 ? `   after/before ${pairedRatio(times[`${apps[1].code.label}|${name}`], times[`${apps[0].code.label}|${name}`]).toFixed(2)}` : '';
      lines.push(`    ${name.padEnd(44)} ${cells}${ratio}`);
    }
    summary[`node.n${n}.stages`] = times;
    // CPU profile of whole requests.
    for (const x of apps) {
      const count = Math.max(50, Math.round((requests * 100) / Math.max(n, 100)));
      for (let i = 0; i < 50; i++) await checkOk(await x.fetch(body));
      const { profile } = await profileNode(interval, async () => {
        for (let i = 0; i < count; i++) await checkOk(await x.fetch(body));
      });
      const file = join(outDir, `node-${x.code.label.replace(/\W+/g, '_')}-n${n}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const attr = attribute(profile);
      summary[`node.n${n}.profile.${x.code.label}`] = { ...attr, requests: count };
      printAttribution(`CPU profile, ${x.code.label}, n=${n}`, attr, count, lines);
    }
  }
}
