// The model registry inside workerd (Miniflare's R2, the real bundle around the test model):
// versions published and routed with the operations of `npm run models`
// (scripts/models/registry.ts), loaded by the worker in the background. A swap under a steady
// request stream fails no request; A/B assignment follows the user-id hash (proportions over
// 10,000 ids, stickiness, the scoring version in the body and the header); shadow scoring
// leaves the response byte-identical and logs the divergence; a corrupt or missing version is
// reported and never served, a version routed before its upload is retried until it serves;
// rollback restores the previous routing.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activate as activateSplits, assign, bucketBounds, modelKey, nextDoc, ROUTING_KEY, type RoutingDoc, type Split } from '../functions/routing.ts';
import { activate, publish, readRouting, rollback, shadow, type ObjectStore } from '../scripts/models/registry.ts';
import { spearman, taskDivergence } from '../model/metrics/divergence.ts';
import { startWorkers, testWorker, type Harness, type TestWorker } from './helpers/worker-harness.ts';
import { addServingGraph, writeTestModel, type TestModel } from './helpers/worker-model.ts';
import { SERVING_FILE } from '../model/onnx/export-dir.ts';

let w: TestWorker;
let h: Harness;
let tmp: string;
let B: TestModel;
let C: TestModel;

const WORKERS = ['swap', 'ab', 'shadow', 'broken', 'late'] as const;

before(async () => {
  w = await testWorker();
  tmp = mkdtempSync(join(tmpdir(), 'edge-mtl-registry-'));
  B = writeTestModel(join(tmp, 'b'), 8);
  // B is published as exportModelDir writes a model now: with its serving graph, which the
  // registry stores and the worker loads in place of model.int8.onnx.
  await addServingGraph(B);
  C = writeTestModel(join(tmp, 'c'), 9);
  h = await startWorkers(w.built, [
    ...WORKERS.map((name) => ({ name, r2: `models-${name}`, bindings: { MODEL_ROUTING_TTL: '1' } })),
    { name: 'bad-ttl', r2: 'models-bad', bindings: { MODEL_ROUTING_TTL: '0' } },
    { name: 'bad-ttl-keyed', r2: 'models-bad-keyed', bindings: { MODEL_ROUTING_TTL: 'abc-secret', API_KEY: 'k-registry' } },
  ]);
});

after(async () => {
  await h?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The registry operations on a worker's Miniflare R2 bucket. */
async function storeOf(worker: string): Promise<ObjectStore> {
  const bucket = await h.mf.getR2Bucket('MODELS', worker);
  return {
    async get(key) {
      const o = await bucket.get(key);
      return o ? new Uint8Array(await o.arrayBuffer()) : null;
    },
    async put(key, bytes, contentType) {
      await bucket.put(key, bytes, { httpMetadata: { contentType } });
    },
  };
}

const A = () => w.model.manifest.version;

/** The text a worker logged, from one of workerd's structured log lines ({level, message}). */
function logMessage(line: string): string {
  try {
    const m = (JSON.parse(line) as { message?: unknown }).message;
    return typeof m === 'string' ? m : line;
  } catch {
    return line;
  }
}

function request(userId?: string) {
  return {
    ...(userId !== undefined ? { user: { id: userId, features: { user_age_band: '25-34', user_recent_categories: ['shoes', 'bags'] } } } : {}),
    context: { hour: 20, device: 'ios' },
    items: Array.from({ length: 12 }, (_, i) => ({ id: `i${i}`, features: { item_category: ['shoes', 'bags', 'toys'][i % 3], item_price: 5 + i * 7, item_rating: 3 + (i % 5) / 2 } })),
    coupons: [
      { id: 'c1', features: { coupon_kind: 'pct', coupon_discount: 0.1 } },
      { id: 'c2', features: { coupon_kind: 'flat', coupon_discount: 0.3 } },
    ],
  };
}

interface Status {
  serving: { routing: string | null; splits: Split[]; shadow: string | null };
  versions: { version: string; state: string; error?: string; retrying?: boolean; source: string }[];
}

async function status(worker: string): Promise<Status> {
  const r = await h.fetch(worker, '/v1/model');
  assert.equal(r.status, 200);
  const body = (await r.json()) as { registry?: Status };
  assert.ok(body.registry, '/v1/model reports the registry');
  return body.registry;
}

/** Polls /v1/model (each request also drives the routing reads) until `ok` holds. */
async function until(worker: string, ok: (s: Status) => boolean, what: string): Promise<Status> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await status(worker);
    if (ok(s)) return s;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scoreVersion(worker: string, userId?: string): Promise<{ status: number; version: string | null; header: string | null; text: string }> {
  const r = await h.score(worker, request(userId));
  const text = await r.text();
  const version = r.status === 200 ? (JSON.parse(text) as { model: { version: string } }).model.version : null;
  return { status: r.status, version, header: r.headers.get('x-model-version'), text };
}

describe('routing assignment (the function the worker uses)', () => {
  test('proportions within 1 point of the target over 10,000 ids, for several documents', () => {
    const docs: Split[][] = [
      activateSplits([{ version: 'a', percent: 100 }], 'b', 10),
      activateSplits([{ version: 'a', percent: 100 }], 'b', 50),
      activateSplits(activateSplits([{ version: 'a', percent: 100 }], 'b', 20), 'c', 5),
    ];
    for (const splits of docs) {
      const bounds = bucketBounds(splits);
      const counts = new Map<string, number>();
      for (let i = 0; i < 10_000; i++) {
        const v = splits[assign(splits, bounds, `user-${i}`)].version;
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      for (const s of splits) {
        const share = ((counts.get(s.version) ?? 0) / 10_000) * 100;
        assert.ok(Math.abs(share - s.percent) <= 1, `${s.version}: ${share.toFixed(2)}% for a target of ${s.percent}% (${JSON.stringify(splits)})`);
      }
    }
  });

  test('ramping a canary up keeps its users; the rest stay where they were', () => {
    const ten = activateSplits([{ version: 'a', percent: 100 }], 'b', 10);
    const fifty = activateSplits(ten, 'b', 50);
    assert.deepEqual(fifty, [{ version: 'a', percent: 50 }, { version: 'b', percent: 50 }]);
    let moved = 0;
    for (let i = 0; i < 10_000; i++) {
      const before = ten[assign(ten, bucketBounds(ten), `u${i}`)].version;
      const after = fifty[assign(fifty, bucketBounds(fifty), `u${i}`)].version;
      if (before === 'b') assert.equal(after, 'b', `u${i} left the canary when it grew`);
      if (before !== after) moved++;
    }
    assert.ok(moved > 3000 && moved < 5000, `${moved} users moved from a to b (about 40% expected)`);
  });

  test('shadow divergence: mean absolute difference and top-k rank correlation by hand', () => {
    assert.equal(spearman([1, 2, 3], [10, 20, 30]), 1);
    assert.equal(spearman([1, 2, 3], [3, 2, 1]), -1);
    const d = taskDivergence([0.9, 0.5, 0.1, 0.7], [0.8, 0.6, 0.1, 0.4], [0, 1, 2, 3], 3);
    assert.ok(Math.abs(d.mad! - (0.1 + 0.1 + 0 + 0.3) / 4) < 1e-12);
    // Live top 3: rows 0 (0.9), 3 (0.7), 1 (0.5); shadow gives them 0.8, 0.4, 0.6: ranks 3,1,2 vs 3,2,1.
    assert.equal(d.topk, 3);
    assert.ok(Math.abs(d.rank_corr! - 0.5) < 1e-12);
  });
});

describe('worker with a registry (Miniflare R2)', () => {
  test('a bad MODEL_ROUTING_TTL is a 503 config_error naming the var', async () => {
    const r = await h.score('bad-ttl', request('u1'));
    assert.equal(r.status, 503);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'config_error');
    assert.match(body.error.message, /MODEL_ROUTING_TTL: expected an integer/);
  });

  test('with an API key, a bad MODEL_ROUTING_TTL is reported only after auth, never with its value', async () => {
    const anon = await h.score('bad-ttl-keyed', request('u1'));
    assert.equal(anon.status, 401);
    assert.doesNotMatch(await anon.text(), /MODEL_ROUTING_TTL/);
    const r = await h.score('bad-ttl-keyed', request('u1'), { authorization: 'Bearer k-registry' });
    const text = await r.text();
    assert.equal(r.status, 503, text);
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'config_error');
    assert.match(body.error.message, /MODEL_ROUTING_TTL: expected an integer/);
    assert.ok(!text.includes('abc-secret'), text);
  });

  test('swap to a new version during a steady request stream: no failed request, then only the new version', async () => {
    const store = await storeOf('swap');
    const first = await scoreVersion('swap', 'u1');
    assert.equal(first.version, A(), 'without a routing document the bundled model serves');
    const seen: { version: string | null; status: number }[] = [];
    let stop = false;
    let bSince = 0;
    const loops = Array.from({ length: 3 }, async (_, k) => {
      for (let i = 0; !stop; i++) {
        const r = await scoreVersion('swap', `user-${k}-${i}`);
        seen.push(r);
        bSince = r.version === B.manifest.version ? bSince + 1 : 0;
        if (bSince >= 30) stop = true;
      }
    });
    const deadline = setTimeout(() => (stop = true), 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const entry = await publish(store, B.dir);
    assert.deepEqual(entry.file, { path: SERVING_FILE, bytes: B.manifest.files.serving!.bytes });
    assert.ok(await store.get(modelKey(B.manifest.version, SERVING_FILE)), 'publish stored no serving graph');
    await activate(store, B.manifest.version, 100);
    await Promise.all(loops);
    clearTimeout(deadline);
    const failed = seen.filter((r) => r.status !== 200);
    assert.equal(failed.length, 0, `${failed.length} of ${seen.length} requests failed`);
    assert.ok(bSince >= 30, `the new version did not take over (${seen.length} requests)`);
    const versions = new Set(seen.map((r) => r.version));
    assert.deepEqual([...versions].sort(), [A(), B.manifest.version].sort(), 'requests before the swap were served by the old version');
    const s = await status('swap');
    assert.equal(s.versions.find((v) => v.version === B.manifest.version)?.state, 'ready');
  });

  test('A/B: every user lands on the hashed version, sticky, named in body and header; rollback restores the previous routing', async () => {
    const store = await storeOf('ab');
    await publish(store, w.model.dir); // the bundled version, published too: served by the bundle
    await publish(store, B.dir);
    const base = await activate(store, A(), 100);
    const doc = await activate(store, B.manifest.version, 30);
    assert.equal(doc.previous, base.id);
    await until('ab', (s) => s.serving.routing === doc.id, 'the 70/30 routing');
    const bounds = bucketBounds(doc.splits);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) {
      const id = `shopper-${i}`;
      const want = doc.splits[assign(doc.splits, bounds, id)].version;
      const r = await scoreVersion('ab', id);
      assert.equal(r.status, 200);
      assert.equal(r.version, want, `${id}: body names ${r.version}, routing says ${want}`);
      assert.equal(r.header, want, `${id}: X-Model-Version`);
      if (i % 4 === 0) assert.equal((await scoreVersion('ab', id)).version, want, `${id} is not sticky`);
      counts[want === A() ? 'a' : 'b']++;
    }
    assert.ok(counts.a > 0 && counts.b > 0, JSON.stringify(counts));
    assert.equal((await scoreVersion('ab')).version, A(), 'no user id: the main version');

    const back = await rollback(store);
    assert.deepEqual(back, base, 'rollback puts the previous document back unchanged');
    assert.deepEqual(await readRouting(store), base);
    await until('ab', (s) => s.serving.routing === base.id, 'the rolled-back routing');
    for (let i = 0; i < 40; i++) assert.equal((await scoreVersion('ab', `shopper-${i}`)).version, A());
    await assert.rejects(rollback(store), /first one: nothing to roll back/);
  });

  test('shadow scoring leaves the response byte-identical and logs per-task divergence', async () => {
    const store = await storeOf('shadow');
    await publish(store, w.model.dir);
    await publish(store, B.dir);
    await activate(store, A(), 100);
    await until('shadow', (s) => s.serving.routing !== null, 'the first routing');
    const body = request('u-shadow');
    const plain = await h.score('shadow', body);
    const plainText = await plain.text();
    const withShadow = await shadow(store, B.manifest.version);
    await until('shadow', (s) => s.serving.routing === withShadow.id && s.serving.shadow === B.manifest.version, 'the shadow');
    const before = h.logs.length;
    const shadowed = await h.score('shadow', body);
    assert.equal(await shadowed.text(), plainText, 'the shadow changed the response');
    assert.equal(shadowed.headers.get('x-model-version'), A());
    // The log line arrives after the response.
    let line: string | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = h.logs.slice(before).map(logMessage).find((l) => l.includes('"event":"shadow"'));
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(line, 'no shadow log line');
    const log = JSON.parse(line.slice(line.indexOf('{'))) as { live: string; shadow: string; rows: number; tasks: Record<string, { rows: number; mad: number; topk: number; rank_corr: number | null }> };
    assert.equal(log.live, A());
    assert.equal(log.shadow, B.manifest.version);
    assert.equal(log.rows, 14);
    // The same divergence from the two versions' own responses (B serving the same request).
    const off = await shadow(store, null);
    const onB = await activate(store, B.manifest.version, 100);
    await until('shadow', (s) => s.serving.routing === onB.id, 'B at 100%');
    assert.equal(off.shadow, null);
    const bText = await (await h.score('shadow', body)).text();
    const live = JSON.parse(plainText) as { items: Record<string, number | string>[]; coupons: Record<string, number | string>[] };
    const other = JSON.parse(bText) as typeof live;
    for (const [task, kind] of [['click', 'items'], ['purchase', 'items'], ['redeem', 'coupons']] as const) {
      const p = new Map(other[kind].map((c) => [c.id, c[task] as number]));
      const mad = live[kind].reduce((t, c) => t + Math.abs((c[task] as number) - p.get(c.id as string)!), 0) / live[kind].length;
      assert.equal(log.tasks[task].rows, live[kind].length);
      assert.ok(Math.abs(log.tasks[task].mad - mad) < 1e-6, `${task}: logged mad ${log.tasks[task].mad}, from the responses ${mad}`);
      assert.ok(log.tasks[task].mad > 0, `${task}: the two versions should differ`);
    }
    assert.equal(log.tasks.click.topk, 10);
    assert.ok(log.tasks.click.rank_corr !== null && Math.abs(log.tasks.click.rank_corr) <= 1);
  });

  test('a corrupt version and a missing one are reported and never served', async () => {
    const store = await storeOf('broken');
    await publish(store, w.model.dir);
    await publish(store, C.dir);
    await activate(store, A(), 100);
    // Corrupt C's ONNX file in the bucket after publishing (its manifest keeps the real sha256).
    const key = `models/${C.manifest.version}/model.int8.onnx`;
    const bytes = (await store.get(key))!;
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await store.put(key, bytes, 'application/octet-stream');
    const bad = await activate(store, C.manifest.version, 50);
    const s = await until('broken', (x) => x.versions.some((v) => v.version === C.manifest.version && v.state === 'failed'), 'C to fail');
    const c = s.versions.find((v) => v.version === C.manifest.version)!;
    assert.match(c.error!, /sha256/);
    assert.equal(c.retrying, false, 'a sha256 mismatch is not retried');
    const after = await until('broken', (x) => x.serving.routing === bad.id, 'the routing with C to apply');
    assert.deepEqual(after.serving.splits.map((x) => x.version), [A(), A()], "C's share goes to the working main version");
    for (let i = 0; i < 60; i++) {
      const r = await scoreVersion('broken', `u${i}`);
      assert.equal(r.status, 200);
      assert.equal(r.version, A());
    }
    // A routing naming a version that was never uploaded (written directly: activate refuses it).
    const prev = (await readRouting(store)) as RoutingDoc;
    const missing = nextDoc(prev, { splits: [{ version: 'never-published', percent: 100 }] });
    await store.put(ROUTING_KEY, new TextEncoder().encode(JSON.stringify(missing)), 'application/json');
    const m = await until('broken', (x) => x.versions.some((v) => v.version === 'never-published' && v.state === 'failed'), 'the missing version to fail');
    const mv = m.versions.find((v) => v.version === 'never-published')!;
    assert.match(mv.error!, /not found/);
    assert.equal(mv.retrying, true, 'a missing object is retried (a publish may be under way)');
    for (let i = 0; i < 20; i++) assert.equal((await scoreVersion('broken', `u${i}`)).version, A());
    const health = await h.fetch('broken', '/healthz');
    assert.equal(health.status, 200);
    const hb = (await health.json()) as { version: string; registry: Status };
    assert.equal(hb.version, A());
    assert.ok(hb.registry.versions.some((v) => v.version === 'never-published' && v.state === 'failed'));
  });

  test('a version routed before its upload is retried with backoff and serves once it is there', async () => {
    const store = await storeOf('late');
    const doc = nextDoc(null, { splits: [{ version: B.manifest.version, percent: 100 }] });
    await store.put(ROUTING_KEY, new TextEncoder().encode(JSON.stringify(doc)), 'application/json');
    const s = await until('late', (x) => x.versions.some((v) => v.version === B.manifest.version && v.state === 'failed'), 'the not yet uploaded version to fail');
    assert.equal(s.versions.find((v) => v.version === B.manifest.version)!.retrying, true);
    assert.equal((await scoreVersion('late', 'u1')).version, A(), 'meanwhile the bundled model serves');
    await publish(store, B.dir);
    await until('late', (x) => x.versions.some((v) => v.version === B.manifest.version && v.state === 'ready'), 'the retry to load it');
    for (let i = 0; i < 20; i++) assert.equal((await scoreVersion('late', `u${i}`)).version, B.manifest.version);
  });
});
