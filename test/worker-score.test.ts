// The worker inside workerd (Miniflare, the real wrangler bundle around a test model built
// with our engine): probabilities equal onnxruntime-node's on the same rows encoded by the
// shared feature module; items and coupons in one request; user features from the request
// or KV (hit, miss, two real KV failures); ranking, top_k, weights; /v1/model, /openapi.json,
// /healthz, Server-Timing; API key; CORS; concurrency.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeRows } from '../model/features/encode.ts';
import type { RawRow, RawValue } from '../model/features/spec.ts';
import { createRunner, type OnnxRunner } from '../model/onnx/run.ts';
import { decodeModel } from '../model/onnx/proto.ts';
import { startWorkers, testWorker, type Harness, type TestWorker } from './helpers/worker-harness.ts';
import { buildTestModelBytes, testManifest } from './helpers/worker-model.ts';

type Features = Record<string, RawValue>;
interface Cand {
  id: string;
  features?: Features;
}
interface ScoreBody {
  user?: { id?: string; features?: Features };
  context?: Features;
  items?: Cand[];
  coupons?: Cand[];
  rank?: unknown;
  top_k?: number;
}
type Scored = { id: string; score: number } & Record<string, number>;
interface ScoreResponse {
  model: { version: string; quantization: string };
  rank: { formula: string; weights: Record<string, number> };
  items: Scored[];
  coupons: Scored[];
}

const CATEGORIES = ['shoes', 'bags', 'books', 'toys', 'garden', 'beauty', 'phones'];

/** A varied request: every value type the API accepts, context overrides, ids as features. */
function richRequest(nItems: number, nCoupons: number, seed = 1): ScoreBody {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const items: Cand[] = [];
  for (let i = 0; i < nItems; i++) {
    const f: Features = {};
    if (r() < 0.8) f.item_category = pick(CATEGORIES);
    if (r() < 0.9) f.item_price = r() < 0.2 ? String(Math.round(r() * 30000) / 100) : Math.round(r() * 50000) / 100;
    if (r() < 0.7) f.item_rating = r() < 0.1 ? null : 3 + r() * 2;
    if (r() < 0.1) f.item_id = `sku-${i}`; // explicit id feature instead of the candidate id
    if (r() < 0.1) f.device = 'android'; // per-candidate context override
    items.push({ id: `i${i}`, features: f });
  }
  const coupons: Cand[] = [];
  for (let i = 0; i < nCoupons; i++) {
    const f: Features = { coupon_kind: pick(['pct', 'flat', 'ship']) };
    if (r() < 0.8) f.coupon_discount = Math.round(r() * 40) / 100;
    coupons.push({ id: `c${i}`, features: f });
  }
  return {
    user: {
      id: 'u42',
      features: { user_age_band: '25-34', user_gender: 'f', user_recent_categories: 'shoes|bags|books', user_price_sensitivity: '0.7' },
    },
    context: { hour: 13, device: 'ios' },
    items,
    coupons,
  };
}

/** The rows the worker should encode, built by hand from the request (items, then coupons). */
function rowsOf(body: ScoreBody, userFeatures: Features | undefined): RawRow[] {
  const rows: RawRow[] = [];
  const base = (kind: 'item' | 'coupon', c: Cand): RawRow => ({
    user_id: body.user?.id,
    ...(userFeatures ?? {}),
    ...(body.context ?? {}),
    candidate_kind: kind,
    [`${kind}_id`]: c.id,
    ...(c.features ?? {}),
  });
  for (const c of body.items ?? []) rows.push(base('item', c));
  for (const c of body.coupons ?? []) rows.push(base('coupon', c));
  return rows;
}

// onnxruntime-node through the project's runner (model/onnx/run.ts), with the session config
// the exporter prescribes (SESSION_CONFIG: constant DequantizeLinear folded at start). With
// it native and wasm compute the same graph (~1e-7 apart); without it native onnxruntime
// rewrites int8 DequantizeLinear + MatMul pairs into its own integer kernels and drifts by
// ~1e-4 from what the worker (wasm) computes.
// The reference is the PER-ROW export of the same weights: the worker serves the
// request-shared one (user and context computed once per request, overriding candidates
// corrected), which must give the per-row graph's probabilities.
let runner: Promise<OnnxRunner> | null = null;

async function reference(w: TestWorker, body: ScoreBody, userFeatures: Features | undefined): Promise<Record<string, Float32Array>> {
  runner ??= createRunner(buildTestModelBytes(7, { quantization: 'int8', sharing: 'per-row' }), w.model.layout, { runtime: 'node' });
  return (await runner).run(encodeRows(w.model.layout, rowsOf(body, userFeatures)));
}

function assertMatches(res: ScoreResponse, body: ScoreBody, ref: Record<string, Float32Array>, tol = 1e-5) {
  const nItems = body.items?.length ?? 0;
  const byId = (l: Scored[]) => new Map(l.map((x) => [x.id, x]));
  const items = byId(res.items);
  const coupons = byId(res.coupons);
  (body.items ?? []).forEach((c, i) => {
    const got = items.get(c.id)!;
    assert.ok(got, `item ${c.id} missing`);
    for (const t of ['click', 'cart', 'purchase']) assert.ok(Math.abs(got[t] - ref[t][i]) <= tol, `${c.id}.${t}: worker ${got[t]} vs onnxruntime-node ${ref[t][i]}`);
    assert.equal(got.redeem, undefined);
  });
  (body.coupons ?? []).forEach((c, j) => {
    const got = coupons.get(c.id)!;
    assert.ok(got, `coupon ${c.id} missing`);
    assert.ok(Math.abs(got.redeem - ref.redeem[nItems + j]) <= tol, `${c.id}.redeem: worker ${got.redeem} vs onnxruntime-node ${ref.redeem[nItems + j]}`);
    assert.equal(got.click, undefined);
  });
}

function assertSorted(l: Scored[]) {
  for (let i = 1; i < l.length; i++) assert.ok(l[i - 1].score >= l[i].score, `not sorted at ${i}`);
}

let w: TestWorker;
let h: Harness;
// An AITM model over the same features and tasks, served by the same build (only the model
// bytes and the manifest differ): the worker is driven by the manifest, not by the architecture.
const aitmOnnx = buildTestModelBytes(8, { quantization: 'int8' }, 'aitm');
const aitmManifest = testManifest(aitmOnnx, 8, 'aitm', { quantization: 'int8' });
const KEY = 's3cret-key';
const AUTH = { authorization: `Bearer ${KEY}` };
// A localhost origin: Miniflare's own router refuses requests whose Origin is another host.
const ORIGIN = 'http://localhost:3000';

before(async () => {
  w = await testWorker();
  // Each worker costs a few seconds (workerd compiles the 14 MB ORT wasm per worker), so one
  // "alt" worker carries every non-default setting: API key, CORS, revenue ranking, var
  // weights, no KV binding.
  h = await startWorkers(w.built, [
    { name: 'main' },
    {
      name: 'alt',
      kv: false,
      bindings: { API_KEY: KEY, CORS_ORIGINS: ORIGIN, RANK_FORMULA: 'revenue', RANK_WEIGHTS: '{"redeem": 2}' },
    },
    { name: 'aitm', onnx: aitmOnnx, manifestText: JSON.stringify(aitmManifest) },
  ]);
});

after(async () => {
  await h?.dispose();
  await (await runner)?.release();
});

async function scoreOk(worker: string, body: unknown, headers?: Record<string, string>): Promise<{ res: Response; json: ScoreResponse }> {
  const res = await h.score(worker, body, headers);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return { res, json: JSON.parse(text) as ScoreResponse };
}

describe('scores', () => {
  test('healthz is 200 once the model is loaded', async () => {
    const res = await h.fetch('main', '/healthz');
    assert.equal(res.status, 200);
    const j = (await res.json()) as { status: string; version: string };
    assert.equal(j.status, 'ok');
    assert.equal(j.version, w.model.manifest.version);
  });

  test('items and coupons in one request equal onnxruntime-node on the same encoded rows (1e-5)', async () => {
    const body = richRequest(60, 15);
    const { res, json } = await scoreOk('main', body);
    assert.equal(json.model.version, w.model.manifest.version);
    assert.equal(json.model.quantization, 'int8');
    assert.equal(json.items.length, 60);
    assert.equal(json.coupons.length, 15);
    assert.equal(res.headers.get('x-user-features'), 'request');
    assertMatches(json, body, await reference(w, body, body.user!.features));
    assertSorted(json.items);
    assertSorted(json.coupons);
    // Default product fusion with weight 1 per task (wrangler vars are not set in this worker).
    for (const it of json.items) assert.ok(Math.abs(it.score - it.click * it.cart * it.purchase) < 1e-12);
    for (const c of json.coupons) assert.ok(Math.abs(c.score - c.redeem) < 1e-12);
  });

  test('the served model is the request-shared export', () => {
    const inputs = decodeModel(w.model.onnx).graph.input.map((v) => v.name);
    assert.ok(inputs.includes('req_cat') && inputs.includes('rows_item') && inputs.includes('ovr_rows_coupon'), inputs.join(', '));
  });

  test('request-shared path: no candidate overrides a user or context feature (1e-5 to the per-row graph)', async () => {
    const body = richRequest(80, 20, 11);
    for (const c of body.items!) delete c.features!.device;
    const { json } = await scoreOk('main', body);
    assertMatches(json, body, await reference(w, body, body.user!.features));
  });

  test('override path: candidates override context features, many of them differently (1e-5 to the per-row graph)', async () => {
    const body = richRequest(40, 10, 12);
    body.items!.forEach((c, i) => {
      if (i % 3 === 0) c.features!.hour = i % 24;
      if (i % 4 === 0) c.features!.device = i % 8 === 0 ? 'web' : 'android';
    });
    body.coupons![0].features!.device = 'web';
    const { json } = await scoreOk('main', body);
    assertMatches(json, body, await reference(w, body, body.user!.features));
  });

  test('an AITM model is served unchanged: its scores equal onnxruntime-node on the same rows (1e-5)', async () => {
    const body = richRequest(40, 10, 9);
    const { json } = await scoreOk('aitm', body);
    assert.equal(json.model.version, aitmManifest.version);
    const r = await createRunner(aitmOnnx, w.model.layout, { runtime: 'node' });
    try {
      assertMatches(json, body, await r.run(encodeRows(w.model.layout, rowsOf(body, body.user!.features))));
    } finally {
      await r.release();
    }
  });

  test('a request with only coupons, and one with a single item, also match', async () => {
    const only = { ...richRequest(0, 4, 3), items: [] };
    const a = await scoreOk('main', only);
    assert.equal(a.json.items.length, 0);
    assertMatches(a.json, only, await reference(w, only, only.user!.features));
    const one = { items: [{ id: 'solo', features: { item_price: 12 } }] };
    const b = await scoreOk('main', one);
    assert.equal(b.res.headers.get('x-user-features'), 'none');
    assertMatches(b.json, one, await reference(w, one, undefined));
  });

  test('Server-Timing names parse, features, inference and total', async () => {
    const { res } = await scoreOk('main', richRequest(5, 2));
    const st = res.headers.get('server-timing') ?? '';
    for (const m of ['parse', 'features', 'inference', 'total']) assert.match(st, new RegExp(`(^|, )${m};dur=\\d+(\\.\\d+)?`), st);
  });

  test('top_k cuts each list after sorting', async () => {
    const body = { ...richRequest(30, 8, 5), top_k: 5 };
    const full = await scoreOk('main', { ...body, top_k: undefined });
    const cut = await scoreOk('main', body);
    assert.equal(cut.json.items.length, 5);
    assert.equal(cut.json.coupons.length, 5);
    assert.deepEqual(cut.json.items, full.json.items.slice(0, 5));
    assert.deepEqual(cut.json.coupons, full.json.coupons.slice(0, 5));
  });

  test('rank weights override the defaults task by task, within [0, 10]', async () => {
    const body = richRequest(20, 5, 9);
    const { json } = await scoreOk('main', { ...body, rank: { weights: { click: 0, cart: 0, purchase: 2 } } });
    assert.deepEqual(json.rank, { formula: 'product', weights: { click: 0, cart: 0, purchase: 2, redeem: 1 } });
    for (const it of json.items) assert.ok(Math.abs(it.score - it.purchase ** 2) < 1e-12);
    assertSorted(json.items);
    // Ordering by purchase alone.
    const byPurchase = [...json.items].sort((a, b) => b.purchase - a.purchase).map((x) => x.id);
    assert.deepEqual(json.items.map((x) => x.id), byPurchase);
    const max = await scoreOk('main', { ...body, rank: { weights: { redeem: 10 } } });
    for (const c of max.json.coupons) assert.ok(Math.abs(c.score - c.redeem ** 10) <= 1e-12 * Math.max(1, c.score));
    for (const bad of [{ click: -0.5 }, { click: 10.01 }, { click: '1' }, { nope: 1 }]) {
      const res = await h.score('main', { ...body, rank: { weights: bad } });
      assert.equal(res.status, 400, JSON.stringify(bad));
      const j = (await res.json()) as { error: { code: string; path: string } };
      assert.match(j.error.path, /^rank\.weights\./);
    }
  });

  test('expected revenue: items score p(purchase) * item_price; coupons keep the product formula', async () => {
    const body = { items: [1, 2, 3, 4, 5, 6].map((k) => ({ id: `p${k}`, features: { item_price: k * 17.5, item_category: CATEGORIES[k] } })), coupons: [{ id: 'c1', features: { coupon_discount: 0.2 } }] };
    const { json } = await scoreOk('alt', body, AUTH);
    assert.equal(json.rank.formula, 'revenue');
    const price = new Map(body.items.map((i) => [i.id, i.features.item_price]));
    for (const it of json.items) assert.ok(Math.abs(it.score - it.purchase * price.get(it.id)!) < 1e-9);
    assertSorted(json.items);
    // RANK_WEIGHTS var: redeem weight 2.
    assert.ok(Math.abs(json.coupons[0].score - json.coupons[0].redeem ** 2) < 1e-12);
    // Per request: formula back to product on the same worker; or revenue on the default one.
    const p = await scoreOk('alt', { ...body, rank: { formula: 'product' } }, AUTH);
    assert.equal(p.json.rank.formula, 'product');
    const r = await scoreOk('main', { ...body, rank: { formula: 'revenue' } });
    for (const it of r.json.items) assert.ok(Math.abs(it.score - it.purchase * price.get(it.id)!) < 1e-9);
    // Revenue needs a price on every item.
    const res = await h.score('main', { items: [{ id: 'a', features: { item_price: 3 } }, { id: 'b', features: {} }], rank: { formula: 'revenue' } });
    assert.equal(res.status, 400);
    assert.deepEqual(((await res.json()) as { error: { code: string; path: string } }).error, {
      code: 'missing_price',
      message: 'the revenue formula needs a finite price >= 0 in item_price on every item',
      path: 'items[1].features.item_price',
    });
  });

  test('ties keep request order', async () => {
    const same = { item_price: 10, item_category: 'toys', item_id: 'same-sku' };
    const { json } = await scoreOk('main', { items: ['a', 'b', 'c', 'd'].map((id) => ({ id, features: same })) });
    assert.deepEqual(json.items.map((x) => x.id), ['a', 'b', 'c', 'd']);
  });

  test('concurrent requests on one isolate all succeed with the same answers', async () => {
    const body = richRequest(40, 10, 11);
    const one = await scoreOk('main', body);
    const all = await Promise.all(Array.from({ length: 12 }, () => scoreOk('main', body)));
    for (const r of all) assert.deepEqual(r.json, one.json);
  });
});

describe('user features from KV', () => {
  const stored = { user_age_band: '45-54', user_gender: 'm', user_recent_categories: ['toys', 'garden'], user_price_sensitivity: 0.2, some_future_feature: 'ignored' };

  before(async () => {
    const kv = await h.mf.getKVNamespace('USER_FEATURES', 'main');
    await kv.put('u-kv', JSON.stringify(stored));
    await kv.put('u-broken', '{"user_age_band": "25-34",');
    await kv.put('u-array', '[1, 2, 3]');
    await kv.put('u-badvalue', JSON.stringify({ user_price_sensitivity: 'lots' }));
    await kv.put('u-null', 'null');
  });

  test('hit: scores as if the stored features were in the request', async () => {
    const body = { user: { id: 'u-kv' }, context: { hour: 20 }, items: richRequest(12, 0, 4).items, coupons: [{ id: 'c', features: { coupon_kind: 'pct' } }] };
    const { res, json } = await scoreOk('main', body);
    assert.equal(res.headers.get('x-user-features'), 'kv-hit');
    const { some_future_feature: _ignored, ...known } = stored;
    assertMatches(json, body, await reference(w, body, known));
    assert.match(res.headers.get('server-timing') ?? '', /kv;dur=/);
    // And identical to sending them in the request.
    const inline = await scoreOk('main', { ...body, user: { id: 'u-kv', features: known } });
    assert.deepEqual(inline.json, json);
  });

  test('miss: manifest defaults (only the id feature is known)', async () => {
    const body = { user: { id: 'u-nobody' }, items: richRequest(6, 0, 2).items };
    const { res, json } = await scoreOk('main', body);
    assert.equal(res.headers.get('x-user-features'), 'kv-miss');
    assertMatches(json, body, await reference(w, body, undefined));
  });

  test('failure: a stored value that is not JSON -> defaults, kv-error', async () => {
    const body = { user: { id: 'u-broken' }, items: richRequest(6, 0, 2).items };
    const { res, json } = await scoreOk('main', body);
    assert.equal(res.headers.get('x-user-features'), 'kv-error');
    assertMatches(json, body, await reference(w, body, undefined));
  });

  test('failure: a key longer than KV allows (512 bytes) makes KV itself throw -> defaults, kv-error', async () => {
    const id = 'u'.repeat(600);
    const body = { user: { id }, items: richRequest(3, 0, 2).items };
    const { res, json } = await scoreOk('main', body);
    assert.equal(res.headers.get('x-user-features'), 'kv-error');
    assertMatches(json, body, await reference(w, body, undefined));
  });

  test('a stored value that is not an object of valid user features (also JSON null: an entry, not a miss) is kv-error too', async () => {
    for (const id of ['u-array', 'u-badvalue', 'u-null']) {
      const { res } = await scoreOk('main', { user: { id }, items: [{ id: 'x' }] });
      assert.equal(res.headers.get('x-user-features'), 'kv-error', id);
    }
  });

  test('no KV binding: defaults, no-kv', async () => {
    const { res } = await scoreOk('alt', { user: { id: 'u-kv' }, items: [{ id: 'x', features: { item_price: 1 } }] }, AUTH);
    assert.equal(res.headers.get('x-user-features'), 'no-kv');
  });
});

describe('metadata endpoints', () => {
  test('GET /v1/model: version, quantization, tasks, features, metrics', async () => {
    const res = await h.fetch('main', '/v1/model');
    assert.equal(res.status, 200);
    const j = (await res.json()) as Record<string, unknown> & { tasks: unknown[]; features: { name: string; entity: string; kind: string }[] };
    assert.equal(j.version, w.model.manifest.version);
    assert.equal(j.quantization, 'int8');
    assert.equal(j.quantizationScheme, w.model.manifest.files.int8!.quantization);
    // The test model was exported without a serving graph: it serves model.int8.onnx.
    const int8 = w.model.manifest.files.int8!;
    assert.deepEqual(j.file, { path: int8.path, sha256: int8.sha256, bytes: int8.bytes, optimizer: null });
    assert.deepEqual(j.tasks, [
      { name: 'click', appliesTo: 'item' },
      { name: 'cart', appliesTo: 'item', parent: 'click' },
      { name: 'purchase', appliesTo: 'item', parent: 'click' },
      { name: 'redeem', appliesTo: 'coupon' },
    ]);
    // Only what a client may send (candidate_kind is the server's); ranges etc.: worker-model-description.test.ts.
    assert.deepEqual(
      j.features.map((f) => ({ name: f.name, entity: f.entity, kind: f.kind })),
      w.model.manifest.features.filter((f) => f.name !== 'candidate_kind' && !('match' in f)).map((f) => ({ name: f.name, entity: f.entity, kind: f.kind })),
    );
    assert.deepEqual(j.metrics, w.model.manifest.metrics);
  });

  test('GET /openapi.json is an OpenAPI 3.1 document with /v1/score built from the request schema', async () => {
    const res = await h.fetch('main', '/openapi.json');
    assert.equal(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> }; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, { properties?: Record<string, unknown> } & Record<string, unknown>>; required?: string[] }> };
    };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/v1/score']?.post, 'POST /v1/score documented');
    assert.ok(doc.paths['/v1/model']?.get);
    assert.ok(doc.paths['/healthz']?.get);
    const ref = doc.paths['/v1/score'].post.requestBody!.content['application/json'].schema.$ref;
    assert.equal(ref, '#/components/schemas/ScoreRequest');
    for (const code of ['200', '400', '413', '415', '503']) assert.ok(doc.paths['/v1/score'].post.responses[code], `response ${code}`);
    const req = doc.components.schemas.ScoreRequest;
    assert.deepEqual(Object.keys(req.properties!).sort(), ['context', 'coupons', 'items', 'rank', 'top_k', 'user']);
    const item = doc.components.schemas.Item;
    const itemFeatures = Object.keys(item.properties!.features.properties!);
    assert.ok(itemFeatures.includes('item_price') && itemFeatures.includes('hour') && !itemFeatures.includes('user_gender'));
    assert.ok(!itemFeatures.includes('item_category_in_user_recent_categories'), 'a derived feature is not an input');
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [code, r] of Object.entries(op.responses)) assert.equal(typeof (r as { description?: unknown }).description, 'string', `${method} ${path} ${code}`);
      }
    }
    // Every $ref resolves.
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[m[1]], `dangling $ref ${m[1]}`);
  });
});

describe('API key', () => {
  const body = { items: [{ id: 'i1', features: { item_price: 5 } }] };

  test('not set: no header needed', async () => {
    await scoreOk('main', body);
  });

  test('set: missing or wrong -> 401; right -> 200; healthz and openapi stay open', async () => {
    const wrong: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${KEY.slice(0, -1)}` }, { authorization: `Basic ${KEY}` }, { authorization: KEY }];
    for (const headers of wrong) {
      const res = await h.score('alt', body, headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
    }
    const model = await h.fetch('alt', '/v1/model');
    assert.equal(model.status, 401);
    await model.arrayBuffer();
    await scoreOk('alt', body, AUTH);
    assert.equal((await h.fetch('alt', '/v1/model', { headers: { authorization: `bearer ${KEY}` } })).status, 200);
    assert.equal((await h.fetch('alt', '/healthz')).status, 200);
    assert.equal((await h.fetch('alt', '/openapi.json')).status, 200);
  });
});

describe('CORS', () => {
  test('off by default: no CORS headers', async () => {
    const { res } = await scoreOk('main', { items: [{ id: 'i' }] }, { origin: ORIGIN });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('CORS_ORIGINS: preflight and responses (also errors) carry the allowed origin', async () => {
    const pre = await h.fetch('alt', '/v1/score', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.ok(pre.status === 204 || pre.status === 200);
    assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
    await pre.arrayBuffer();
    const { res } = await scoreOk('alt', { items: [{ id: 'i', features: { item_price: 2 } }] }, { origin: ORIGIN, ...AUTH });
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Server-Timing/i);
    const bad = await h.score('alt', { items: [] }, { origin: ORIGIN, ...AUTH });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), ORIGIN);
    await bad.arrayBuffer();
    const unauthorized = await h.score('alt', { items: [{ id: 'i' }] }, { origin: ORIGIN });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('access-control-allow-origin'), ORIGIN);
    await unauthorized.arrayBuffer();
    const other = await h.score('alt', { items: [{ id: 'i', features: { item_price: 2 } }] }, { origin: 'http://127.0.0.1:9999', ...AUTH });
    assert.notEqual(other.headers.get('access-control-allow-origin'), 'http://127.0.0.1:9999');
    await other.arrayBuffer();
  });
});
