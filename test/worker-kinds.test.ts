// Candidate kinds declared by the data: a CSV whose schema declares a third kind (ads, ranked by
// expected value) trains, exports and serves in workerd with no code for ads anywhere; its
// probabilities equal onnxruntime-node's for every kind; a list the model has no kind for is
// a 400 naming it; the generated requests of the bench, bench:worker, load and npm start
// carry ads it accepts, and the bench's Node-side rows are the worker's. The two-kind model
// of before (no kinds in its manifest) is served by the other worker tests unchanged. The
// model: helpers/kinds-model.ts.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeRows } from '../model/features/encode.ts';
import { kindsOf } from '../model/features/kinds.ts';
import { layoutOf } from '../model/features/layout.ts';
import type { RawRow, RawValue } from '../model/features/spec.ts';
import type { Manifest } from '../model/manifest.ts';
import { createRunner } from '../model/onnx/run.ts';
import { requestBody as benchWorkerBody } from '../scripts/bench-worker/request-body.ts';
import { encodeRequest, listOf, scoreRequest } from '../scripts/bench/requests.ts';
import { scoreContractViolation } from '../scripts/lib/score-contract.ts';
import { requestBody as loadBody, type LoadModelInfo } from '../scripts/load/request-body.ts';
import { sampleRequest, type ModelDescription } from '../scripts/start/sample-request.ts';
import { trainKindsModel, type KindsModel } from './helpers/kinds-model.ts';
import { startWorkers, testWorker, type Harness } from './helpers/worker-harness.ts';

type Scored = { id: string; score: number } & Record<string, number>;

let model: KindsModel | undefined;
let manifest: Manifest;
let onnx: Uint8Array;
let h: Harness;

before(async () => {
  model = await trainKindsModel();
  ({ manifest, onnx } = model);
  const w = await testWorker();
  // The worker serves the serving graph (files.serving), as a bundle of this model does; the
  // tests compare it with onnxruntime-node on model.int8.onnx.
  h = await startWorkers(w.built, [{ name: 'ads', onnx: model.serving, manifestText: JSON.stringify(manifest) }]);
});

after(async () => {
  await h?.dispose();
  model?.remove();
});

const body = {
  user: { id: 'u3', features: {} },
  context: { device: 'ios' },
  items: [0, 1, 2, 3].map((c) => ({ id: `i${c}`, features: { item_category: `c${c}` } })),
  coupons: [{ id: 'k1', features: { coupon_discount: 0.3 } }, { id: 'k2', features: { coupon_discount: 0.05 } }],
  ads: [0, 1, 2, 3, 4].map((a) => ({ id: `a${a}`, features: { ad_advertiser: `a${a}`, ad_bid: 0.5 + a / 4 } })),
};

describe('a model of three kinds declared by its CSV schema', () => {
  test('the manifest records the declared kinds; the built-in candidate_kind feature has a bucket for each', () => {
    assert.deepEqual(kindsOf(manifest).map((k) => [k.name, k.field]), [['item', 'items'], ['coupon', 'coupons'], ['ad', 'ads']]);
    const ck = manifest.features.find((f) => f.name === 'candidate_kind');
    assert.ok(ck && ck.kind === 'categorical' && ck.buckets === 7, JSON.stringify(ck));
    assert.deepEqual([...(ck.values ?? [])].sort(), ['ad', 'coupon', 'item']);
  });

  test('items, coupons and ads in one request equal onnxruntime-node on the same rows (1e-5); ads rank by p(ad_click) * ad_bid', async () => {
    const res = await h.score('ads', body);
    assert.equal(res.status, 200, await res.clone().text());
    const json = (await res.json()) as Record<string, Scored[]>;
    const layout = layoutOf(manifest.features);
    const rows: RawRow[] = [];
    const order: [string, string, string][] = [];
    for (const [kind, field] of [['item', 'items'], ['coupon', 'coupons'], ['ad', 'ads']] as const) {
      for (const c of body[field] as { id: string; features: Record<string, RawValue> }[]) {
        rows.push({ user_id: body.user.id, ...body.context, candidate_kind: kind, ...c.features });
        order.push([kind, field, c.id]);
      }
    }
    const runner = await createRunner(onnx, layout, { runtime: 'node' });
    let ref: Record<string, Float32Array>;
    try {
      ref = await runner.run(encodeRows(layout, rows));
    } finally {
      await runner.release();
    }
    order.forEach(([kind, field, id], row) => {
      const got = json[field].find((x) => x.id === id);
      assert.ok(got, `${field} lacks ${id}`);
      const tasks = manifest.tasks.filter((t) => t.appliesTo === kind);
      assert.ok(tasks.length >= 1);
      for (const t of tasks) assert.ok(Math.abs(got[t.name] - ref[t.name][row]) <= 1e-5, `${id}.${t.name}: worker ${got[t.name]} vs onnxruntime-node ${ref[t.name][row]}`);
      for (const t of manifest.tasks) if (t.appliesTo !== kind) assert.equal(got[t.name], undefined, `${id} carries ${t.name}`);
      if (kind === 'ad') {
        const bid = (body.ads.find((a) => a.id === id)!.features.ad_bid as number);
        assert.ok(Math.abs(got.score - ref.ad_click[row] * bid) <= 1e-5, `${id}: score ${got.score} vs p(click) * bid ${ref.ad_click[row] * bid}`);
      }
    });
    for (const l of Object.values(json).filter(Array.isArray)) for (let i = 1; i < l.length; i++) assert.ok(l[i - 1].score >= l[i].score);
  });

  test('GET /v1/model describes the kinds, their fields, tasks and value terms; OpenAPI has the ads list', async () => {
    const m = (await (await h.fetch('ads', '/v1/model')).json()) as { kinds: { name: string; field: string; tasks: string[]; value?: unknown }[]; file: unknown };
    assert.deepEqual(m.kinds.find((k) => k.name === 'ad'), { name: 'ad', field: 'ads', tasks: ['ad_click', 'ad_conversion'], value: [{ task: 'ad_click', feature: 'ad_bid' }] });
    // It serves the serving graph the export wrote (files.serving), and says so.
    const s = manifest.files.serving!;
    assert.deepEqual(m.file, { path: 'model.int8.optimized.onnx', sha256: s.sha256, bytes: s.bytes, optimizer: s.optimizer });
    assert.match(s.optimizer, /^onnxruntime-node \d+\.\d+\.\d+, level extended$/);
    type Obj = { properties: Record<string, unknown> };
    const api = (await (await h.fetch('ads', '/openapi.json')).json()) as { components: { schemas: Record<string, Obj> } };
    const schemas = api.components.schemas;
    assert.ok(schemas.ScoreRequest.properties.ads, Object.keys(schemas.ScoreRequest.properties).join(', '));
    assert.ok(schemas.ScoreResponse.properties.ads);
    assert.deepEqual(Object.keys((schemas.Ad.properties.features as Obj).properties).sort(), ['ad_advertiser', 'ad_bid', 'device']);
    assert.deepEqual(Object.keys(schemas.ScoredAd.properties).sort(), ['ad_click', 'ad_conversion', 'id', 'score']);
  });

  test('an ad without its bid is a 400 naming the field; a list of an undeclared kind is a 400 naming it', async () => {
    const noBid = await h.score('ads', { ads: [{ id: 'a1', features: { ad_advertiser: 'a1' } }] });
    assert.equal(noBid.status, 400);
    assert.equal(((await noBid.json()) as { error: { path: string } }).error.path, 'ads[0].features.ad_bid');
    const unknown = await h.score('ads', { ...body, videos: [{ id: 'v1' }] });
    assert.equal(unknown.status, 400);
    const e = ((await unknown.json()) as { error: { code: string; path: string; message: string } }).error;
    assert.equal(e.path, 'videos');
    assert.match(e.message, /videos/);
    const wrongPlace = await h.score('ads', { ads: [{ id: 'a1', features: { ad_bid: 1, item_category: 'c1' } }] });
    assert.equal(wrongPlace.status, 400);
    assert.match(((await wrongPlace.json()) as { error: { message: string } }).error.message, /item feature/);
  });

  test('the bench, bench:worker, load and npm start sample requests carry ads the worker accepts; encodeRequest rows are the worker\'s rows (1e-5)', async () => {
    const info = (await (await h.fetch('ads', '/v1/model')).json()) as LoadModelInfo;
    const bench = await scoreRequest(manifest, 60, 2);
    const bodies: [string, Record<string, unknown>][] = [
      ['bench', bench],
      ['bench:worker', benchWorkerBody(manifest, 60, 2)],
      ['load', loadBody(info, 60, 2)],
    ];
    for (const [name, b] of bodies) {
      const res = await h.score('ads', b);
      assert.equal(res.status, 200, `${name}: ${await res.clone().text()}`);
      const json = (await res.json()) as Record<string, Scored[]>;
      assert.equal(scoreContractViolation(json, b, manifest.tasks, kindsOf(manifest)), null, name);
      assert.deepEqual(['items', 'coupons', 'ads'].map((f) => json[f].length), [42, 12, 6], name);
    }
    // npm start's sample request: three of the first kind, two of every other, ads with their bid.
    const sample = sampleRequest(info as unknown as ModelDescription);
    const res = await h.score('ads', sample);
    assert.equal(res.status, 200, await res.clone().text());
    const answered = (await res.json()) as Record<string, Scored[]>;
    assert.equal(scoreContractViolation(answered, sample, manifest.tasks, kindsOf(manifest)), null);
    assert.deepEqual(['items', 'coupons', 'ads'].map((f) => answered[f].length), [3, 2, 2]);
    // The bench's Node-side rows must be the worker's: same order (kind by kind in the model's
    // kind order), same encoding. Probabilities of row r belong to the r-th candidate of that order.
    const layout = layoutOf(manifest.features);
    const json = (await (await h.score('ads', bench)).json()) as Record<string, Scored[]>;
    const runner = await createRunner(onnx, layout, { runtime: 'node' });
    let ref: Record<string, Float32Array>;
    try {
      ref = await runner.run(encodeRequest(manifest, layout, bench));
    } finally {
      await runner.release();
    }
    let row = 0;
    for (const k of kindsOf(manifest)) {
      for (const c of listOf(bench, k.field)) {
        const got = json[k.field].find((x) => x.id === c.id)!;
        for (const t of manifest.tasks.filter((t) => t.appliesTo === k.name)) {
          assert.ok(Math.abs(got[t.name] - ref[t.name][row]) <= 1e-5, `${k.field} ${c.id}.${t.name}: worker ${got[t.name]} vs row ${row} ${ref[t.name][row]}`);
        }
        row++;
      }
    }
    assert.equal(row, 60);
  });
});
