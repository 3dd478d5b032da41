// Match features (model/features/match.ts): which pairs get one, the share by hand, the layout's
// checks, fitting in prepare, and the worker's encoding of candidates that set a field of one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRows, matchShare } from '../model/features/encode.ts';
import { layoutOf } from '../model/features/layout.ts';
import { isClientInput, matchFeatures } from '../model/features/match.ts';
import { CANDIDATE_KIND_FEATURE, type FeatureSpec, type MultiFeature } from '../model/features/spec.ts';
import type { DataSource, Example } from '../model/data/source.ts';
import { assembleBatch } from '../model/serving/assemble.ts';
import { prepare } from '../model/train/prepare.ts';

const recent: MultiFeature = { name: 'recent', entity: 'user', kind: 'multi', buckets: 64, maxLen: 4, separator: '|', vocabulary: 'cat' };

test('matchShare: the share of the most recent maxLen values equal to the key; missing key or list -> NaN', () => {
  assert.equal(matchShare(recent, 'a|b|a|c', 'a'), 0.5);
  assert.equal(matchShare(recent, ['a', 'b', 'a', 'c'], 'c'), 0.25);
  assert.equal(matchShare(recent, 'a|b|a|c', 'z'), 0);
  // Only the 4 most recent of 6 values count, as the encoder keeps them: b, a, c, a.
  assert.equal(matchShare(recent, 'a|a|b|a|c|a', 'a'), 0.5);
  // Values compare as the encoder's canonical strings: 3 and '3' and ' 3' are one value.
  assert.equal(matchShare(recent, [3, 4], '3'), 0.5);
  assert.equal(matchShare(recent, 'x| 3', 3), 0.5);
  assert.ok(Number.isNaN(matchShare(recent, 'a|b', null)));
  assert.ok(Number.isNaN(matchShare(recent, 'a|b', '')));
  assert.ok(Number.isNaN(matchShare(recent, null, 'a')));
  assert.ok(Number.isNaN(matchShare(recent, '', 'a')));
});

test('matchFeatures: one per user / context list and candidate key of the same vocabulary', () => {
  const specs: FeatureSpec[] = [
    recent,
    { name: 'session_items', entity: 'context', kind: 'multi', buckets: 64, maxLen: 5, separator: '|', vocabulary: 'item' },
    { name: 'item_tags', entity: 'item', kind: 'multi', buckets: 64, maxLen: 3, separator: '|', vocabulary: 'cat' },
    { name: 'user_home_cat', entity: 'user', kind: 'categorical', buckets: 64, vocabulary: 'cat' },
    { name: 'item_cat', entity: 'item', kind: 'categorical', buckets: 64, vocabulary: 'cat' },
    { name: 'ad_cat', entity: 'ad', kind: 'categorical', buckets: 64, vocabulary: 'cat' },
    { name: 'item_id', entity: 'item', kind: 'categorical', buckets: 64, vocabulary: 'item' },
    { name: 'item_brand', entity: 'item', kind: 'categorical', buckets: 64 },
    CANDIDATE_KIND_FEATURE,
  ];
  const m = matchFeatures(specs);
  assert.deepEqual(
    m.map((f) => [f.name, f.entity, f.match]),
    [
      ['item_cat_in_recent', 'item', { list: 'recent', key: 'item_cat' }],
      ['ad_cat_in_recent', 'ad', { list: 'recent', key: 'ad_cat' }],
      ['item_id_in_session_items', 'item', { list: 'session_items', key: 'item_id' }],
    ],
    'no pair with a candidate list, a user key or a field without the vocabulary',
  );
  assert.ok(m.every((f) => f.kind === 'numeric' && f.transform === 'identity' && !isClientInput(f)));
  assert.ok(specs.every((s) => isClientInput(s) === (s !== CANDIDATE_KIND_FEATURE)));
  // A declared feature of the same name wins.
  const declared: FeatureSpec = { name: 'item_cat_in_recent', entity: 'item', kind: 'numeric', transform: 'identity', mean: 0, std: 1 };
  assert.deepEqual(matchFeatures([...specs, declared]).map((f) => f.name), ['ad_cat_in_recent', 'item_id_in_session_items']);
});

test('layout: a match feature must name a multi-valued list and a categorical key', () => {
  const cat: FeatureSpec = { name: 'cat', entity: 'item', kind: 'categorical', buckets: 64, vocabulary: 'cat' };
  const ok = layoutOf([recent, cat, ...matchFeatures([recent, cat])]);
  assert.equal(ok.matchLists[0]?.name, 'recent');
  const bad = (match: { list: string; key: string }) => layoutOf([recent, cat, { name: 'm', entity: 'item', kind: 'numeric', transform: 'identity', mean: 0, std: 1, match }]);
  assert.throws(() => bad({ list: 'cat', key: 'cat' }), /feature "m": its list "cat" is not a multi-valued feature/);
  assert.throws(() => bad({ list: 'recent', key: 'nope' }), /feature "m": its key "nope" is not a categorical feature/);
});

/** Rows whose label follows the match: click when the item's category is in the user's recent ones. */
function source(): DataSource {
  const cats = ['a', 'b', 'c', 'd'];
  return {
    name: 'toy',
    features: [recent, { name: 'cat', entity: 'item', kind: 'categorical', buckets: 64, vocabulary: 'cat' }],
    tasks: [{ name: 'click', appliesTo: 'item' }],
    *examples(): Iterable<Example> {
      for (let i = 0; i < 400; i++) {
        const hist = [cats[i % 4], cats[(i >> 2) % 4], cats[(i >> 4) % 4]];
        const cat = i % 7 === 0 ? null : cats[(i * 3) % 4];
        yield { features: { recent: hist.join('|'), cat }, labels: [cat !== null && hist.includes(cat) ? 1 : 0], kind: 'item', group: String(i % 9), time: i };
      }
    },
    describe: () => ({}),
  } as DataSource;
}

test('prepare adds the match features after the declared ones and fits their mean and std (no bins)', () => {
  const d = prepare(source());
  assert.deepEqual(d.features.map((f) => f.name), ['recent', 'cat', 'cat_in_recent']);
  const m = d.features[2];
  assert.ok(m.kind === 'numeric' && m.match);
  // Standardised, never binned (a bin field would widen every dot interaction).
  assert.equal(m.edges, undefined);
  assert.ok(d.layout.numericBins.every((b) => b === null));
  // Mean and std over the rows with a category (the share is missing without one).
  const shares: number[] = [];
  for (const ex of source().examples('train')) if (ex.features.cat !== null) shares.push(matchShare(recent, ex.features.recent, ex.features.cat));
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  assert.ok(Math.abs(m.mean - mean) < 1e-12);
  // The encoded value is the standardised share, and a missing key is the training mean (0).
  const L = d.layout;
  const b = encodeRows(L, [{ recent: 'a|b|a', cat: 'a' }, { recent: 'a|b|a', cat: null }]);
  assert.ok(Math.abs(b.num[0] - (2 / 3 - m.mean) / m.std) < 1e-6);
  assert.equal(b.num[1], 0);
  assert.deepEqual(prepare(source(), { numericBins: 32, matchFeatures: false }).features.map((f) => f.name), ['recent', 'cat']);
});

test('the worker computes a match from the request: key from the candidate or its id, list from the user or a candidate override', () => {
  const specs: FeatureSpec[] = [
    { name: 'user_id', entity: 'user', kind: 'categorical', buckets: 64 },
    { ...recent, entity: 'context' },
    { name: 'viewed', entity: 'user', kind: 'multi', buckets: 64, maxLen: 3, separator: '|', vocabulary: 'item' },
    CANDIDATE_KIND_FEATURE,
    { name: 'item_id', entity: 'item', kind: 'categorical', buckets: 64, vocabulary: 'item' },
    { name: 'cat', entity: 'item', kind: 'categorical', buckets: 64, vocabulary: 'cat' },
  ];
  const L = layoutOf([...specs, ...matchFeatures(specs)]);
  assert.deepEqual(L.numeric.map((s) => s.name), ['cat_in_recent', 'item_id_in_viewed']);
  const batch = assembleBatch(L, {
    userId: 'u1',
    user: { viewed: 'i2|i9|i2' },
    context: { recent: 'a|b|a|c' },
    candidates: [
      { id: 'i2', kind: 'item', features: { cat: 'a' } },
      { id: 'i3', kind: 'item', features: { cat: 'c', recent: 'c|c' } },
      { id: 'i9', kind: 'item' },
      { id: 'c1', kind: 'coupon', features: {} },
    ],
  });
  const rows = [
    { user_id: 'u1', viewed: 'i2|i9|i2', recent: 'a|b|a|c', candidate_kind: 'item', item_id: 'i2', cat: 'a' },
    { user_id: 'u1', viewed: 'i2|i9|i2', recent: 'c|c', candidate_kind: 'item', item_id: 'i3', cat: 'c' },
    { user_id: 'u1', viewed: 'i2|i9|i2', recent: 'a|b|a|c', candidate_kind: 'item', item_id: 'i9' },
    { user_id: 'u1', viewed: 'i2|i9|i2', recent: 'a|b|a|c', candidate_kind: 'coupon' },
  ];
  assert.deepEqual(batch, encodeRows(L, rows));
  // By hand (mean 0, std 1): a in a|b|a|c 0.5, c in the override c|c 1, no category missing;
  // i2 viewed 2 of 3 times, i3 never, i9 once; a coupon has no item id.
  assert.deepEqual(Array.from(batch.num), [0.5, Math.fround(2 / 3), 1, 0, 0, Math.fround(1 / 3), 0, 0]);
});
