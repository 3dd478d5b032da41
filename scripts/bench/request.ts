// The whole request through the real worker (the int8 bundle as built, wrangler.toml [vars],
// in workerd via Miniflare): wall time in Node of mf.dispatchFetch (HTTP on loopback ->
// workerd -> the worker -> back) up to the last byte of the body read, for POST /v1/score with
// 1 / 100 / 1,000 candidates (user features in the request: no KV read), next to no-op
// requests in the same run: GET /healthz (through the app; the model is loaded after
// warm-up, so it only answers) and GET /__bench/noop (204 before the app: the transport and
// dispatch floor). Requests go round-robin over the kinds (one of each per round), so drift
// and load from other processes hit all of them alike. p50 / p99 over the rounds.
//
// JSON: the worker's own Server-Timing `parse` (read + JSON.parse + validation) and
// `features` stages are recorded (workerd's clock is coarse: 1 ms locally, frozen between
// I/O on the platform); and the same request and response bodies are parsed / serialised in
// Node (V8, like workerd) in timed loops: JSON.parse(request) and JSON.stringify(response)
// are what the worker does, JSON.stringify(request) and JSON.parse(response) the client.

import { summarize, type Summary } from './stats.ts';
import { timeLoop } from './timing.ts';
import type { ScoreRequest } from './requests.ts';
import { fetchText, jsonPost, type BenchWorkers } from './worker.ts';

export interface RequestBench {
  /** Keyed by 'noop' | 'healthz' | 'n<N>'. */
  wallMs: Record<string, Summary>;
  /** Server-Timing stages of /v1/score, per n: stage -> summary (ms, coarse). */
  serverTiming: Record<string, Record<string, Summary>>;
  json: Record<string, JsonCost>;
  bodyBytes: Record<string, { request: number; response: number }>;
}

export interface JsonCost {
  requestParse: Summary;
  requestStringify: Summary;
  responseParse: Summary;
  responseStringify: Summary;
}

function serverTiming(h: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (h ?? '').split(',')) {
    const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

export async function benchRequests(
  w: BenchWorkers,
  requests: Map<number, ScoreRequest>,
  o: { rounds: number; warmup: number; jsonReps: number; jsonTargetMs: number },
): Promise<RequestBench> {
  const sizes = [...requests.keys()];
  const bodies = new Map(sizes.map((n) => [n, JSON.stringify(requests.get(n))]));
  type Kind = { key: string; call: () => Promise<{ text: string; res: Response }> };
  const kinds: Kind[] = [
    { key: 'noop', call: () => fetchText(w, 'int8', '/__bench/noop', undefined, 204) },
    { key: 'healthz', call: () => fetchText(w, 'int8', '/healthz', undefined, 200) },
    ...sizes.map((n) => ({ key: `n${n}`, call: () => fetchText(w, 'int8', '/v1/score', jsonPost(bodies.get(n)!), 200) })),
  ];
  const responses = new Map<number, string>();
  for (let i = 0; i < o.warmup; i++) {
    for (const k of kinds) {
      const r = await k.call();
      if (k.key.startsWith('n')) responses.set(Number(k.key.slice(1)), r.text);
    }
  }
  const wall: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k.key, []]));
  const st: Record<string, Record<string, number[]>> = {};
  for (let i = 0; i < o.rounds; i++) {
    for (const k of kinds) {
      const t0 = performance.now();
      const { res } = await k.call();
      wall[k.key].push(performance.now() - t0);
      if (k.key.startsWith('n')) {
        const stages = (st[k.key] ??= {});
        for (const [name, v] of Object.entries(serverTiming(res.headers.get('server-timing')))) (stages[name] ??= []).push(v);
      }
    }
  }
  const json: Record<string, JsonCost> = {};
  const bodyBytes: RequestBench['bodyBytes'] = {};
  for (const n of sizes) {
    const reqText = bodies.get(n)!;
    const reqObj = requests.get(n)!;
    const resText = responses.get(n)!;
    const resObj = JSON.parse(resText);
    bodyBytes[`n${n}`] = { request: Buffer.byteLength(reqText), response: Buffer.byteLength(resText) };
    json[`n${n}`] = {
      requestParse: await timeLoop(() => JSON.parse(reqText), o.jsonReps, o.jsonTargetMs),
      requestStringify: await timeLoop(() => JSON.stringify(reqObj), o.jsonReps, o.jsonTargetMs),
      responseParse: await timeLoop(() => JSON.parse(resText), o.jsonReps, o.jsonTargetMs),
      responseStringify: await timeLoop(() => JSON.stringify(resObj), o.jsonReps, o.jsonTargetMs),
    };
  }
  return {
    wallMs: Object.fromEntries(Object.entries(wall).map(([k, xs]) => [k, summarize(xs)])),
    serverTiming: Object.fromEntries(Object.entries(st).map(([k, s]) => [k, Object.fromEntries(Object.entries(s).map(([n, xs]) => [n, summarize(xs)]))])),
    json,
    bodyBytes,
  };
}
