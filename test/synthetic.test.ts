// The synthetic shop: determinism, funnel invariants, rates, time splits, long tail,
// encodability, label / trueProb agreement. The Bayes ceiling next to baselines at the default
// size is printed by scripts/synthetic-diagnostics.ts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AD_CLICK, AD_CONVERSION, CART, CLICK, PURCHASE, REDEEM, TASK_COUNT } from '../model/data/synthetic/behaviour.ts';
import { HISTORY_LEN } from '../model/data/synthetic/vocabulary.ts';
import { KINDS, VOCABULARIES } from '../model/data/synthetic/features.ts';
import { syntheticShop, type SyntheticShop } from '../model/data/synthetic/shop.ts';
import { DAYS, T0 } from '../model/data/synthetic/timeline.ts';
import type { Example, Split } from '../model/data/source.ts';
import { bucketOf, fieldSeed } from '../model/features/hash.ts';
import { layoutOf } from '../model/features/layout.ts';
import { encodeRows } from '../model/features/encode.ts';
import type { FeatureSpec, NumericFeature } from '../model/features/spec.ts';
import { NumericStats } from '../model/features/stats.ts';

const TASKS = ['click', 'cart', 'purchase', 'redeem', 'ad_click', 'ad_conversion'];
const SPLITS: Split[] = ['train', 'valid', 'test'];

function take<T>(it: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of it) {
    if (out.length >= n) break;
    out.push(x);
  }
  return out;
}

function all(shop: SyntheticShop): Example[] {
  return SPLITS.flatMap((s) => [...shop.examples(s)]);
}

// One 100k-row shop shared by the invariant tests.
const ROWS = 100_000;
let cached: { shop: SyntheticShop; rows: Example[] } | undefined;
function small() {
  if (!cached) {
    const shop = syntheticShop({ rows: ROWS, seed: 7 });
    cached = { shop, rows: all(shop) };
  }
  return cached;
}

test('tasks and features follow the contract', () => {
  const { shop } = small();
  assert.deepEqual(
    shop.tasks.map((t) => [t.name, t.appliesTo, t.parent]),
    [
      ['click', 'item', undefined],
      ['cart', 'item', 'click'],
      ['purchase', 'item', 'click'],
      ['redeem', 'coupon', undefined],
      ['ad_click', 'ad', undefined],
      ['ad_conversion', 'ad', 'ad_click'],
    ],
  );
  // The simulator's per-task arrays are indexed by these constants, in the order of the tasks.
  assert.deepEqual([CLICK, CART, PURCHASE, REDEEM, AD_CLICK, AD_CONVERSION].map((i) => shop.tasks[i].name), TASKS);
  assert.equal(TASK_COUNT, TASKS.length);
  // Three kinds, declared to the manifest; ads are ranked by p(ad_click) x their bid.
  assert.deepEqual(shop.kinds, KINDS);
  assert.deepEqual(
    shop.kinds.map((k) => [k.name, k.field]),
    [
      ['item', 'items'],
      ['coupon', 'coupons'],
      ['ad', 'ads'],
    ],
  );
  assert.deepEqual(shop.kinds[2].value, [{ task: 'ad_click', feature: 'ad_bid' }]);
  const names = shop.features.map((f) => f.name);
  for (const n of ['user_id', 'user_recent_categories', 'candidate_kind', 'item_id', 'item_price', 'coupon_id', 'coupon_min_spend', 'ad_id', 'ad_advertiser', 'ad_bid']) {
    assert.ok(names.includes(n), n);
  }
  for (const f of shop.features) assert.ok(['user', 'context', ...shop.kinds.map((k) => k.name)].includes(f.entity), `${f.name}: entity ${f.entity}`);
  for (const f of shop.features) {
    if (f.kind === 'numeric') assert.deepEqual([f.mean, f.std], [0, 1], f.name);
  }
  // Every value of the small vocabularies lands in its own bucket, even unfitted. Except
  // candidate_kind, whose buckets kinds.ts sizes so that the fitted vocabulary holds every kind.
  for (const [field, values] of Object.entries(VOCABULARIES)) {
    const spec = shop.features.find((f) => f.name === field);
    assert.ok(spec && spec.kind !== 'numeric', field);
    if (field === 'candidate_kind') {
      assert.deepEqual(values, shop.kinds.map((k) => k.name));
      assert.ok(spec.buckets >= 2 * values.length + 1, `candidate_kind: ${spec.buckets} buckets`);
      continue;
    }
    const buckets = new Set(values.map((v) => bucketOf(v, spec.buckets, fieldSeed(spec.vocabulary ?? field))));
    assert.equal(buckets.size, values.length, `bucket collision in ${field}`);
  }
  const d = shop.describe();
  assert.equal(d.rows, ROWS);
  assert.equal(d.seed, 7);
});

test('deterministic: same seed gives identical examples, another seed differs', () => {
  const a = syntheticShop({ rows: 20_000, seed: 3 });
  const b = syntheticShop({ rows: 20_000, seed: 3 });
  const c = syntheticShop({ rows: 20_000, seed: 4 });
  for (const split of SPLITS) {
    const ea = take(a.examples(split), 1500);
    assert.deepEqual(take(b.examples(split), 1500), ea, split);
    // A second pass over the same source restarts the stream.
    assert.deepEqual(take(a.examples(split), 1500), ea, `${split} again`);
    const ec = take(c.examples(split), 1500);
    const same = ea.filter((e, i) => JSON.stringify(e) === JSON.stringify(ec[i])).length;
    assert.ok(same < 10, `${split}: ${same} identical rows across seeds`);
  }
  // Full-pass equality on one split (cheap at this size).
  assert.deepEqual([...a.examples('test')], [...b.examples('test')]);
});

test('funnel invariants and masks', () => {
  const { shop, rows } = small();
  const fieldsOf = (kind: string) => shop.features.filter((s) => s.entity === kind).map((s) => s.name);
  const binary = (v: unknown) => v === 0 || v === 1;
  for (const ex of rows) {
    const [click, cart, purchase, redeem, adClick, adConversion] = ex.labels;
    const f = ex.features;
    assert.equal(f.candidate_kind, ex.kind);
    assert.equal(ex.group, f.user_id);
    // A row's tasks are labelled exactly when they apply to its kind.
    shop.tasks.forEach((t, i) => assert.equal(ex.labels[i] !== null, t.appliesTo === ex.kind, `${ex.kind} row, ${t.name}`));
    for (const t of ex.labels) assert.ok(t === null || binary(t));
    // The other kinds' fields are missing.
    for (const k of shop.kinds) if (k.name !== ex.kind) for (const name of fieldsOf(k.name)) assert.equal(f[name], null, `${ex.kind} row, ${name}`);
    if (ex.kind === 'item') {
      if (click === 0) assert.deepEqual([cart, purchase], [0, 0]);
      assert.equal(typeof f.item_id, 'string');
      assert.equal(typeof f.item_price, 'number');
    } else if (ex.kind === 'ad') {
      if (adClick === 0) assert.equal(adConversion, 0, 'an ad converts only after a click');
      for (const k of ['ad_id', 'ad_advertiser', 'ad_category', 'ad_format']) assert.equal(typeof f[k], 'string', k);
      assert.ok(typeof f.ad_bid === 'number' && f.ad_bid > 0, `ad_bid ${f.ad_bid}`);
    } else {
      assert.ok(binary(redeem));
      assert.equal(typeof f.coupon_id, 'string');
    }
    const hist = String(f.user_recent_categories).split('|');
    assert.equal(hist.length, HISTORY_LEN);
  }
});

test('true probabilities are in (0, 1), funnel-consistent, and 0 on masked tasks', () => {
  const { rows } = small();
  for (const ex of rows) {
    const p = ex.trueProb!;
    assert.equal(p.length, TASKS.length);
    for (let t = 0; t < TASKS.length; t++) {
      if (ex.labels[t] === null) assert.equal(p[t], 0);
      else assert.ok(p[t] > 0 && p[t] < 1, `${TASKS[t]} ${p[t]}`);
    }
    if (ex.kind === 'item') assert.ok(p[CART] <= p[CLICK] && p[PURCHASE] <= p[CLICK]);
    if (ex.kind === 'ad') assert.ok(p[AD_CONVERSION] <= p[AD_CLICK]);
  }
});

test('positive rates are in the intended ranges and match the true probabilities', () => {
  const { rows } = small();
  const zeros = () => TASKS.map(() => 0);
  const n = zeros();
  const pos = zeros();
  const sumP = zeros();
  const varP = zeros();
  let coupons = 0;
  let ads = 0;
  for (const ex of rows) {
    if (ex.kind === 'coupon') coupons++;
    if (ex.kind === 'ad') ads++;
    for (let t = 0; t < TASKS.length; t++) {
      const y = ex.labels[t];
      if (y === null) continue;
      const p = ex.trueProb![t];
      n[t]++;
      pos[t] += y;
      sumP[t] += p;
      varP[t] += p * (1 - p);
    }
  }
  const rate = pos.map((x, t) => x / n[t]);
  console.log(
    `  rates on ${ROWS} rows: ` +
      TASKS.map((t, i) => `${t} ${(100 * rate[i]).toFixed(2)}% (true ${((100 * sumP[i]) / n[i]).toFixed(2)}%)`).join(', ') +
      `, coupon rows ${((100 * coupons) / rows.length).toFixed(1)}%, ad rows ${((100 * ads) / rows.length).toFixed(1)}%`,
  );
  const share = coupons / rows.length;
  assert.ok(share > 0.14 && share < 0.2, `coupon share ${share}`);
  assert.ok(ads / rows.length > 0.06 && ads / rows.length < 0.1, `ad share ${ads / rows.length}`);
  assert.ok(rate[0] > 0.03 && rate[0] < 0.05, `click ${rate[0]}`);
  assert.ok(rate[1] > 0.006 && rate[1] < 0.016, `cart ${rate[1]}`);
  assert.ok(rate[2] > 0.0025 && rate[2] < 0.008, `purchase ${rate[2]}`);
  assert.ok(rate[3] > 0.05 && rate[3] < 0.1, `redeem ${rate[3]}`);
  assert.ok(rate[4] > 0.035 && rate[4] < 0.065, `ad_click ${rate[4]}`);
  assert.ok(rate[5] > 0.005 && rate[5] < 0.016, `ad_conversion ${rate[5]}`);
  // Sampled labels agree with trueProb: the count of positives is a sum of independent
  // Bernoullis with mean sum(p) and variance sum(p (1 - p)).
  for (let t = 0; t < TASKS.length; t++) {
    const z = (pos[t] - sumP[t]) / Math.sqrt(varP[t]);
    assert.ok(Math.abs(z) < 4, `${TASKS[t]}: z = ${z.toFixed(2)}`);
  }
  // Children of click: positives only among clicks, at the calibrated conditional rates.
  const clicks = rows.filter((e) => e.labels[0] === 1);
  const cartGivenClick = clicks.filter((e) => e.labels[1] === 1).length / clicks.length;
  const purchaseGivenClick = clicks.filter((e) => e.labels[2] === 1).length / clicks.length;
  assert.ok(cartGivenClick > 0.15 && cartGivenClick < 0.4, `cart | click ${cartGivenClick}`);
  assert.ok(purchaseGivenClick > 0.06 && purchaseGivenClick < 0.2, `purchase | click ${purchaseGivenClick}`);
  const adClicks = rows.filter((e) => e.labels[AD_CLICK] === 1);
  const conversionGivenClick = adClicks.filter((e) => e.labels[AD_CONVERSION] === 1).length / adClicks.length;
  assert.ok(conversionGivenClick > 0.1 && conversionGivenClick < 0.3, `ad_conversion | ad_click ${conversionGivenClick}`);
});

test('time-ordered stream, 80/10/10 time splits', () => {
  const { shop } = small();
  const sizes = SPLITS.map((s) => [...shop.examples(s)].length);
  assert.deepEqual(sizes, [80_000, 10_000, 10_000]);
  let prev = -Infinity;
  const bounds: number[][] = [];
  for (const split of SPLITS) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const ex of shop.examples(split)) {
      assert.ok(ex.time >= prev, 'time goes backwards');
      prev = ex.time;
      lo = Math.min(lo, ex.time);
      hi = Math.max(hi, ex.time);
    }
    bounds.push([lo, hi]);
  }
  assert.ok(bounds[0][0] >= T0 && bounds[2][1] < T0 + DAYS * 86400);
  assert.ok(bounds[0][1] <= bounds[1][0] && bounds[1][1] <= bounds[2][0]);
  // The whole period is covered, with hours and weekdays consistent with the time.
  assert.ok(bounds[0][0] - T0 < 3600 && T0 + DAYS * 86400 - bounds[2][1] < 3600);
  for (const ex of take(shop.examples('valid'), 2000)) {
    const d = new Date(ex.time * 1000);
    assert.equal(ex.features.hour, d.getUTCHours());
    assert.equal(ex.features.weekday, ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][d.getUTCDay()]);
  }
});

test('long tail: most items are rare, users repeat', () => {
  const { rows } = small();
  const train = rows.slice(0, 80_000);
  const items = new Map<string, number>();
  const users = new Map<string, number>();
  for (const ex of train) {
    if (ex.kind === 'item') items.set(ex.features.item_id as string, (items.get(ex.features.item_id as string) ?? 0) + 1);
    users.set(ex.group, (users.get(ex.group) ?? 0) + 1);
  }
  const counts = [...items.values()];
  const rare = counts.filter((c) => c <= 3).length / counts.length;
  const top = Math.max(...counts);
  console.log(`  train (80k rows): ${counts.length} distinct items, ${(100 * rare).toFixed(0)}% seen <= 3 times, top item ${top} rows; ${users.size} users`);
  assert.ok(rare > 0.5, `only ${rare} of items seen <= 3 times`);
  assert.ok(top < 0.02 * train.length, `top item ${top}`);
  const u = [...users.values()].sort((a, b) => b - a);
  assert.ok(u[0] > 5 * u[u.length >> 1], 'user activity should be long-tailed');
});

test('every row encodes with the shared encoder, without NaN', () => {
  const { shop, rows } = small();
  const specs: FeatureSpec[] = shop.features.map((s) => ({ ...s }));
  const stats = new Map(specs.filter((s): s is NumericFeature => s.kind === 'numeric').map((s) => [s.name, new NumericStats(s.transform)]));
  for (const ex of rows.slice(0, 80_000)) for (const [name, st] of stats) st.add(ex.features[name]);
  for (const s of specs) {
    if (s.kind !== 'numeric') continue;
    const r = stats.get(s.name)!.result();
    assert.ok(r.count > 0 && Number.isFinite(r.mean) && r.std > 0, s.name);
    s.mean = r.mean;
    s.std = r.std;
  }
  const layout = layoutOf(specs);
  const b = encodeRows(
    layout,
    rows.map((e) => e.features),
  );
  assert.equal(b.n, rows.length);
  for (const v of b.num) assert.ok(Number.isFinite(v));
  for (const v of b.cat) assert.ok(Number.isInteger(v) && v >= 0 && v < layout.tableRows);
  for (const m of b.multi) for (const v of m) assert.ok(v > 0 && v < layout.tableRows); // history always full
  // A kind's id is missing (bucket 0 of its field) exactly on the other kinds' rows.
  const C = layout.catWidth;
  for (const kind of ['item', 'coupon', 'ad']) {
    const col = layout.categorical.findIndex((s) => s.name === `${kind}_id`);
    for (let i = 0; i < rows.length; i++) assert.equal(b.cat[i * C + col] === layout.offsets[`${kind}_id`], rows[i].kind !== kind, `${kind}_id on row ${i}`);
  }
});

test('streams large sizes without materialising them', () => {
  const big = syntheticShop({ rows: 5_000_000 });
  const [start, end] = big.splitRange('test');
  assert.deepEqual([start, end], [4_500_000, 5_000_000]);
  const first = take(big.examples('test'), 1000);
  assert.equal(first.length, 1000);
  assert.ok(first[0].time >= T0 + 12 * 86400);
});

test('ads follow the same taste and context as items: a category in the history is clicked more, on items and ads alike', () => {
  const { rows } = small();
  const lift = (kind: string, catField: string, task: number) => {
    const seen = [0, 0];
    const pos = [0, 0];
    for (const ex of rows) {
      if (ex.kind !== kind) continue;
      const inHistory = String(ex.features.user_recent_categories).split('|').includes(String(ex.features[catField])) ? 1 : 0;
      seen[inHistory]++;
      pos[inHistory] += ex.trueProb![task];
    }
    return pos[1] / seen[1] / (pos[0] / seen[0]);
  };
  const item = lift('item', 'item_category', CLICK);
  const ad = lift('ad', 'ad_category', AD_CLICK);
  console.log(`  p(click) lift when the category is in the history: items ${item.toFixed(2)}x, ads ${ad.toFixed(2)}x`);
  assert.ok(item > 1.5 && ad > 1.5, `lifts ${item} / ${ad}`);
  // The bid buys a better slot (clicks) but comes with pricier products (conversions per click drop for price-sensitive users).
  const ads = rows.filter((e) => e.kind === 'ad');
  const median = [...ads.map((e) => e.features.ad_bid as number)].sort((a, b) => a - b)[ads.length >> 1];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const hi = ads.filter((e) => (e.features.ad_bid as number) > median);
  const lo = ads.filter((e) => (e.features.ad_bid as number) <= median);
  assert.ok(mean(hi.map((e) => e.trueProb![AD_CLICK])) > mean(lo.map((e) => e.trueProb![AD_CLICK])), 'higher bids get more clicks');
  const cvr = (xs: Example[]) => mean(xs.map((e) => e.trueProb![AD_CONVERSION] / e.trueProb![AD_CLICK]));
  assert.ok(cvr(hi) < cvr(lo), 'higher bids convert less per click');
});
