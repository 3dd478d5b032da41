// Every class of bad input gets a 4xx JSON error naming the field, inside workerd, never a
// 500; limits (body size by Content-Length and by bytes actually read, candidate counts);
// a corrupt model or manifest gives 503 with the reason on /healthz and /v1/score, cached
// (no retry), while the process and the other workers keep serving.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { startWorkers, testWorker, type Harness, type TestWorker } from './helpers/worker-harness.ts';

let w: TestWorker;
let h: Harness;

interface ErrorJson {
  error: { code: string; message: string; path: string };
}

const item = (id: string, features: Record<string, unknown> = {}) => ({ id, features });
const ok = { items: [item('i1', { item_price: 9.5 })] };

before(async () => {
  w = await testWorker();
  const manifest = JSON.parse(JSON.stringify(w.model.manifest));
  delete manifest.files.int8.sha256;
  delete manifest.files.int8.bytes;
  const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 7) & 0xff);
  // Each worker costs a few seconds (workerd compiles the ORT wasm per worker).
  h = await startWorkers(w.built, [
    { name: 'main' },
    { name: 'small', bindings: { MAX_BODY_BYTES: '4096', MAX_CANDIDATES: '10', MAX_ABS_ZSCORE: '5' } },
    // Bytes that do not match the manifest's sha256: refused before onnxruntime sees them.
    { name: 'mismatch', onnx: garbage },
    // The manifest's checksum removed and the bytes garbage: onnxruntime itself fails to load.
    { name: 'corrupt', onnx: garbage, manifestText: JSON.stringify(manifest) },
    // A truncated manifest.json.
    { name: 'no-manifest', manifestText: JSON.stringify(w.model.manifest).slice(0, 200) },
  ]);
});

after(async () => {
  await h?.dispose();
});

async function expectError(res: Response, status: number, code: string, path?: string | RegExp): Promise<ErrorJson['error']> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const j = JSON.parse(text) as ErrorJson;
  assert.equal(typeof j.error?.message, 'string');
  assert.equal(j.error.code, code, text);
  if (typeof path === 'string') assert.equal(j.error.path, path, text);
  else if (path) assert.match(j.error.path, path, text);
  return j.error;
}

const post = (worker: string, body: string | Uint8Array | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  h.fetch(worker, '/v1/score', { method: 'POST', headers, body });

describe('transport', () => {
  test('non-JSON bodies -> 400 invalid_json', async () => {
    for (const body of ['not json', '{"items": [', '', '\uFEFF{}x', 'NaN']) {
      await expectError(await post('main', body), 400, 'invalid_json', '');
    }
    // Bytes that are not UTF-8.
    await expectError(await post('main', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, 'invalid_json');
  });

  test('wrong or missing Content-Type -> 415', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
      await expectError(await post('main', JSON.stringify(ok), { 'content-type': ct }), 415, 'unsupported_media_type');
    }
    await expectError(await post('main', JSON.stringify(ok), {}), 415, 'unsupported_media_type');
    // Parameters are fine.
    const res = await post('main', JSON.stringify(ok), { 'content-type': 'Application/JSON; charset=utf-8' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  test('body over the limit: by Content-Length -> 413 before reading', async () => {
    const big = JSON.stringify({ items: [item('i1', { item_category: 'x'.repeat(900) })], context: { device: 'y'.repeat(900) }, coupons: [item('c', { coupon_kind: 'z'.repeat(900) }), item('d', { coupon_kind: 'w'.repeat(900) }), item('e', { coupon_kind: 'v'.repeat(900) })] });
    assert.ok(big.length > 4096);
    await expectError(await post('small', big), 413, 'payload_too_large');
    // The default limit (1 MiB) on the main worker.
    await expectError(await post('main', JSON.stringify({ items: [item('i', { item_category: 'x'.repeat(1 << 20) })] })), 413, 'payload_too_large');
  });

  test('body over the limit without Content-Length (streamed, chunked) -> 413 from the bytes read', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent === 0) ctrl.enqueue(new TextEncoder().encode('{"items": [{"id": "a"}]'));
        if (sent++ < 8) ctrl.enqueue(chunk);
        else {
          ctrl.enqueue(new TextEncoder().encode('}'));
          ctrl.close();
        }
      },
    });
    const res = await h.fetch('small', '/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    await expectError(res, 413, 'payload_too_large');
    // A small streamed body is read and scored.
    const small = new ReadableStream<Uint8Array>({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode('{"items": [{"id": '));
        ctrl.enqueue(new TextEncoder().encode('"a"}]}'));
        ctrl.close();
      },
    });
    const r2 = await h.fetch('small', '/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: small, duplex: 'half' } as RequestInit);
    assert.equal(r2.status, 200, await r2.clone().text());
    await r2.arrayBuffer();
  });

  test('pathologically nested JSON -> 400, not a crash', async () => {
    const depth = 100_000;
    await expectError(await post('main', '['.repeat(depth) + ']'.repeat(depth)), 400, 'invalid_request', '');
    const inFeature = `{"items": [{"id": "a", "features": {"item_category": ${'['.repeat(depth)}${']'.repeat(depth)}}}]}`;
    await expectError(await post('main', inFeature), 400, 'invalid_feature_value', 'items[0].features.item_category');
    const inUnknown = `{"items": [{"id": "a"}], "junk": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    await expectError(await post('main', inUnknown), 400, 'unknown_field', 'junk');
  });

  test('wrong method -> 405, unknown route -> 404, both JSON', async () => {
    const r = await h.fetch('main', '/v1/score');
    assert.equal(r.headers.get('allow'), 'POST');
    await expectError(r, 405, 'method_not_allowed');
    await expectError(await h.fetch('main', '/v2/score', { method: 'POST' }), 404, 'not_found');
  });
});

/** Status and JSON body of a raw HTTP/1.1 answer (the worker's errors carry a Content-Length). */
function parseRaw(text: string): { status: number; body: ErrorJson } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as ErrorJson };
}

/** Lines the worker itself logged at error level for a request (not workerd's own diagnostics). */
const workerErrors = () => h.logs.filter((l) => /"level":"error"/.test(l) && /unhandled error/.test(l));

describe('unreadable and compressed bodies', () => {
  const head = 'POST /v1/score HTTP/1.1\r\nHost: worker.test\r\nContent-Type: application/json\r\n';

  test('a malformed chunk -> 400 invalid_body, no error-level line from the worker', async () => {
    const res = parseRaw(await h.raw(`${head}Transfer-Encoding: chunked\r\n\r\n5\r\n{"ite\r\nzz\r\nbad\r\n0\r\n\r\n`));
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'invalid_body');
    assert.deepEqual(workerErrors(), []);
  });

  test('a body shorter than its Content-Length (the client went away) -> 400 invalid_body', async () => {
    const res = parseRaw(await h.raw(`${head}Content-Length: 100\r\n\r\n{"items": [`));
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'invalid_body');
    assert.deepEqual(workerErrors(), []);
  });

  test('gzip and deflate bodies are decompressed and scored like the plain body', async () => {
    const text = JSON.stringify({ items: [item('i1', { item_price: 9.5 }), item('i2', { item_category: 'c3' })], coupons: [item('c1')] });
    const plain = await post('main', text);
    assert.equal(plain.status, 200);
    const want = ((await plain.json()) as { items: unknown }).items;
    for (const [encoding, bytes] of [['gzip', gzipSync(text)], ['deflate', deflateSync(text)], ['GZIP', gzipSync(text)]] as const) {
      const res = await post('main', new Uint8Array(bytes), { 'content-type': 'application/json', 'content-encoding': encoding });
      const got = await res.text();
      assert.equal(res.status, 200, `${encoding}: ${got}`);
      assert.deepEqual((JSON.parse(got) as { items: unknown }).items, want, encoding);
    }
  });

  test('a zip bomb -> 413 on the decompressed size (MAX_BODY_BYTES), not read to the end', async () => {
    // 1 KB of gzip that inflates past the 4096-byte limit of "small".
    const small = gzipSync(`{"items": [{"id": "a"}], "pad": "${' '.repeat(1 << 20)}"}`, { level: 9 });
    assert.ok(small.byteLength < 1100, String(small.byteLength));
    await expectError(await post('small', new Uint8Array(small), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'payload_too_large');
    // 64 MiB of zeros in 64 KB against the default 1 MiB limit.
    const big = gzipSync(new Uint8Array(64 << 20), { level: 9 });
    await expectError(await post('main', new Uint8Array(big), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'payload_too_large');
  });

  test('a large compressed upload that inflates past the limit gets its 413, not a reset (streamed, 4 at once)', async () => {
    let x = 1;
    const hex = Array.from({ length: 1 << 20 }, () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16).toString(16).padStart(4, '0')).join('');
    const gz = new Uint8Array(gzipSync(`{"items": [{"id": "a"}], "pad": "${hex.slice(0, 2 << 20)}"}`));
    assert.ok(gz.byteLength > 900_000, String(gz.byteLength));
    const send = () => {
      let o = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (o >= gz.length) return ctrl.close();
          ctrl.enqueue(gz.slice(o, (o += 16384)));
        },
      });
      return h.fetch('main', '/v1/score', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body, duplex: 'half' } as RequestInit);
    };
    for (const res of await Promise.all([send(), send(), send(), send()])) await expectError(res, 413, 'payload_too_large');
  });

  test('corrupt gzip -> 400 invalid_body; an unsupported encoding -> 415 naming it', async () => {
    const bytes = gzipSync(JSON.stringify(ok));
    const corrupt = new Uint8Array(bytes.subarray(0, bytes.byteLength - 12));
    corrupt[12] ^= 0xff;
    await expectError(await post('main', corrupt, { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 400, 'invalid_body');
    const e = await expectError(await post('main', JSON.stringify(ok), { 'content-type': 'application/json', 'content-encoding': 'br' }), 415, 'unsupported_media_type');
    assert.match(e.message, /Content-Encoding br/);
    assert.deepEqual(workerErrors(), []);
  });

  test('a huge unknown key is echoed cut to 100 characters in message and path', async () => {
    const key = 'k'.repeat(900_000);
    for (const body of [{ ...ok, [key]: 1 }, { items: [item('a', { [key]: 1 })] }, { ...ok, rank: { weights: { [key]: 1 } } }]) {
      const res = await post('main', JSON.stringify(body));
      const text = await res.text();
      assert.equal(res.status, 400, text.slice(0, 200));
      assert.ok(text.length < 600, `error of ${text.length} bytes`);
      const j = JSON.parse(text) as ErrorJson;
      assert.ok(j.error.path.includes('k'.repeat(100)) && !j.error.path.includes('k'.repeat(101)), j.error.path);
      assert.ok(!j.error.message.includes('k'.repeat(101)), j.error.message);
    }
  });
});

describe('request shape', () => {
  const cases: [string, unknown, string, string | RegExp][] = [
    ['top level is an array', [ok], 'invalid_request', ''],
    ['top level is null', null, 'invalid_request', ''],
    ['top level is a string', 'items', 'invalid_request', ''],
    ['unknown top-level field', { ...ok, topk: 5 }, 'unknown_field', 'topk'],
    ['both lists empty', { items: [], coupons: [] }, 'no_candidates', 'items'],
    ['no lists at all', { user: { id: 'u' } }, 'no_candidates', 'items'],
    ['items not an array', { items: { id: 'i1' } }, 'invalid_request', 'items'],
    ['missing id', { items: [{ features: {} }] }, 'missing_field', 'items[0].id'],
    ['id not a string', { items: [{ id: 7 }] }, 'invalid_request', 'items[0].id'],
    ['empty id', { items: [{ id: '' }] }, 'invalid_request', 'items[0].id'],
    ['id too long', { items: [{ id: 'x'.repeat(513) }] }, 'invalid_request', 'items[0].id'],
    ['duplicate item ids', { items: [item('a'), item('b'), item('a')] }, 'duplicate_id', 'items[2].id'],
    ['duplicate coupon ids', { coupons: [item('c'), item('c')] }, 'duplicate_id', 'coupons[1].id'],
    ['unknown field on a candidate', { items: [{ id: 'a', feature: {} }] }, 'unknown_field', 'items[0].feature'],
    ['features not an object', { items: [{ id: 'a', features: [1, 2] }] }, 'invalid_request', 'items[0].features'],
    ['user not an object', { ...ok, user: 'u42' }, 'invalid_request', 'user'],
    ['user id not a string', { ...ok, user: { id: 42 } }, 'invalid_request', 'user.id'],
    ['unknown field on user', { ...ok, user: { id: 'u', name: 'x' } }, 'unknown_field', 'user.name'],
    ['context not an object', { ...ok, context: 'evening' }, 'invalid_request', 'context'],
    ['top_k zero', { ...ok, top_k: 0 }, 'invalid_request', 'top_k'],
    ['top_k fractional', { ...ok, top_k: 1.5 }, 'invalid_request', 'top_k'],
    ['top_k a string', { ...ok, top_k: '5' }, 'invalid_request', 'top_k'],
    ['rank formula unknown', { ...ok, rank: { formula: 'sum' } }, 'invalid_request', 'rank.formula'],
    ['rank weight negative', { ...ok, rank: { weights: { click: -1 } } }, 'invalid_request', 'rank.weights.click'],
    ['rank weight above 10', { ...ok, rank: { weights: { purchase: 11 } } }, 'invalid_request', 'rank.weights.purchase'],
    ['rank weight for an unknown task', { ...ok, rank: { weights: { ctr: 1 } } }, 'unknown_task', 'rank.weights.ctr'],
    ['unknown field in rank', { ...ok, rank: { weight: { click: 1 } } }, 'unknown_field', 'rank.weight'],
  ];
  for (const [name, body, code, path] of cases) {
    test(`${name} -> 400 ${code}`, async () => {
      await expectError(await post('main', JSON.stringify(body)), 400, code, path);
    });
  }
});

describe('feature values', () => {
  const cases: [string, unknown, string, string | RegExp][] = [
    ['unknown feature on an item', { items: [item('a', { colour: 'red' })] }, 'unknown_feature', 'items[0].features.colour'],
    ['unknown feature in the context', { ...ok, context: { weather: 'rain' } }, 'unknown_feature', 'context.weather'],
    ['unknown user feature', { ...ok, user: { features: { shoe_size: 42 } } }, 'unknown_feature', 'user.features.shoe_size'],
    ['a user feature on an item', { items: [item('a', { user_gender: 'f' })] }, 'unknown_feature', 'items[0].features.user_gender'],
    ['a coupon feature on an item', { items: [item('a', { coupon_discount: 0.1 })] }, 'unknown_feature', 'items[0].features.coupon_discount'],
    ['an item feature in the context', { ...ok, context: { item_price: 3 } }, 'unknown_feature', 'context.item_price'],
    ['candidate_kind from the caller', { items: [item('a', { candidate_kind: 'coupon' })] }, 'unknown_feature', 'items[0].features.candidate_kind'],
    ['__proto__ as a feature name', '{"items": [{"id": "a", "features": {"__proto__": {"x": 1}}}]}', 'unknown_feature', 'items[0].features.__proto__'],
    ['categorical given an object', { items: [item('a', { item_category: { name: 'shoes' } })] }, 'invalid_feature_value', 'items[0].features.item_category'],
    ['categorical given an array', { items: [item('a', { item_category: ['shoes'] })] }, 'invalid_feature_value', 'items[0].features.item_category'],
    ['categorical number overflowing to Infinity', '{"items": [{"id": "a", "features": {"item_category": 1e999}}]}', 'invalid_feature_value', 'items[0].features.item_category'],
    ['categorical string too long', { items: [item('a', { item_category: 'x'.repeat(1025) })] }, 'invalid_feature_value', 'items[0].features.item_category'],
    ['numeric "NaN"', { items: [item('a', { item_price: 'NaN' })] }, 'invalid_feature_value', 'items[0].features.item_price'],
    ['numeric "Infinity"', { items: [item('a', { item_rating: 'Infinity' })] }, 'invalid_feature_value', 'items[0].features.item_rating'],
    ['numeric "abc"', { items: [item('a', { item_price: 'abc' })] }, 'invalid_feature_value', 'items[0].features.item_price'],
    ['numeric "0x10"', { items: [item('a', { item_price: '0x10' })] }, 'invalid_feature_value', 'items[0].features.item_price'],
    ['numeric 1e999 (JSON overflow to Infinity)', '{"items": [{"id": "a", "features": {"item_rating": 1e999}}]}', 'invalid_feature_value', 'items[0].features.item_rating'],
    ['numeric far outside the training range', { items: [item('a', { item_rating: 1e12 })] }, 'invalid_feature_value', 'items[0].features.item_rating'],
    ['numeric given an array', { items: [item('a', { item_rating: [4] })] }, 'invalid_feature_value', 'items[0].features.item_rating'],
    ['numeric user feature out of range', { ...ok, user: { features: { user_price_sensitivity: -1e9 } } }, 'invalid_feature_value', 'user.features.user_price_sensitivity'],
    ['multi given a number', { ...ok, user: { features: { user_recent_categories: 5 } } }, 'invalid_feature_value', 'user.features.user_recent_categories'],
    ['multi with an object inside', { ...ok, user: { features: { user_recent_categories: ['a', { b: 1 }] } } }, 'invalid_feature_value', /^user\.features\.user_recent_categories/],
    ['multi with more than 1000 values', { ...ok, user: { features: { user_recent_categories: Array.from({ length: 1001 }, (_, i) => `c${i}`) } } }, 'invalid_feature_value', 'user.features.user_recent_categories'],
  ];
  for (const [name, body, code, path] of cases) {
    test(`${name} -> 400 ${code}`, async () => {
      const e = await expectError(await post('main', typeof body === 'string' ? body : JSON.stringify(body)), 400, code, path);
      if (code === 'unknown_feature') assert.match(e.message, /feature|server/);
    });
  }

  test('the messages say what is wrong', async () => {
    let e = await expectError(await post('main', JSON.stringify({ items: [item('a', { user_gender: 'f' })] })), 400, 'unknown_feature');
    assert.match(e.message, /"user_gender" is a user feature; it does not belong in item features/);
    e = await expectError(await post('main', JSON.stringify({ items: [item('a', { item_price: 'NaN' })] })), 400, 'invalid_feature_value');
    assert.match(e.message, /"NaN" is not a finite decimal number/);
    e = await expectError(await post('main', '{"items": [{"id": "a", "features": {"item_rating": 1e999}}]}'), 400, 'invalid_feature_value');
    assert.match(e.message, /finite/);
    e = await expectError(await post('main', JSON.stringify({ items: [item('a', { item_rating: 1e12 })] })), 400, 'invalid_feature_value');
    assert.match(e.message, /standard deviations from the training data \(limit 100\)/);
    // A derived match feature is the server's to compute, never an input.
    e = await expectError(await post('main', JSON.stringify({ items: [item('a', { item_category_in_user_recent_categories: 0.5 })] })), 400, 'unknown_feature', 'items[0].features.item_category_in_user_recent_categories');
    assert.match(e.message, /"item_category_in_user_recent_categories" is computed by the server from "item_category" and "user_recent_categories"/);
  });

  test('accepted value forms score (numeric strings, booleans, nulls, multi as string or list)', async () => {
    const res = await post(
      'main',
      JSON.stringify({
        user: { id: 'u', features: { user_age_band: 30, user_gender: null, user_recent_categories: 'a|b', user_price_sensitivity: ' 0.5 ' } },
        context: { hour: '13', device: true },
        items: [item('a', { item_price: '1e2', item_rating: null, item_category: 7 }), item('b', { item_price: -3, item_id: null })],
        coupons: [item('c', { coupon_discount: false, coupon_kind: '' })],
      }),
    );
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
  });
});

describe('limits', () => {
  test('more candidates than MAX_CANDIDATES -> 400 too_many_candidates (default 1000, var-configurable)', async () => {
    const many = (n: number, p = 'i') => Array.from({ length: n }, (_, i) => ({ id: `${p}${i}` }));
    await expectError(await post('main', JSON.stringify({ items: many(1001) })), 400, 'too_many_candidates', 'items');
    await expectError(await post('main', JSON.stringify({ items: many(600), coupons: many(401, 'c') })), 400, 'too_many_candidates');
    const res = await post('main', JSON.stringify({ items: many(600), coupons: many(400, 'c'), top_k: 3 }));
    assert.equal(res.status, 200);
    const j = (await res.json()) as { items: unknown[]; coupons: unknown[] };
    assert.equal(j.items.length, 3);
    assert.equal(j.coupons.length, 3);
    await expectError(await post('small', JSON.stringify({ items: many(6), coupons: many(5, 'c') })), 400, 'too_many_candidates');
    await expectError(await post('small', JSON.stringify({ items: many(10), top_k: 11 })), 400, 'invalid_request', 'top_k');
  });

  test('MAX_ABS_ZSCORE bounds numeric values', async () => {
    // item_rating: mean 4.1, std 0.6 in the test manifest -> limit 5 sd = [1.1, 7.1].
    await expectError(await post('small', JSON.stringify({ items: [item('a', { item_rating: 7.2 })] })), 400, 'invalid_feature_value', 'items[0].features.item_rating');
    const res = await post('small', JSON.stringify({ items: [item('a', { item_rating: 7.0 })] }));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});

describe('a broken model', () => {
  test('bytes that do not match the manifest: 503 on /healthz and /v1/score, with the reason, every time', async () => {
    for (let i = 0; i < 2; i++) {
      const hz = await h.fetch('mismatch', '/healthz');
      assert.equal(hz.status, 503);
      const j = (await hz.json()) as { status: string; error: { code: string; message: string } };
      assert.equal(j.status, 'unavailable');
      assert.equal(j.error.code, 'model_unavailable');
      assert.match(j.error.message, /bytes|sha256/);
      const e = await expectError(await post('mismatch', JSON.stringify(ok)), 503, 'model_unavailable');
      assert.equal(e.message, j.error.message);
    }
  });

  test('garbage that onnxruntime cannot load: 503 with onnxruntime\'s reason; bad input is still 400; /v1/model still answers', async () => {
    const e = await expectError(await post('corrupt', JSON.stringify(ok)), 503, 'model_unavailable');
    assert.match(e.message, /onnxruntime could not load the model/);
    const t0 = performance.now();
    const again = await expectError(await post('corrupt', JSON.stringify(ok)), 503, 'model_unavailable');
    assert.equal(again.message, e.message);
    assert.ok(performance.now() - t0 < 2000, 'the failure is cached, not retried');
    const hz = await h.fetch('corrupt', '/healthz');
    assert.equal(hz.status, 503);
    assert.match(((await hz.json()) as { error: { message: string } }).error.message, /onnxruntime/);
    await expectError(await post('corrupt', JSON.stringify({ items: [] })), 400, 'no_candidates');
    const m = await h.fetch('corrupt', '/v1/model');
    assert.equal(m.status, 200);
    await m.arrayBuffer();
  });

  test('a broken manifest.json: 503 everywhere it matters, /openapi.json still valid', async () => {
    const hz = await h.fetch('no-manifest', '/healthz');
    assert.equal(hz.status, 503);
    assert.match(((await hz.json()) as { error: { message: string } }).error.message, /manifest\.json is not JSON/);
    await expectError(await post('no-manifest', JSON.stringify(ok)), 503, 'model_unavailable');
    await expectError(await h.fetch('no-manifest', '/v1/model'), 503, 'model_unavailable');
    // Transport errors are still reported as such.
    await expectError(await post('no-manifest', 'nope'), 400, 'invalid_json');
    const doc = await h.fetch('no-manifest', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.ok(((await doc.json()) as { paths: Record<string, unknown> }).paths['/v1/score']);
  });

  test('the process and the healthy worker keep serving', async () => {
    const res = await post('main', JSON.stringify(ok));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const hz = await h.fetch('main', '/healthz');
    assert.equal(hz.status, 200);
    await hz.arrayBuffer();
  });
});
