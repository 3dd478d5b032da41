// GET /v1/model lists what a client may send: not the server-set candidate_kind, each numeric
// feature with the raw range the z-score rule accepts (values just inside score, just outside
// are 400s), each categorical one with its first frequent training values; and the sample
// request `npm start` builds from it is accepted and does not score every candidate the same.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FeatureSpec } from '../model/features/spec.ts';
import type { ClientFeature } from '../functions/model-description.ts';
import { sampleRequest, type ModelDescription } from '../scripts/start/sample-request.ts';
import { startWorkers, testWorker, type Harness, type TestWorker } from './helpers/worker-harness.ts';

let w: TestWorker;
let h: Harness;
const CATEGORIES = ['shoes', 'bags', 'toys', 'books', 'garden', 'beauty', 'phones'];

before(async () => {
  w = await testWorker();
  const features = w.model.manifest.features.map((f): FeatureSpec => {
    if (f.name === 'item_category' || f.name === 'user_recent_categories') return { ...f, values: CATEGORIES } as FeatureSpec;
    if (f.name === 'coupon_kind') return { ...f, values: ['pct', 'flat'] } as FeatureSpec;
    return f;
  });
  h = await startWorkers(w.built, [{ name: 'm', manifestText: JSON.stringify({ ...w.model.manifest, features }), bindings: { MAX_ABS_ZSCORE: '4' } }]);
});
after(() => h?.dispose());

async function describeModel(): Promise<ModelDescription & { features: ClientFeature[] }> {
  const r = await h.fetch('m', '/v1/model');
  assert.equal(r.status, 200);
  return (await r.json()) as ModelDescription & { features: ClientFeature[] };
}

test('only client-sendable features, with numeric ranges and frequent categorical values', async () => {
  const m = await describeModel();
  assert.deepEqual(
    m.features.map((f) => f.name),
    w.model.manifest.features.map((f) => f.name).filter((n) => n !== 'candidate_kind' && n !== 'item_category_in_user_recent_categories'),
    'neither the server-set candidate_kind nor the derived match feature',
  );
  const byName = new Map(m.features.map((f) => [f.name, f]));
  assert.deepEqual(byName.get('item_category')!.values, CATEGORIES.slice(0, 5));
  assert.deepEqual(byName.get('coupon_kind')!.values, ['pct', 'flat']);
  assert.equal(byName.get('user_gender')!.values, undefined, 'no vocabulary in the manifest: no values');
  // identity, mean 0.5, std 0.25, 4 standard deviations.
  assert.deepEqual(byName.get('user_price_sensitivity')!.range, { min: -0.5, max: 1.5 });
  assert.equal(byName.get('user_price_sensitivity')!.typical, 0.5);
  // log1p, mean 3.2, std 1.1: t from -1.2 (below log1p(0): open) to 7.6.
  const price = byName.get('item_price')!;
  assert.equal(price.range!.min, null);
  assert.ok(Math.abs(price.range!.max! - Math.expm1(7.6)) < 1e-2, String(price.range!.max));
});

test('values just inside the reported range score, just outside are 400s naming the field', async () => {
  const m = await describeModel();
  const byName = new Map(m.features.map((f) => [f.name, f]));
  const maxPrice = byName.get('item_price')!.range!.max!;
  const { min, max } = byName.get('user_price_sensitivity')!.range!;
  const body = (sens: number, price: number) => ({ user: { id: 'u1', features: { user_price_sensitivity: sens } }, items: [{ id: 'i1', features: { item_price: price } }] });
  assert.equal((await h.score('m', body(min! + 1e-6, maxPrice * 0.999))).status, 200);
  assert.equal((await h.score('m', body(max! - 1e-6, -5))).status, 200, 'a negative log1p value is clamped, so accepted');
  for (const [b, path] of [
    [body(max! + 1e-3, 10), 'user.features.user_price_sensitivity'],
    [body(min! - 1e-3, 10), 'user.features.user_price_sensitivity'],
    [body(0.5, maxPrice * 1.01), 'items[0].features.item_price'],
  ] as const) {
    const r = await h.score('m', b);
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: { path: string } }).error.path, path);
  }
});

test("npm start's sample request, built from the description, is accepted and its candidates differ", async () => {
  const m = await describeModel();
  const req = sampleRequest(m) as { items: { features: Record<string, unknown> }[] };
  assert.ok(!JSON.stringify(req).includes('candidate_kind'));
  assert.notDeepEqual(req.items[0].features, req.items[1].features);
  const r = await h.score('m', req);
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as { items: { click: number }[] };
  assert.ok(new Set(body.items.map((i) => i.click)).size > 1, 'every candidate scored the same');
});
