// Candidate kinds: the default for manifests without a kinds list, the rules of a declaration,
// the schema's kinds (entities and appliesTo must name a declared kind), and the sizing of the
// built-in candidate_kind feature.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSchema, schemaFeatures } from '../model/data/schema.ts';
import { candidateKindFeature, DEFAULT_KINDS, kindsOf, kindsProblem } from '../model/features/kinds.ts';
import { CANDIDATE_KIND_FEATURE } from '../model/features/spec.ts';
import { checkManifest, MANIFEST_FORMAT } from '../model/manifest.ts';

const manifest = (extra: Record<string, unknown>) => ({
  format: MANIFEST_FORMAT,
  version: 'v1',
  features: [CANDIDATE_KIND_FEATURE],
  tasks: [{ name: 'click', appliesTo: 'item' }],
  architecture: { name: 'mmoe', config: {} },
  ...extra,
});

test('a manifest without kinds has item + coupon; tasks must apply to a declared kind', () => {
  assert.deepEqual(kindsOf(checkManifest(manifest({}))), DEFAULT_KINDS);
  assert.throws(() => checkManifest(manifest({ tasks: [{ name: 'ad_click', appliesTo: 'ad' }] })), /appliesTo must be one of the kinds \(item, coupon\), got "ad"/);
  const m = checkManifest(manifest({ kinds: [{ name: 'ad', field: 'ads' }], tasks: [{ name: 'ad_click', appliesTo: 'ad' }] }));
  assert.deepEqual(kindsOf(m).map((k) => k.field), ['ads']);
  assert.throws(() => checkManifest(manifest({ kinds: [{ name: 'ad', field: 'items' }, { name: 'item', field: 'items' }] })), /used twice/);
});

test('kind declarations: names and fields are identifiers, not the request\'s other keys, never twice', () => {
  assert.equal(kindsProblem([{ name: 'ad', field: 'ads' }]), null);
  assert.equal(kindsProblem([{ name: 'video', field: 'video' }]), null);
  assert.match(kindsProblem([]) ?? '', /non-empty/);
  assert.match(kindsProblem([{ name: 'Ad', field: 'ads' }]) ?? '', /name must match/);
  assert.match(kindsProblem([{ name: 'ad', field: 'user' }]) ?? '', /reserved/);
  assert.match(kindsProblem([{ name: 'ad', field: 'ads' }, { name: 'ads', field: 'x' }]) ?? '', /used twice/);
  assert.match(kindsProblem([{ name: 'ad', field: 'ads', value: [] }]) ?? '', /value/);
});

test('candidate_kind keeps 3 buckets for two kinds and gets 2K + 1 (room for every kind in the vocabulary) for more', () => {
  assert.deepEqual(candidateKindFeature(DEFAULT_KINDS), CANDIDATE_KIND_FEATURE);
  assert.equal(candidateKindFeature([...DEFAULT_KINDS, { name: 'ad', field: 'ads' }]).buckets, 7);
});

test('a schema declares kinds: entities and appliesTo name them; undeclared ones are an error naming the column', () => {
  const cols = [
    { name: 'ad_bid', role: 'numeric', entity: 'ad' },
    { name: 'ad_click', role: 'label', appliesTo: 'ad' },
  ];
  const s = parseSchema({ kinds: [{ name: 'item' }, { name: 'ad' }], columns: cols });
  assert.deepEqual(s.kinds, [{ name: 'item', field: 'items' }, { name: 'ad', field: 'ads' }]);
  assert.equal(s.candidateKind, 'item');
  assert.deepEqual(schemaFeatures(s).find((f) => f.name === 'candidate_kind'), CANDIDATE_KIND_FEATURE);
  assert.throws(() => parseSchema({ columns: cols }), /columns\[0\] \("ad_bid"\): "entity" must be one of "user", "context", "item", "coupon", got "ad"/);
  assert.throws(() => parseSchema({ kinds: [{ name: 'ad', fields: 'ads' }], columns: cols }), /kinds\[0\]: unknown key "fields"/);
});
