// Bench-only routes for scripts/bench.ts (npm run bench). OFF unless the var BENCH_ROUTES is
// exactly "1" (never set in wrangler.toml; the benchmark sets it as a Miniflare binding):
// without it index.ts never calls in here and /__bench/* is the app's ordinary 404.
//
//   GET  /__bench/noop        204, before the app (the transport + dispatch floor).
//   POST /__bench/infer?k=K   body: a /v1/score request. Encodes its candidates with the
//                             worker's own code (score.ts), then runs the isolate's ORT session
//                             K times on those feeds (serialised, as /v1/score runs it) and
//                             answers {rows, k, elapsed_ms}: elapsed_ms is performance.now()
//                             across the K runs. k=0 does everything but the runs (the
//                             baseline the benchmark subtracts from the wall time of a K call).
//
// No validation beyond what encoding needs: the benchmark sends well-formed requests.

import type { Env } from './config.ts';
import type { ModelHost } from './model.ts';
import { candidatesOf, encode, feedsOf } from './score.ts';
import type { ValidRequest } from './validate.ts';

export type BenchEnv = Env & { BENCH_ROUTES?: string };

const MAX_K = 100_000;

export function benchEnabled(env: BenchEnv): boolean {
  return env.BENCH_ROUTES === '1';
}

/** The bench response for a /__bench/* request, or null for any other path. */
export async function benchRoute(request: Request, host: ModelHost): Promise<Response | null> {
  const url = new URL(request.url);
  if (!url.pathname.startsWith('/__bench/')) return null;
  if (url.pathname === '/__bench/noop') return new Response(null, { status: 204 });
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
