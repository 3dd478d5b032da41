// Configuration in workerd: API_KEY fails closed (present in any form = auth on; a present
// value that is not a non-empty string = 503 config_error on every route, /healthz included,
// never a request served without the key); vars of the wrong JSON type give a working setting
// or 503 config_error naming the var, never a 500; the config error names the var, not its
// value, is answered after the API key check and carries CORS headers; the bench routes
// (BENCH_ROUTES=1) sit behind the same key, limits and errors as the API.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorkers, testWorker, type Harness } from './helpers/worker-harness.ts';

let h: Harness;
const KEY = 'k-2f7e9a';
const AUTH = { authorization: `Bearer ${KEY}` };
const ORIGIN = 'http://localhost:3000';
const SECRET_VALUE = 'abc-do-not-echo-me';
const ok = { items: [{ id: 'i1', features: { item_price: 9.5 } }] };

before(async () => {
  const w = await testWorker();
  h = await startWorkers(w.built, [
    { name: 'numkey', bindings: { API_KEY: 12345 } },
    { name: 'emptykey', bindings: { API_KEY: '' } },
    { name: 'badvar', bindings: { API_KEY: KEY, CORS_ORIGINS: ORIGIN, MAX_CANDIDATES: SECRET_VALUE } },
    { name: 'typed', bindings: { CORS_ORIGINS: [ORIGIN], MAX_CANDIDATES: 50, RANK_WEIGHTS: { click: 2 } } },
    { name: 'badtypes', bindings: { CORS_ORIGINS: { a: 1 }, RANK_WEIGHTS: '{"ctr": 1}', KV_CACHE_TTL: true } },
    { name: 'bench', bindings: { BENCH_ROUTES: '1', API_KEY: KEY, MAX_BODY_BYTES: '4096' } },
  ]);
});

after(async () => {
  await h?.dispose();
});

async function errorOf(res: Response, status: number, code: string): Promise<{ code: string; message: string; path: string }> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const e = (JSON.parse(text) as { error: { code: string; message: string; path: string } }).error;
  assert.equal(e.code, code, text);
  return e;
}

describe('API_KEY fails closed', () => {
  for (const worker of ['numkey', 'emptykey']) {
    test(`${worker}: every route is 503 config_error naming API_KEY, never 200 without a key`, async () => {
      for (const [path, init] of [
        ['/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ok) }],
        ['/v1/score', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer 12345' }, body: JSON.stringify(ok) }],
        ['/v1/model', {}],
        ['/openapi.json', {}],
        ['/healthz', {}],
      ] as const) {
        const e = await errorOf(await h.fetch(worker, path, init as RequestInit), 503, 'config_error');
        assert.match(e.message, /API_KEY/);
        assert.doesNotMatch(e.message, /12345/);
      }
    });
  }
});

describe('invalid vars', () => {
  test('the config error is answered after auth, names the var, not its value, and keeps CORS headers', async () => {
    const anon = await h.score('badvar', ok, { origin: ORIGIN });
    assert.equal(anon.headers.get('access-control-allow-origin'), ORIGIN);
    const a = await errorOf(anon, 401, 'unauthorized');
    assert.doesNotMatch(a.message, /MAX_CANDIDATES/);
    const res = await h.score('badvar', ok, { origin: ORIGIN, ...AUTH });
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    const e = await errorOf(res, 503, 'config_error');
    assert.match(e.message, /MAX_CANDIDATES: expected an integer/);
    assert.ok(!e.message.includes(SECRET_VALUE), e.message);
    const hz = await h.fetch('badvar', '/healthz');
    assert.equal(hz.status, 503);
    const body = await hz.text();
    assert.ok(!body.includes(SECRET_VALUE), body);
    assert.match(body, /config_error/);
  });

  test('an answer given before the body is read (401) still reaches a client sending a large body', async () => {
    const big = JSON.stringify({ items: Array.from({ length: 900 }, (_, i) => ({ id: `i${i}`, features: { item_category: 'x'.repeat(600) } })) });
    for (let i = 0; i < 5; i++) await errorOf(await h.score('badvar', big), 401, 'unauthorized');
  });

  test('vars given as JSON values of the right meaning work (CORS_ORIGINS as an array, numbers, an object of weights)', async () => {
    const res = await h.score('typed', ok, { origin: ORIGIN });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal((JSON.parse(text) as { rank: { weights: Record<string, number> } }).rank.weights.click, 2);
    const many = { items: Array.from({ length: 51 }, (_, i) => ({ id: `i${i}` })) };
    await errorOf(await h.score('typed', many), 400, 'too_many_candidates');
  });

  test('vars of the wrong JSON type, and weights for a task the model lacks: 503 naming each var, no 500', async () => {
    for (const path of ['/v1/score', '/v1/model', '/healthz', '/nope']) {
      const res = path === '/v1/score' ? await h.score('badtypes', ok) : await h.fetch('badtypes', path);
      const e = await errorOf(res, 503, 'config_error');
      for (const v of ['CORS_ORIGINS', 'RANK_WEIGHTS', 'KV_CACHE_TTL']) assert.match(e.message, new RegExp(v), e.message);
      assert.match(e.message, /RANK_WEIGHTS\.ctr: expected a task of the model/);
    }
  });
});

describe('bench routes', () => {
  test('behind the API key', async () => {
    await errorOf(await h.fetch('bench', '/__bench/infer?k=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ok) }), 401, 'unauthorized');
    await errorOf(await h.fetch('bench', '/__bench/noop'), 401, 'unauthorized');
    const res = await h.fetch('bench', '/__bench/infer?k=2', { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify(ok) });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.deepEqual(Object.keys(JSON.parse(text) as object).sort(), ['elapsed_ms', 'k', 'rows']);
  });

  test('with the API limits and errors: loop bound, body limit, invalid JSON and bad requests are 4xx JSON', async () => {
    const post = (path: string, body: string) => h.fetch('bench', path, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body });
    await errorOf(await post('/__bench/infer?k=100000', JSON.stringify(ok)), 400, 'invalid_request');
    await errorOf(await post('/__bench/infer?k=1', '{"items": ['), 400, 'invalid_json');
    await errorOf(await post('/__bench/infer?k=1', JSON.stringify({ items: [{ id: 'a', colour: 1 }] })), 400, 'unknown_field');
    await errorOf(await post('/__bench/echo', JSON.stringify({ pad: 'x'.repeat(5000) })), 413, 'payload_too_large');
    await errorOf(await post('/__bench/stages?ms=100000', JSON.stringify(ok)), 400, 'invalid_request');
    await errorOf(await post('/__bench/stages?ms=5', 'nope'), 400, 'invalid_json');
  });

  test('off by default: /__bench/* is the ordinary 404', async () => {
    await errorOf(await h.fetch('typed', '/__bench/noop'), 404, 'not_found');
  });
});
