// The candidate mix of the generated requests (scripts/lib/candidate-mix.ts) and the three
// builders that use it (bench's scripts/bench/requests.ts, bench:worker's and load's
// request-body.ts): the default two-kind model keeps the 80% items / 20% coupons of before
// exactly; a third kind gets 10% from the first kind's share; counts add up to n; kinds without
// a task get nothing; value features (an ad's bid, and a value the model does not use) are
// present and >= 0 on every ad. The worker answering these requests (and encodeRequest's row
// order against the worker's): worker-kinds.test.ts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KindSpec } from '../model/features/kinds.ts';
import type { FeatureSpec, TaskSpec } from '../model/features/spec.ts';
import { requestBody as benchWorkerBody } from '../scripts/bench-worker/request-body.ts';
import { scoreRequest, withContextOverrides } from '../scripts/bench/requests.ts';
import { candidateCounts, withValueFeatures, type Candidate, type KindsDescription } from '../scripts/lib/candidate-mix.ts';
import { requestBody as loadBody } from '../scripts/load/request-body.ts';
import { testFeatures, testTasks } from './helpers/worker-model.ts';
import { isClientInput } from '../model/features/match.ts';

const ADS: KindSpec = { name: 'ad', field: 'ads', value: [{ task: 'ad_click', feature: 'ad_bid' }, { task: 'ad_conversion', feature: 'ad_value' }] };
const THREE: KindSpec[] = [{ name: 'item', field: 'items' }, { name: 'coupon', field: 'coupons' }, ADS];
// ad_bid is a model feature whose generated values can be negative (identity, mean 0.3, std 1);
// ad_value is only a ranking input (not a model feature).
const adFeatures: FeatureSpec[] = [
  { name: 'ad_id', entity: 'ad', kind: 'categorical', buckets: 64 },
  { name: 'ad_advertiser', entity: 'ad', kind: 'categorical', buckets: 16 },
  { name: 'ad_bid', entity: 'ad', kind: 'numeric', transform: 'identity', mean: 0.3, std: 1 },
];
const adTasks: TaskSpec[] = [
  { name: 'ad_click', appliesTo: 'ad' },
  { name: 'ad_conversion', appliesTo: 'ad', parent: 'ad_click' },
];
const defaultModel = { features: testFeatures, tasks: testTasks };
const threeKinds = { features: [...testFeatures, ...adFeatures], tasks: [...testTasks, ...adTasks], kinds: THREE };

const counts = (m: KindsDescription, n: number) => Object.fromEntries(candidateCounts(m, n).map((c) => [c.kind.field, c.count]));

test('the default two kinds: coupons Math.round(n * 0.2), items the rest, as every figure before was measured', () => {
  assert.deepEqual(counts(defaultModel, 10), { items: 8, coupons: 2 });
  assert.deepEqual(counts(defaultModel, 100), { items: 80, coupons: 20 });
  assert.deepEqual(counts(defaultModel, 1000), { items: 800, coupons: 200 });
  assert.deepEqual(counts(defaultModel, 1), { items: 1, coupons: 0 });
  for (let n = 1; n <= 2000; n++) {
    const c = counts(defaultModel, n);
    assert.equal(c.coupons, Math.round(n * 0.2), `n = ${n}`);
    assert.equal(c.items, n - Math.round(n * 0.2), `n = ${n}`);
  }
  // A model with a task for one kind only: that kind gets every candidate.
  assert.deepEqual(counts({ tasks: [{ appliesTo: 'coupon' }] }, 50), { coupons: 50 });
  assert.deepEqual(counts({ tasks: [{ appliesTo: 'item' }] }, 50), { items: 50 });
});

test('a third kind gets 10% from the first kind; kinds without a task get none; the counts always add up to n', () => {
  assert.deepEqual(counts(threeKinds, 100), { items: 70, coupons: 20, ads: 10 });
  assert.deepEqual(counts(threeKinds, 10), { items: 7, coupons: 2, ads: 1 });
  assert.deepEqual(counts(threeKinds, 1000), { items: 700, coupons: 200, ads: 100 });
  assert.deepEqual(counts(threeKinds, 1), { items: 1, coupons: 0, ads: 0 });
  // Declared but without a task (a list of it would be a 400): not in the mix.
  assert.deepEqual(counts({ kinds: THREE, tasks: testTasks }, 100), { items: 80, coupons: 20 });
  // The first kind with a task gets the bulk even when it is not the first declared.
  assert.deepEqual(counts({ kinds: THREE, tasks: [...adTasks, { name: 'redeem', appliesTo: 'coupon' }] }, 100), { coupons: 80, ads: 20 });
  // Twelve kinds: the further shares shrink so that the first keeps 10%.
  const many: KindSpec[] = Array.from({ length: 12 }, (_, i) => ({ name: `k${i}`, field: `k${i}s` }));
  const manyModel = { kinds: many, tasks: many.map((k) => ({ appliesTo: k.name })) };
  assert.equal(counts(manyModel, 1000).k0s, 100);
  for (const m of [threeKinds, manyModel, defaultModel]) {
    for (let n = 1; n <= 500; n++) {
      const c = Object.values(counts(m, n));
      assert.equal(c.reduce((a, b) => a + b, 0), n, `n = ${n}`);
      assert.ok(c.every((x) => Number.isInteger(x) && x >= 0), `n = ${n}: ${c.join(', ')}`);
    }
  }
});

test('withValueFeatures: a generated number kept as its absolute value, a missing or non-numeric one the fallback', () => {
  assert.deepEqual(withValueFeatures(ADS, { ad_bid: -0.4, ad_advertiser: 'a1' }, 2), { ad_bid: 0.4, ad_advertiser: 'a1', ad_value: 2 });
  assert.deepEqual(withValueFeatures(ADS, { ad_bid: 'x', ad_value: 3 }, 1.5), { ad_bid: 1.5, ad_value: 3 });
  assert.deepEqual(withValueFeatures({ name: 'item', field: 'items' }, { item_price: -1 }, 1), { item_price: -1 });
});

type Body = Record<string, unknown>;
type Model = { features: FeatureSpec[]; tasks: TaskSpec[]; kinds?: KindSpec[] };
const builders: [string, (m: Model, n: number, seed: number) => Promise<Body> | Body][] = [
  ['bench (scripts/bench/requests.ts)', (m, n, seed) => scoreRequest(m, n, seed)],
  ['bench:worker', (m, n, seed) => benchWorkerBody(m, n, seed)],
  // npm run load reads the features from GET /v1/model, which lists only the client inputs.
  ['load', (m, n, seed) => loadBody({ ...m, features: m.features.filter(isClientInput), limits: { maxCandidates: 1000 } }, n, seed)],
];
const listsOf = (b: Body) => Object.keys(b).filter((k) => k !== 'user' && k !== 'context');

for (const [name, build] of builders) {
  test(`${name}: three kinds -> items, coupons and ads (70 / 20 / 10 of 100), every ad with a bid and a value >= 0`, async () => {
    const b = await build(threeKinds, 100, 3);
    assert.deepEqual(listsOf(b), ['items', 'coupons', 'ads']);
    const lists = b as Record<string, Candidate[]>;
    assert.deepEqual([lists.items.length, lists.coupons.length, lists.ads.length], [70, 20, 10]);
    for (const [field, list] of Object.entries(lists).filter(([k]) => k !== 'user' && k !== 'context')) {
      assert.equal(new Set(list.map((c) => c.id)).size, list.length, `${field}: ids unique`);
    }
    for (const ad of lists.ads) {
      for (const f of ['ad_bid', 'ad_value']) {
        const v = ad.features[f];
        assert.ok(typeof v === 'number' && Number.isFinite(v) && v >= 0, `${ad.id}.${f} = ${String(v)}`);
      }
      assert.equal(typeof ad.features.ad_advertiser, 'string', `${ad.id}: the kind's own features are generated`);
      assert.equal(ad.features.ad_id, undefined, 'the id feature comes from the id');
    }
    // Items carry item features, not an ad's value terms.
    assert.equal(lists.items[0].features.ad_bid, undefined);
    assert.notEqual(lists.items[0].features.item_category, undefined);
  });

  test(`${name}: the default two kinds -> 80 items and 20 coupons of 100 and no other list`, async () => {
    const b = await build(defaultModel, 100, 3);
    assert.deepEqual(listsOf(b), ['items', 'coupons']);
    const lists = b as Record<string, Candidate[]>;
    assert.deepEqual([lists.items.length, lists.coupons.length], [80, 20]);
    assert.match(lists.items[0].id, /^i/);
    assert.match(lists.coupons[0].id, /^c/);
    assert.ok(lists.items.every((c) => !('item_category_in_user_recent_categories' in c.features)), 'no derived match feature in a request');
  });
}

test('withContextOverrides: every 10th candidate of the bulk kind (from the 6th on) overrides device and hour; other lists unchanged', async () => {
  const req = await scoreRequest(threeKinds, 100, 1);
  const o = withContextOverrides(threeKinds, req);
  const items = o.items as Candidate[];
  assert.deepEqual(items.flatMap((c, i) => (c.features.hour === i % 24 && (c.features.device === 'web' || c.features.device === 'android') ? [i] : [])), [5, 15, 25, 35, 45, 55, 65]);
  assert.equal(o.ads, req.ads);
  assert.equal(o.coupons, req.coupons);
});
