// The worker's pure parts, in Node: configuration parsing, ranking formulas, request ->
// batch assembly (resolution order, ids, candidate_kind), paths, auth helpers.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { encodeRows } from '../model/features/encode.ts';
import { assembleBatch, idFeatures, rawValueOf, type ServingRequest } from '../model/serving/assemble.ts';
import { expectedRevenue, priceOf, productScore } from '../model/serving/rank.ts';
import { bearerToken, constantTimeEqual } from '../functions/auth.ts';
import { isJsonContentType } from '../functions/body.ts';
import { ConfigError, DEFAULTS, parseConfig } from '../functions/config.ts';
import { formatPath, MAX_ECHO } from '../functions/errors.ts';
import { ROOT } from '../scripts/build-worker.ts';
import { testLayout } from './helpers/worker-model.ts';

describe('config', () => {
  test('defaults when no var is set', () => {
    const c = parseConfig({});
    assert.equal(c.maxCandidates, 1000);
    assert.equal(c.maxBodyBytes, 1 << 20);
    assert.equal(c.rankFormula, 'product');
    assert.deepEqual(c.rankWeights, {});
    assert.equal(c.priceFeature, 'item_price');
    assert.equal(c.revenueTask, 'purchase');
    assert.equal(c.maxAbsZ, DEFAULTS.maxAbsZ);
    assert.equal(c.corsOrigins, null);
    assert.equal(c.apiKey, null);
    assert.equal(c.kvCacheTtl, 60);
  });

  test('vars as strings or JSON values', () => {
    const c = parseConfig({ MAX_CANDIDATES: 50, MAX_BODY_BYTES: '2048', RANK_WEIGHTS: { click: 2 }, CORS_ORIGINS: ' https://a.example , https://b.example ', API_KEY: 'k', KV_CACHE_TTL: '0' });
    assert.equal(c.maxCandidates, 50);
    assert.equal(c.maxBodyBytes, 2048);
    assert.deepEqual(c.rankWeights, { click: 2 });
    assert.deepEqual(c.corsOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(c.apiKey, 'k');
    assert.equal(c.kvCacheTtl, 0);
    assert.deepEqual(parseConfig({ RANK_WEIGHTS: '{"purchase": 0.5}' }).rankWeights, { purchase: 0.5 });
    assert.deepEqual(parseConfig({ CORS_ORIGINS: ['https://a.example', '*'] }).corsOrigins, ['https://a.example', '*']);
    assert.equal(parseConfig({ CORS_ORIGINS: '' }).corsOrigins, null);
    assert.equal(parseConfig({ BENCH_ROUTES: '1' }).benchRoutes, true);
    assert.equal(parseConfig({}).benchRoutes, false);
  });

  test('API_KEY fails closed: present in any form that is not a non-empty string is a ConfigError, never auth off', () => {
    for (const raw of ['', 12345, 0, true, null, [], ['k'], { key: 'k' }]) {
      assert.throws(
        () => parseConfig({ API_KEY: raw }),
        (e: unknown) => e instanceof ConfigError && e.variables.join() === 'API_KEY' && !e.message.includes('12345'),
        JSON.stringify(raw),
      );
    }
    assert.equal(parseConfig({ API_KEY: 'k' }).apiKey, 'k');
    assert.equal(parseConfig({}).apiKey, null);
  });

  test('every var of wrangler.toml, given any JSON type: a working config or a ConfigError naming only that var, never its value', () => {
    const vars = ['API_KEY', 'MAX_CANDIDATES', 'MAX_BODY_BYTES', 'RANK_FORMULA', 'RANK_WEIGHTS', 'PRICE_FEATURE', 'REVENUE_TASK', 'MAX_ABS_ZSCORE', 'KV_CACHE_TTL', 'CORS_ORIGINS', 'BENCH_ROUTES'];
    const values: unknown[] = [null, true, false, 0, -1, 1.5, 1e300, 'zzsecretzz', ' 12 ', '', '[]', '{}', [], ['zzsecretzz'], [1, 2], {}, { click: 1 }, { click: 'zzsecretzz' }];
    const tasks = [
      { name: 'click', appliesTo: 'item' as const },
      { name: 'purchase', appliesTo: 'item' as const },
      { name: 'redeem', appliesTo: 'coupon' as const },
    ];
    let accepted = 0;
    for (const v of vars) {
      for (const raw of values) {
        try {
          parseConfig({ [v]: raw }, tasks);
          accepted++;
        } catch (e) {
          assert.ok(e instanceof ConfigError, `${v}=${JSON.stringify(raw)}: ${String(e)}`);
          assert.deepEqual(e.variables, [v], `${v}=${JSON.stringify(raw)}`);
          assert.ok(!e.message.includes('zzsecretzz'), e.message);
        }
      }
    }
    assert.ok(accepted > 20 && accepted < vars.length * values.length, String(accepted));
  });

  test('RANK_WEIGHTS may only name the model\'s tasks; a REVENUE_TASK that is set must be an item task', () => {
    const tasks = [
      { name: 'click', appliesTo: 'item' as const },
      { name: 'redeem', appliesTo: 'coupon' as const },
    ];
    assert.deepEqual(parseConfig({ RANK_WEIGHTS: '{"click": 2}' }, tasks).rankWeights, { click: 2 });
    assert.throws(() => parseConfig({ RANK_WEIGHTS: '{"ctr": 2}' }, tasks), (e: unknown) => e instanceof ConfigError && e.variables.join() === 'RANK_WEIGHTS');
    assert.throws(() => parseConfig({ REVENUE_TASK: 'redeem' }, tasks), (e: unknown) => e instanceof ConfigError && e.variables.join() === 'REVENUE_TASK');
    assert.equal(parseConfig({}, tasks).revenueTask, 'purchase', 'the default is not checked (the revenue formula answers 400 when the task is missing)');
    const both = (() => {
      try {
        parseConfig({ MAX_CANDIDATES: 'x', CORS_ORIGINS: 7 });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(both instanceof ConfigError);
    assert.deepEqual(both.variables, ['MAX_CANDIDATES', 'CORS_ORIGINS'], 'every invalid var is named');
  });

  test('an invalid var is a ConfigError naming it', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ MAX_CANDIDATES: 'lots' }, /MAX_CANDIDATES/],
      [{ MAX_CANDIDATES: '0' }, /MAX_CANDIDATES/],
      [{ MAX_BODY_BYTES: '1.5' }, /MAX_BODY_BYTES/],
      [{ RANK_FORMULA: 'sum' }, /RANK_FORMULA/],
      [{ RANK_WEIGHTS: '{click: 1}' }, /RANK_WEIGHTS/],
      [{ RANK_WEIGHTS: '{"click": 11}' }, /RANK_WEIGHTS\.click/],
      [{ RANK_WEIGHTS: '[1]' }, /RANK_WEIGHTS/],
      [{ MAX_ABS_ZSCORE: 'NaN' }, /MAX_ABS_ZSCORE/],
      [{ KV_CACHE_TTL: '30' }, /KV_CACHE_TTL/],
    ];
    for (const [env, re] of bad) assert.throws(() => parseConfig(env as never), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(env));
  });
});

describe('ranking formulas', () => {
  test('product fusion', () => {
    assert.equal(productScore([0.5, 0.2], [1, 1]), 0.1);
    assert.equal(productScore([0.5, 0.2], [2, 0]), 0.25);
    assert.equal(productScore([0, 0.2], [0, 1]), 0.2, 'a zero weight drops the task even at p = 0');
    assert.equal(productScore([], []), 1);
    assert.ok(Math.abs(productScore([0.25], [0.5]) - 0.5) < 1e-15);
  });

  test('expected revenue and prices', () => {
    assert.equal(expectedRevenue(0.02, 50), 1);
    assert.equal(priceOf(12.5), 12.5);
    assert.equal(priceOf('12.5'), 12.5);
    assert.equal(priceOf(0), 0);
    for (const bad of [-1, 'x', '', null, undefined, Infinity, NaN, true, [1]]) assert.equal(priceOf(bad), null, String(bad));
  });
});

describe('request -> batch', () => {
  const req: ServingRequest = {
    userId: 'u1',
    user: { user_age_band: '25-34', hour: 'user-level-hour-is-ignored-if-context-has-it', user_recent_categories: ['c3', 'c9', 'c3', 'c1'] },
    context: { hour: 9, device: 'ios' },
    candidates: [
      { id: 'i1', kind: 'item', features: { item_price: 10, device: 'android', item_category: 'c3' } },
      { id: 'i2', kind: 'item', features: { item_id: 'explicit', item_rating: null } },
      { id: 'c1', kind: 'coupon', features: { coupon_discount: 0.1, hour: null } },
      { id: 'i3', kind: 'item', features: { item_category: 'c1' } },
    ],
  };

  test('resolution order: candidate, context, user, ids; candidate_kind from the list', () => {
    const ids = idFeatures(testLayout);
    assert.deepEqual(ids, { user: 'user_id', item: 'item_id', coupon: 'coupon_id' });
    const [i1, i2, c1] = req.candidates;
    assert.equal(rawValueOf(req, i1, 'candidate_kind', ids), 'item');
    assert.equal(rawValueOf(req, c1, 'candidate_kind', ids), 'coupon');
    assert.equal(rawValueOf(req, i1, 'device', ids), 'android');
    assert.equal(rawValueOf(req, i2, 'device', ids), 'ios');
    assert.equal(rawValueOf(req, i1, 'hour', ids), 9);
    assert.equal(rawValueOf(req, c1, 'hour', ids), null, 'an explicit null stops the search');
    assert.equal(rawValueOf(req, i1, 'user_age_band', ids), '25-34');
    assert.equal(rawValueOf(req, i1, 'user_id', ids), 'u1');
    assert.equal(rawValueOf(req, i1, 'item_id', ids), 'i1');
    assert.equal(rawValueOf(req, i2, 'item_id', ids), 'explicit');
    assert.equal(rawValueOf(req, i1, 'coupon_id', ids), undefined, 'an item row has no coupon id');
    assert.equal(rawValueOf(req, c1, 'coupon_id', ids), 'c1');
    assert.equal(rawValueOf(req, i1, 'constructor', ids), undefined, 'no prototype lookups');
  });

  test('assembleBatch equals encodeRows on the rows written out by hand', () => {
    const recent = 'c3|c9|c3|c1';
    const rows = [
      { user_id: 'u1', user_age_band: '25-34', user_recent_categories: recent, hour: 9, device: 'android', candidate_kind: 'item', item_id: 'i1', item_price: 10, item_category: 'c3' },
      { user_id: 'u1', user_age_band: '25-34', user_recent_categories: recent, hour: 9, device: 'ios', candidate_kind: 'item', item_id: 'explicit', item_rating: null },
      { user_id: 'u1', user_age_band: '25-34', user_recent_categories: recent, hour: null, device: 'ios', candidate_kind: 'coupon', coupon_id: 'c1', coupon_discount: 0.1 },
      { user_id: 'u1', user_age_band: '25-34', user_recent_categories: recent, hour: 9, device: 'ios', candidate_kind: 'item', item_id: 'i3', item_category: 'c1' },
    ];
    const batch = assembleBatch(testLayout, req);
    assert.deepEqual(batch, encodeRows(testLayout, rows));
    // The match feature by hand: c3 is 2 of the 4 recent categories, c1 one; no category is missing.
    const d = testLayout.numeric.findIndex((s) => s.match);
    const D = testLayout.numeric.length;
    const z = (share: number) => Math.fround((share - 0.2) / 0.3);
    assert.deepEqual([0, 1, 2, 3].map((i) => batch.num[i * D + d]), [z(0.5), 0, 0, z(0.25)]);
  });
});

describe('helpers', () => {
  test('paths', () => {
    assert.equal(formatPath(['items', 3, 'features', 'item_price']), 'items[3].features.item_price');
    assert.equal(formatPath(['context', 'odd key']), 'context["odd key"]');
    assert.equal(formatPath([]), '');
    const long = 'x'.repeat(5000);
    assert.equal(formatPath(['items', 0, 'features', long]), `items[0].features["${'x'.repeat(MAX_ECHO)}..."]`);
  });

  test('content types', () => {
    assert.ok(isJsonContentType('application/json'));
    assert.ok(isJsonContentType('Application/JSON; charset=utf-8'));
    for (const ct of [null, '', 'text/json', 'application/jsonx', 'application/json-seq', 'text/plain']) assert.ok(!isJsonContentType(ct), String(ct));
  });

  test('bearer tokens and constant-time comparison', async () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer   abc '), 'abc');
    for (const h of [null, '', 'Bearer', 'Bearer a b', 'Basic abc', 'abc']) assert.equal(bearerToken(h), null, String(h));
    assert.equal(await constantTimeEqual('secret', 'secret'), true);
    assert.equal(await constantTimeEqual('secret', 'secreT'), false);
    assert.equal(await constantTimeEqual('secret', 'secret-longer'), false);
    assert.equal(await constantTimeEqual('', ''), true);
  });
});

describe('local secrets', () => {
  const inGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() === 'true';
  test('.dev.vars (where docs/serving.md puts API_KEY) and .env files are ignored by git', { skip: inGit ? false : 'not a git checkout' }, () => {
    for (const f of ['.dev.vars', '.dev.vars.staging', '.env', '.env.local', 'functions/.dev.vars']) {
      const r = spawnSync('git', ['check-ignore', '-q', '--no-index', f], { cwd: ROOT });
      assert.equal(r.status, 0, `${f} is not ignored`);
    }
  });
});
