// The shared feature module: stable hashing, layout offsets, shared vocabularies, encoding
// defaults (missing values, padding, truncation), and numeric statistics.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRows, normalise } from '../model/features/encode.ts';
import { bucketOf, fieldSeed, hash32 } from '../model/features/hash.ts';
import { layoutOf, PADDING_ROW } from '../model/features/layout.ts';
import type { CategoricalFeature, FeatureSpec } from '../model/features/spec.ts';
import { NumericStats } from '../model/features/stats.ts';

test('hash32 is stable (fixed values) and spreads nearby strings', () => {
  // Values pinned so that a change of the hash (which would silently break served models) fails here.
  assert.equal(hash32('u1'), 612938007);
  assert.equal(hash32('shoes', fieldSeed('cat')), 1139670120);
  assert.notEqual(hash32('u1'), hash32('u2'));
  assert.equal(bucketOf('', 100, 7), 0, 'empty string is the missing bucket');
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(bucketOf(`u${i}`, 4096, fieldSeed('user_id')));
  assert.ok(seen.size > 850, `1000 ids over 4096 buckets should rarely collide, got ${seen.size} distinct`);
});

const specs: FeatureSpec[] = [
  { name: 'user_id', entity: 'user', kind: 'categorical', buckets: 50 },
  { name: 'hist', entity: 'user', kind: 'multi', buckets: 30, maxLen: 3, separator: '|', vocabulary: 'cat' },
  { name: 'item_cat', entity: 'item', kind: 'categorical', buckets: 30, vocabulary: 'cat' },
  { name: 'price', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 1, std: 2 },
];

test('layout: row 0 is padding, fields own disjoint ranges, a shared vocabulary shares rows', () => {
  const L = layoutOf(specs);
  assert.equal(L.offsets.user_id, 1);
  assert.equal(L.offsets.item_cat, 51);
  assert.equal(L.offsets.hist, L.offsets.item_cat);
  assert.equal(L.tableRows, 1 + 50 + 30);
  const b = encodeRows(L, [{ hist: ['shoes'], item_cat: 'shoes' }]);
  assert.equal(b.multi[0][0], b.cat[1], 'the same category is the same row in both fields');
  assert.throws(() => layoutOf([...specs.slice(0, 2), { ...(specs[2] as CategoricalFeature), buckets: 31 }]), /share vocabulary "cat" but not their bucket count/);
  assert.throws(() => layoutOf([specs[0], specs[0]]), /declared twice/);
});

test('encoding defaults: missing -> bucket 0 / padding / training mean; the latest values are kept', () => {
  const L = layoutOf(specs);
  const b = encodeRows(L, [{}, { user_id: 'u1', hist: 'a|b|c|d', price: 'abc' }, { user_id: null, hist: [], price: Infinity }]);
  assert.equal(b.cat[0], L.offsets.user_id, 'missing categorical -> the field bucket 0');
  assert.deepEqual([...b.multi[0].subarray(0, 3)], [PADDING_ROW, PADDING_ROW, PADDING_ROW]);
  assert.equal(b.num[0], 0);
  // 4 values, maxLen 3: the last three (b, c, d) in order.
  const last3 = encodeRows(L, [{ hist: 'b|c|d' }]).multi[0];
  assert.deepEqual([...b.multi[0].subarray(3, 6)], [...last3]);
  assert.equal(b.num[1], 0, 'an unparsable number is missing, never NaN');
  assert.equal(b.cat[4], L.offsets.user_id, 'null is missing');
  assert.equal(b.num[2], 0, 'Infinity is missing');
  // log1p(e - 1) = 1 -> (1 - mean 1) / std 2 = 0; log1p(e^3 - 1) = 3 -> (3 - 1) / 2 = 1
  assert.ok(Math.abs(normalise(specs[3] as never, Math.E ** 3 - 1) - 1) < 1e-12);
  assert.equal(normalise(specs[3] as never, -5), (Math.log1p(0) - 1) / 2, 'log1p clamps negatives at 0');
});

test('numeric statistics: mean and sample std by hand, constant column gets std 1', () => {
  const s = new NumericStats('identity');
  for (const x of [1, 2, 3, 4, 'x', null, NaN]) s.add(x);
  const r = s.result();
  // mean 2.5; sample variance ((1.5^2 + 0.5^2) * 2) / 3 = 5/3
  assert.equal(r.count, 4);
  assert.ok(Math.abs(r.mean - 2.5) < 1e-12);
  assert.ok(Math.abs(r.std - Math.sqrt(5 / 3)) < 1e-12);
  const c = new NumericStats('identity');
  c.add(7);
  c.add(7);
  assert.deepEqual(c.result(), { mean: 7, std: 1, count: 2 });
});
