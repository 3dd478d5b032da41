// Bench-only routes for scripts/bench.ts (npm run bench) and scripts/profile-worker.ts. OFF
// unless the var BENCH_ROUTES is exactly "1" (never set in wrangler.toml; the benchmark sets it
// as a Miniflare binding): without it index.ts never calls in here and /__bench/* is the app's
// ordinary 404.
//
//   GET  /__bench/noop        204, before the app (the transport + dispatch floor).
//   GET  /__bench/load        the model's load timings (model.ts LoadTimings) once loaded, else null.
//   POST /__bench/echo        200 with the request's body as the response body (JSON), before
//                             the app: the floor for a request and response of that size
//                             (scripts/profile-worker.ts compares /v1/score with it).
//   POST /__bench/infer?k=K   body: a /v1/score request. Encodes its candidates with the
//                             worker's own code (score.ts), then runs the isolate's ORT session
//                             K times on those feeds (serialised, as /v1/score runs it) and
//                             answers {rows, k, elapsed_ms}: elapsed_ms is performance.now()
//                             across the K runs. k=0 does everything but the runs (the
//                             baseline the benchmark subtracts from the wall time of a K call).
//   POST /__bench/stages?ms=M body: a /v1/score request. Each stage of the /v1/score handler,
//                             run in a loop inside the isolate for about M ms (performance.now()
//                             around the loop; at most 100,000 calls) with the worker's own
//                             functions: {rows, stages: {name: {calls, ms_per_call}}}. The last
//                             stage, `app`, is the whole request through the app (a Request
//                             built in the isolate, app.fetch, the response body read).
//                             &only=a,b runs only the named stages (a CPU profile of
//                             only=app is the worker's CPU per request without I/O waits).
//
// No validation beyond what encoding needs: the benchmark sends well-formed requests.

import type { Env } from './config.ts';
import { parseConfig } from './config.ts';
import type { ModelHost } from './model.ts';
import { readJsonBody } from './body.ts';
import { buildSchemas, type Schemas } from './schemas.ts';
import { candidatesOf, encode, feedsOf, probabilities, rank, rankSettings } from './score.ts';
import { validateRequest, type ValidRequest } from './validate.ts';

export type BenchEnv = Env & { BENCH_ROUTES?: string };

const MAX_K = 100_000;

export function benchEnabled(env: BenchEnv): boolean {
  return env.BENCH_ROUTES === '1';
}

let schemaCache: { key: Env; schemas: Schemas } | null = null;

/** The bench response for a /__bench/* request, or null for any other path. */
export async function benchRoute(request: Request, host: ModelHost, env?: BenchEnv, app?: (r: Request) => Promise<Response>): Promise<Response | null> {
  const url = new URL(request.url);
  if (!url.pathname.startsWith('/__bench/')) return null;
  if (url.pathname === '/__bench/noop') return new Response(null, { status: 204 });
  if (url.pathname === '/__bench/load') return Response.json({ ready: host.isReady(), timings: host.loadTimings });
  if (url.pathname === '/__bench/echo' && request.method === 'POST') return new Response(await request.text(), { headers: { 'content-type': 'application/json' } });
  if (url.pathname === '/__bench/stages' && request.method === 'POST' && env && app) return stages(request, url, host, env, app);
  if (url.pathname !== '/__bench/infer' || request.method !== 'POST') return new Response('no such bench route', { status: 404 });
  const k = Number(url.searchParams.get('k') ?? '1');
  if (!Number.isInteger(k) || k < 0 || k > MAX_K) return new Response(`k must be an integer in [0, ${MAX_K}]`, { status: 400 });
  const info = host.info;
  if (!info) return new Response(host.manifestError ?? 'no manifest', { status: 503 });
  const req = (await request.json()) as ValidRequest;
  const candidates = candidatesOf(req);
  if (!candidates.length) return new Response('send at least one item or coupon', { status: 400 });
  const batch = encode(info, req, req.user?.features, candidates);
  const feeds = feedsOf(info, batch);
  const session = await host.getSession();
  let elapsed = 0;
  if (k > 0) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await host.run(session, feeds);
    elapsed = performance.now() - t0;
  }
  return Response.json({ rows: batch.n, k, elapsed_ms: elapsed });
}

async function stages(request: Request, url: URL, host: ModelHost, env: BenchEnv, app: (r: Request) => Promise<Response>): Promise<Response> {
  const budget = Number(url.searchParams.get('ms') ?? '50');
  const only = url.searchParams.get('only')?.split(',');
  if (!(budget > 0 && budget <= 10_000)) return new Response('ms must be in (0, 10000]', { status: 400 });
  const info = host.info;
  if (!info) return new Response(host.manifestError ?? 'no manifest', { status: 503 });
  const cfg = parseConfig(env);
  if (schemaCache?.key !== env) schemaCache = { key: env, schemas: buildSchemas(info, cfg) };
  const schemas = schemaCache.schemas;
  const text = await request.text();
  const parsed: unknown = JSON.parse(text);
  const req = validateRequest(parsed, schemas, info, cfg);
  const candidates = candidatesOf(req);
  const batch = encode(info, req, req.user?.features, candidates);
  const feeds = feedsOf(info, batch);
  const session = await host.getSession();
  const outputs = await host.run(session, feeds);
  const settings = rankSettings(info, cfg, req);
  const probs = probabilities(info, outputs, batch.n);
  const lists = rank(info, cfg, settings, candidates, probs, req.top_k);
  const response = { model: { version: info.manifest.version, quantization: info.quantization }, rank: settings, items: lists.items, coupons: lists.coupons };
  const json = JSON.stringify(response);
  const out: Record<string, { calls: number; ms_per_call: number }> = {};
  let sink = 0;
  const time = async (name: string, f: () => unknown) => {
    if (only && !only.includes(name)) return;
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < budget && calls < MAX_K) {
      const r = f();
      if (r instanceof Promise) await r;
      calls++;
      t = performance.now();
    }
    out[name] = { calls, ms_per_call: (t - t0) / calls };
    sink += calls;
  };
  const scoreUrl = request.url.replace(/\/__bench\/stages.*$/, '/v1/score');
  // As requests arrive from the network: with a Content-Length.
  const length = String(new TextEncoder().encode(text).byteLength);
  const mkRequest = () => new Request(scoreUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': length }, body: text });
  await time('new Request (in the isolate)', mkRequest);
  await time('new Request + readJsonBody', () => readJsonBody(mkRequest(), cfg.maxBodyBytes));
  await time('JSON.parse', () => JSON.parse(text));
  await time('validate', () => validateRequest(parsed, schemas, info, cfg));
  await time('settings + candidates', () => (rankSettings(info, cfg, req), candidatesOf(req)));
  await time('encode', () => encode(info, req, req.user?.features, candidates));
  await time('tensors', () => feedsOf(info, batch));
  await time('session.run', () => host.run(session, feeds));
  await time('probabilities + rank', () => rank(info, cfg, settings, candidates, probabilities(info, outputs, batch.n), req.top_k));
  await time('JSON.stringify', () => JSON.stringify(response));
  await time('rank + JSON.stringify (fresh objects)', () => {
    const l = rank(info, cfg, settings, candidates, probabilities(info, outputs, batch.n), req.top_k);
    return JSON.stringify({ model: response.model, rank: settings, items: l.items, coupons: l.coupons });
  });
  await time('new Response + 4 headers', () => {
    const h = new Headers({ 'content-type': 'application/json' });
    h.set('Server-Timing', 'parse;dur=0.00, features;dur=0.00, inference;dur=0.00, total;dur=0.00');
    h.set('X-User-Features', 'request');
    h.set('X-Model-Version', info.manifest.version);
    h.set('Cache-Control', 'no-store');
    return new Response(json, { headers: h });
  });
  await time('app: GET /healthz (framework floor)', async () => {
    const res = await app(new Request(scoreUrl.replace(/\/v1\/score$/, '/healthz')));
    await res.text();
  });
  await time('app', async () => {
    const res = await app(mkRequest());
    await res.text();
  });
  return Response.json({ rows: batch.n, stages: out, sink });
}
