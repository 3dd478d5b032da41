// Bench-only routes for scripts/bench.ts (npm run bench) and scripts/profile-worker.ts. OFF
// unless the var BENCH_ROUTES is "1" (never set in wrangler.toml; the benchmark sets it as a
// Miniflare binding): without it they are not registered and /__bench/* is the app's
// ordinary 404. When on, they are routes of the app like /v1/score: behind the same API key,
// the same body limits (readBodyBytes) and request validation, and errors are the API's JSON
// errors (never a 500 for bad input).
//
//   GET  /__bench/noop        204 (the transport + dispatch floor).
//   GET  /__bench/load        the model's load timings (model.ts LoadTimings) once loaded, else null.
//   POST /__bench/echo        200 with the request's body as the response body (JSON): the
//                             floor for a request and response of that size
//                             (scripts/profile-worker.ts compares /v1/score with it).
//   POST /__bench/infer?k=K   body: a /v1/score request. Encodes its candidates with the
//                             worker's own code (score.ts), then runs the isolate's ORT session
//                             K times on those feeds (serialised, as /v1/score runs it) and
//                             answers {rows, k, elapsed_ms}: elapsed_ms is performance.now()
//                             across the K runs. k=0 does everything but the runs (the
//                             baseline the benchmark subtracts from the wall time of a K call).
//                             K <= MAX_K and K x rows <= MAX_ROW_RUNS bound one call's CPU.
//   POST /__bench/stages?ms=M body: a /v1/score request. Each stage of the /v1/score handler,
//                             run in a loop inside the isolate for about M ms (M <= 10,000;
//                             performance.now() around the loop; at most MAX_K calls) with the
//                             worker's own functions: {rows, stages: {name: {calls, ms_per_call}}}.
//                             The last stage, `app`, is the whole request through the app (a
//                             Request built in the isolate, app.fetch, the response body read).
//                             &only=a,b runs only the named stages (a CPU profile of
//                             only=app is the worker's CPU per request without I/O waits).

import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from './config.ts';
import type { Config } from './config.ts';
import { parseBody, readBodyBytes, readJsonBody } from './body.ts';
import { ApiError } from './errors.ts';
import type { ModelHost, ModelInfo } from './model.ts';
import type { Schemas } from './schemas.ts';
import { feedsOf } from '../model/onnx/inputs.ts';
import { rank, rankSettings } from '../model/serving/rank.ts';
import { candidatesOf, encode, ortTensor, probabilities } from './score.ts';
import { validateRequest } from './validate.ts';

const MAX_K = 10_000;
const MAX_ROW_RUNS = 1_000_000;
const MAX_STAGE_MS = 10_000;

function intParam(url: URL, name: string, def: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  const x = raw === null ? def : Number(raw);
  if (!Number.isInteger(x) || x < min || x > max) throw new ApiError(400, 'invalid_request', `${name} must be an integer in [${min}, ${max}]`, name);
  return x;
}

export function registerBenchRoutes(app: OpenAPIHono<{ Bindings: Env }>, host: ModelHost, cfg: Config, schemas: Schemas, modelInfo: () => ModelInfo): void {
  app.get('/__bench/noop', (c) => c.body(null, 204));
  app.get('/__bench/load', (c) => c.json({ ready: host.isReady(), timings: host.loadTimings }));
  app.post('/__bench/echo', async (c) => {
    const bytes = await readBodyBytes(c.req.raw, cfg.maxBodyBytes);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/json' });
  });

  app.post('/__bench/infer', async (c) => {
    const url = new URL(c.req.url);
    const k = intParam(url, 'k', 1, 0, MAX_K);
    const body = await readJsonBody(c.req.raw, cfg.maxBodyBytes);
    const info = modelInfo();
    const req = validateRequest(body, schemas, info, cfg);
    const candidates = candidatesOf(info, req);
    if (k * candidates.length > MAX_ROW_RUNS) throw new ApiError(400, 'invalid_request', `k x candidates must be at most ${MAX_ROW_RUNS}`, 'k');
    const batch = encode(info, req, req.user?.features, candidates);
    const feeds = feedsOf(info.layout, batch, ortTensor);
    const session = await host.getSession();
    let elapsed = 0;
    if (k > 0) {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) await host.run(session, feeds);
      elapsed = performance.now() - t0;
    }
    return c.json({ rows: batch.n, k, elapsed_ms: elapsed });
  });

  app.post('/__bench/stages', async (c) => {
    const url = new URL(c.req.url);
    const budget = intParam(url, 'ms', 50, 1, MAX_STAGE_MS);
    const only = url.searchParams.get('only')?.split(',');
    const bytes = await readBodyBytes(c.req.raw, cfg.maxBodyBytes);
    const parsed = parseBody(bytes);
    const text = new TextDecoder().decode(bytes);
    const info = modelInfo();
    const req = validateRequest(parsed, schemas, info, cfg);
    const candidates = candidatesOf(info, req);
    const batch = encode(info, req, req.user?.features, candidates);
    const feeds = feedsOf(info.layout, batch, ortTensor);
    const session = await host.getSession();
    const outputs = await host.run(session, feeds);
    const settings = rankSettings(info.tasks, cfg, req.rank);
    const probs = probabilities(info, outputs, batch.n);
    const lists = rank(info.kinds, info.tasksOf, cfg, settings, candidates, probs, req.top_k);
    const response = { model: { version: info.manifest.version, quantization: info.quantization }, rank: settings, ...lists };
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
    const scoreUrl = c.req.url.replace(/\/__bench\/stages.*$/, '/v1/score');
    // As requests arrive from the network: with a Content-Length (and the caller's key).
    const length = String(bytes.byteLength);
    const auth = c.req.header('authorization');
    const headers = { 'content-type': 'application/json', 'content-length': length, ...(auth ? { authorization: auth } : {}) };
    const mkRequest = () => new Request(scoreUrl, { method: 'POST', headers, body: text });
    const viaApp = (r: Request) => app.fetch(r, c.env, c.executionCtx);
    await time('new Request (in the isolate)', mkRequest);
    await time('new Request + readJsonBody', () => readJsonBody(mkRequest(), cfg.maxBodyBytes));
    await time('JSON.parse', () => JSON.parse(text));
    await time('validate', () => validateRequest(parsed, schemas, info, cfg));
    await time('settings + candidates', () => (rankSettings(info.tasks, cfg, req.rank), candidatesOf(info, req)));
    await time('encode', () => encode(info, req, req.user?.features, candidates));
    await time('tensors', () => feedsOf(info.layout, batch, ortTensor));
    await time('session.run', () => host.run(session, feeds));
    await time('probabilities + rank', () => rank(info.kinds, info.tasksOf, cfg, settings, candidates, probabilities(info, outputs, batch.n), req.top_k));
    await time('JSON.stringify', () => JSON.stringify(response));
    await time('rank + JSON.stringify (fresh objects)', () => {
      const l = rank(info.kinds, info.tasksOf, cfg, settings, candidates, probabilities(info, outputs, batch.n), req.top_k);
      return JSON.stringify({ model: response.model, rank: settings, ...l });
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
      const res = await viaApp(new Request(scoreUrl.replace(/\/v1\/score$/, '/healthz')));
      await res.text();
    });
    await time('app', async () => {
      const res = await viaApp(mkRequest());
      await res.text();
    });
    return c.json({ rows: batch.n, stages: out, sink });
  });
}
