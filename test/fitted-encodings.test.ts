// Fitted encodings: numeric features' quantile bins (edges fitted on training values, the bin
// of a raw value, where the bin lands in the model's inputs), categorical vocabularies, and
// that a data set on which a task cannot be learned or scored is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocBatch, binOf, encodeRowInto } from '../model/features/encode.ts';
import { embeddingRow, layoutOf } from '../model/features/layout.ts';
import type { FeatureSpec } from '../model/features/spec.ts';
import { QuantileSketch, VocabularyCounter } from '../model/features/stats.ts';
import type { DataSource, Example } from '../model/data/source.ts';
import { prepare } from '../model/train/prepare.ts';

test('binOf: 0 for missing, else 1 + the number of edges <= x', () => {
  const e = [1, 5, 20];
  assert.deepEqual([null, undefined, '', 'abc', NaN, Infinity].map((v) => binOf(e, v)), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([-3, 0.99, 1, 4.9, 5, 19, 20, 1e9].map((v) => binOf(e, v)), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.equal(binOf(e, ' 5 '), 3); // numeric strings as the normaliser reads them
  assert.equal(binOf(e, true), 2); // true = 1
  assert.equal(binOf([], 7), 1);
});

function sketchOf(values: number[]): QuantileSketch {
  const s = new QuantileSketch();
  for (const v of values) s.add(v);
  return s;
}

test('edges: quantiles of continuous values, one bin per value for few values, none for flags', () => {
  // 0..999 in 4 bins: edges at the 1/4, 2/4, 3/4 quantiles.
  assert.deepEqual(sketchOf(Array.from({ length: 1000 }, (_, i) => i)).edges(4), [250, 500, 750]);
  // 12 distinct values (> 8), 1,200 rows, 32 bins allowed: one bin per value.
  assert.deepEqual(sketchOf(Array.from({ length: 1200 }, (_, i) => i % 12)).edges(32), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  // A 0/1 flag or a 5-level rating is left to the standardised value.
  assert.deepEqual(sketchOf(Array.from({ length: 1000 }, (_, i) => i % 2)).edges(32), []);
  assert.deepEqual(sketchOf(Array.from({ length: 1000 }, (_, i) => 1 + (i % 5))).edges(32), []);
  // A mass point (80% zeros, like capital gains) is one bin; the rest is cut into quantiles.
  const gains = Array.from({ length: 1000 }, (_, i) => (i < 800 ? 0 : i));
  const edges = sketchOf(gains).edges(10);
  assert.equal(edges[0], 800); // everything above zero starts at the first non-zero quantile
  assert.ok(edges.every((x, i) => i === 0 || x > edges[i - 1]));
  assert.equal(binOf(edges, 0), 1);
  // Too few values for two bins of 50: none. Missing values are not counted.
  assert.deepEqual(sketchOf(Array.from({ length: 99 }, (_, i) => i)).edges(32), []);
  const s = sketchOf(Array.from({ length: 1000 }, (_, i) => i));
  s.add(null);
  s.add('x');
  assert.deepEqual(s.edges(4), [250, 500, 750]);
});

test('layout and encoding: a binned numeric is one more cat column with its own rows', () => {
  const specs: FeatureSpec[] = [
    { name: 'item', entity: 'item', kind: 'categorical', buckets: 10 },
    { name: 'recent', entity: 'user', kind: 'multi', buckets: 6, maxLen: 2, separator: '|' },
    { name: 'rating', entity: 'item', kind: 'numeric', transform: 'identity', mean: 3, std: 1 },
    { name: 'price', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 2, std: 1, edges: [10, 100] },
  ];
  const L = layoutOf(specs);
  assert.equal(L.catWidth, 2);
  assert.equal(L.numericBins[0], null);
  const bins = L.numericBins[1]!;
  assert.equal(bins.column, 1);
  assert.equal(bins.offset, 1 + 10 + 6); // after the padding row, item's and recent's rows
  assert.equal(bins.buckets, 4);
  assert.equal(L.tableRows, 1 + 10 + 6 + 4);
  const b = allocBatch(L, 3);
  [{ price: 50 }, { price: null }, { price: '1000' }].forEach((row, i) => encodeRowInto(L, b, i, (n) => (row as Record<string, number | string | null>)[n]));
  assert.deepEqual([b.cat[1], b.cat[3], b.cat[5]], [bins.offset + 2, bins.offset + 0, bins.offset + 3]);
  assert.ok(Math.abs(b.num[1] - (Math.log1p(50) - 2)) < 1e-6); // the standardised value stays
  assert.throws(() => layoutOf([{ name: 'p', entity: 'item', kind: 'numeric', transform: 'identity', mean: 0, std: 1, edges: [5, 5] }]), /strictly ascending/);
});

/** A source of n rows per split: x numeric, label from `label(i, split)`. */
function source(label: (i: number, split: string) => 0 | 1 | null): DataSource {
  return {
    name: 'toy',
    features: [{ name: 'x', entity: 'item', kind: 'numeric', transform: 'identity', mean: 0, std: 1 }],
    tasks: [{ name: 'click', appliesTo: 'item' }],
    *examples(split): Iterable<Example> {
      for (let i = 0; i < 400; i++) yield { features: { x: i % 97 }, labels: [label(i, split)], kind: 'item', group: String(i), time: i };
    },
    describe: () => ({}),
  } as DataSource;
}

test('prepare fits bin edges on train, and refuses a split where a task has one class only', () => {
  const odd = (i: number) => (i % 2 ? 1 : 0);
  const ok = prepare(source(odd));
  const x = ok.features[0];
  assert.equal(x.kind, 'numeric');
  assert.ok(x.kind === 'numeric' && x.edges && x.edges.length === 7, JSON.stringify(x)); // 400 rows / 50 = 8 bins
  assert.equal('edges' in prepare(source(odd), { numericBins: 0 }).features[0], false);
  assert.throws(() => prepare(source((i, s) => (s === 'valid' ? 0 : odd(i)))), /task "click" has no positive label in the valid split \(0 positive, 400 negative of 400 rows\): it cannot be scored/);
  assert.throws(() => prepare(source((i, s) => (s === 'train' ? 1 : odd(i)))), /no negative label in the train split.*cannot be learned/);
  assert.throws(() => prepare(source((i, s) => (s === 'test' ? null : odd(i)))), /test split \(0 positive, 0 negative/);
});

test('vocabularies: frequent values get a bucket each (no collisions), the rest hash into the buckets after them', () => {
  const c = new VocabularyCounter();
  for (const [v, n] of [['husband', 5], ['wife', 3], ['unmarried', 3], ['once', 1], ['', 9]] as const) for (let i = 0; i < n; i++) c.add(v);
  assert.deepEqual(c.values(1024), ['husband', 'unmarried', 'wife']); // by count, ties by string; single and empty values left out
  assert.deepEqual(c.values(5), ['husband', 'unmarried']); // at most half the buckets
  const spec: FeatureSpec = { name: 'relationship', entity: 'user', kind: 'categorical', buckets: 1024, values: ['husband', 'unmarried', 'wife'] };
  const L = layoutOf([spec]);
  const row = (v: unknown) => embeddingRow(L, 'relationship', v, 1024) - L.offsets.relationship;
  assert.deepEqual([row('husband'), row('unmarried'), row('wife'), row(' wife '), row(null), row('')], [1, 2, 3, 3, 0, 0]);
  // Hashing alone puts husband and unmarried in one bucket with this field's seed.
  const hashed = layoutOf([{ ...spec, values: undefined }]);
  assert.equal(embeddingRow(hashed, 'relationship', 'husband', 1024), embeddingRow(hashed, 'relationship', 'unmarried', 1024));
  for (let i = 0; i < 200; i++) {
    const r = row(`other${i}`);
    assert.ok(r >= 4 && r < 1024, `unknown values hash after the vocabulary: ${r}`);
  }
  assert.throws(() => layoutOf([{ ...spec, buckets: 4 }]), /need more than 4 buckets/);
  assert.throws(() => layoutOf([{ ...spec, values: ['a', 'a'] }]), /not distinct/);
  // Fields sharing a vocabulary must share its values.
  const m: FeatureSpec = { name: 'recent', entity: 'user', kind: 'multi', buckets: 1024, maxLen: 2, separator: '|', vocabulary: 'rel', values: ['wife'] };
  assert.throws(() => layoutOf([{ ...spec, vocabulary: 'rel' }, m]), /share vocabulary "rel" but not their values/);
});

test('prepare fits one vocabulary per shared vocabulary, over single- and multi-valued fields', () => {
  const src: DataSource = {
    name: 'toy',
    features: [
      { name: 'cat', entity: 'item', kind: 'categorical', buckets: 64, vocabulary: 'c' },
      { name: 'hist', entity: 'user', kind: 'multi', buckets: 64, maxLen: 3, separator: '|', vocabulary: 'c' },
    ],
    tasks: [{ name: 'click', appliesTo: 'item' }],
    *examples(): Iterable<Example> {
      for (let i = 0; i < 40; i++) yield { features: { cat: `c${i % 3}`, hist: `c${i % 5}|c9` }, labels: [i % 2 ? 1 : 0], kind: 'item', group: '', time: i };
    },
    describe: () => ({}),
  };
  const d = prepare(src);
  const [a, b] = d.features;
  assert.ok(a.kind !== 'numeric' && b.kind !== 'numeric');
  assert.deepEqual(a.values, ['c9', 'c0', 'c1', 'c2', 'c3', 'c4']); // c9 in every history; then by count
  assert.deepEqual(b.values, a.values);
  assert.equal('values' in prepare(src, { numericBins: 0, vocabularies: false }).features[0], false);
});
