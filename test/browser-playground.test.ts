// The playground in a real browser: the worker runs in workerd (Miniflare, listening on a
// loopback port) with PLAYGROUND=1; headless Chromium opens the page, which builds its form
// from GET /v1/model, and a click on "score" sends POST /v1/score and renders the ranked
// lists. Checked: no console error, the tables hold every candidate with probabilities in
// (0, 1), in score order, and they match what the worker answers the same request directly.
// With API_KEY set, the page asks for the key and scores once it is given. A model of three
// kinds (helpers/kinds-model.ts: ads ranked by expected value) gets an ads fieldset with its
// value features and an ads table scored p(ad_click) * ad_bid + p(ad_conversion) * ad_value.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Miniflare } from 'miniflare';
import type { Page } from 'playwright-core';
import { collectErrors, launchBrowser, noBrowser, screenshot, type OpenBrowser } from './helpers/browser.ts';
import { trainKindsModel, type KindsModel } from './helpers/kinds-model.ts';
import { testWorker, workerOptions } from './helpers/worker-harness.ts';
import { useWorkerdV8Flags } from '../scripts/lib/workerd-v8-flags.ts';

// The local workerd's V8 flags (scripts/lib/workerd-v8-flags.ts: a GC livelock on small machines).
useWorkerdV8Flags();

let mf: Miniflare | null = null;
let mfAuth: Miniflare | null = null;
let mfAds: Miniflare | null = null;
let base = '';
let baseAuth = '';
let baseAds = '';
let browser: OpenBrowser | null = null;
let kinds: KindsModel | null = null;

before(async () => {
  if (noBrowser) return;
  const w = await testWorker();
  mf = new Miniflare({ ...workerOptions(w.built, { name: 'playground', bindings: { PLAYGROUND: '1' } }), host: '127.0.0.1', port: 0 });
  mfAuth = new Miniflare({ ...workerOptions(w.built, { name: 'playground-auth', bindings: { PLAYGROUND: '1', API_KEY: 'sekret' } }), host: '127.0.0.1', port: 0 });
  base = (await mf.ready).origin;
  baseAuth = (await mfAuth.ready).origin;
  // The three-kind model, its ads declared with a second value term whose feature (ad_value)
  // is not a model feature: only a ranking input, which the form must still offer.
  kinds = await trainKindsModel();
  const manifest = { ...kinds.manifest, kinds: kinds.manifest.kinds!.map((k) => (k.name === 'ad' ? { ...k, value: [...k.value!, { task: 'ad_conversion', feature: 'ad_value' }] } : k)) };
  mfAds = new Miniflare({ ...workerOptions(w.built, { name: 'playground-ads', bindings: { PLAYGROUND: '1' }, onnx: kinds.serving, manifestText: JSON.stringify(manifest) }), host: '127.0.0.1', port: 0 });
  baseAds = (await mfAds.ready).origin;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await mf?.dispose();
  await mfAuth?.dispose();
  await mfAds?.dispose();
  kinds?.remove();
});

interface Row {
  id: string;
  score: number;
  probs: number[];
}

async function rankedRows(page: Page, kind: string): Promise<Row[]> {
  return page.$$eval(`table.ranked[data-kind="${kind}"] tbody tr`, (trs) =>
    trs.map((tr) => {
      const td = [...tr.querySelectorAll('td')].map((c) => c.textContent ?? '');
      return { id: td[1], score: Number(td[2]), probs: td.slice(3).map(Number) };
    }),
  );
}

/**
 * A new page on the playground at `url` once its form is built, with its console errors and
 * the bodies of its POST /v1/score requests collected; `setup` runs before the page loads.
 */
async function openPlayground(url: string, setup?: (page: Page) => Promise<unknown>): Promise<{ page: Page; errors: string[]; scoreRequests: string[] }> {
  const page = await browser!.context.newPage();
  const errors = collectErrors(page);
  const scoreRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/score')) scoreRequests.push(r.postData() ?? '');
  });
  await setup?.(page);
  await page.goto(url);
  await page.waitForSelector('#send');
  return { page, errors, scoreRequests };
}

test('playground in Chromium: the form comes from /v1/model, "score" renders the ranked lists', { skip: noBrowser ?? false }, async () => {
  const { page, errors, scoreRequests } = await openPlayground(`${base}/`);
  // One field per model feature of each place; candidate_kind is the server's and user_id /
  // item_id / coupon_id come from the id fields.
  assert.deepEqual(await page.$$eval('[data-place="user"] input[data-feature]', (es) => es.map((e) => e.getAttribute('data-feature'))), ['user_age_band', 'user_gender', 'user_recent_categories', 'user_price_sensitivity']);
  assert.equal(await page.locator('[data-candidate="item"] input[data-feature="item_id"]').count(), 0);
  assert.equal(await page.locator('[data-candidate="item"]').count(), 3);
  assert.equal(await page.locator('[data-candidate="coupon"]').count(), 2);
  assert.equal(await page.locator('[data-candidate="item"]').first().locator('input[data-feature="item_price"]').inputValue(), '9.18');
  // Try a value of our own and a fourth item.
  await page.fill('[data-place="context"] input[data-feature="device"]', 'ios');
  await page.click('[data-list="item"] > button');
  await page.locator('[data-candidate="item"]').nth(3).locator('input[data-feature="item_price"]').fill('120');
  await page.click('#send');
  await page.waitForSelector('table.ranked[data-kind="coupon"] tbody tr');

  const items = await rankedRows(page, 'item');
  const coupons = await rankedRows(page, 'coupon');
  assert.deepEqual(items.map((r) => r.id).sort(), ['i101', 'i108', 'i115', 'i122']);
  assert.deepEqual(coupons.map((r) => r.id).sort(), ['c101', 'c108']);
  for (const r of [...items, ...coupons]) for (const p of r.probs) assert.ok(p > 0 && p < 1, `${r.id}: ${p}`);
  for (let i = 1; i < items.length; i++) assert.ok(items[i - 1].score >= items[i].score, 'items in score order');
  assert.equal(items[0].probs.length, 3); // click, cart, purchase
  assert.match(await page.textContent('#status') ?? '', /^HTTP 200 · model test-/);

  // The page shows what the worker answers: the same body sent directly gives the same ranking.
  assert.equal(scoreRequests.length, 1);
  const sent = JSON.parse(scoreRequests[0]);
  assert.equal(sent.context.device, 'ios');
  const direct = (await (await fetch(`${base}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: scoreRequests[0] })).json()) as { items: { id: string; click: number }[] };
  assert.deepEqual(items.map((r) => r.id), direct.items.map((r) => r.id));
  assert.deepEqual(items.map((r) => r.probs[0].toFixed(4)), direct.items.map((r) => r.click.toFixed(4)));

  await screenshot(page, 'playground.png');
  assert.deepEqual(errors, []);

  // A bad request shows the API's error, naming the field, in place of the lists.
  await page.locator('[data-candidate="item"]').first().locator('[data-id]').fill('');
  await page.click('#send');
  await page.locator('#status .error').waitFor();
  assert.match((await page.textContent('#status')) ?? '', /^HTTP 400: invalid_request: items\[0\]\.id: /);
  assert.equal(await page.locator('table.ranked').count(), 0);
  await page.close();
});

test('playground with an API key: asks for it, 401 names the problem, scores once given', { skip: noBrowser ?? false }, async () => {
  const page = await browser!.context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${baseAuth}/playground`);
  await page.waitForSelector('#key', { state: 'visible', timeout: 10_000 });
  assert.equal(await page.locator('#form').isVisible(), false);
  await page.fill('#key', 'wrong');
  await page.click('#connect');
  await page.locator('#model', { hasText: 'HTTP 401: unauthorized' }).waitFor();
  await page.fill('#key', 'sekret');
  await page.click('#connect');
  await page.click('#send');
  await page.waitForSelector('table.ranked[data-kind="item"] tbody tr');
  assert.equal((await rankedRows(page, 'item')).length, 3);
  // The failed /v1/model fetch is the one console error the browser itself logs (401).
  assert.ok(errors.every((e) => /401/.test(e)), JSON.stringify(errors));
  await page.close();
});

test('playground against a GET /v1/model without kinds (a worker from before them): items and coupons', { skip: noBrowser ?? false }, async () => {
  // The worker's own answer with the kinds taken out, as an older worker would send it.
  const { page, errors } = await openPlayground(`${base}/`, (p) =>
    p.route('**/v1/model', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as Record<string, unknown>;
      delete body.kinds;
      await route.fulfill({ response: res, json: body });
    }),
  );
  assert.deepEqual(await page.$$eval('fieldset[data-list] > legend', (es) => es.map((e) => e.textContent)), ['items', 'coupons']);
  await page.click('#send');
  await page.waitForSelector('table.ranked[data-kind="coupon"] tbody tr');
  assert.equal((await rankedRows(page, 'item')).length, 3);
  assert.deepEqual(errors, []);
  await page.close();
});

test('playground of a three-kind model: an ads fieldset with its value features, an ads table ranked by expected value', { skip: noBrowser ?? false }, async () => {
  const { page, errors, scoreRequests } = await openPlayground(`${baseAds}/`);
  // One fieldset per declared kind, under its request field.
  assert.deepEqual(await page.$$eval('fieldset[data-list]', (es) => es.map((e) => [e.getAttribute('data-list'), e.querySelector('legend')?.textContent])), [
    ['item', 'items'],
    ['coupon', 'coupons'],
    ['ad', 'ads'],
  ]);
  const ads = page.locator('[data-candidate="ad"]');
  assert.equal(await ads.count(), 2);
  // The model's ad features (the id from the id field) and the value-only ad_value, both value features filled with a number >= 0.
  assert.deepEqual(await ads.first().locator('input[data-feature]').evaluateAll((es) => es.map((e) => e.getAttribute('data-feature'))), ['ad_advertiser', 'ad_bid', 'ad_value']);
  assert.equal(await ads.first().locator('[data-id]').inputValue(), 'a101');
  for (const f of ['ad_bid', 'ad_value']) {
    const v = Number(await ads.first().locator(`input[data-feature="${f}"]`).inputValue());
    assert.ok(Number.isFinite(v) && v >= 0, `${f} = ${v}`);
  }
  assert.match((await ads.first().textContent()) ?? '', /ranking value \(>= 0\): p\(ad_click\) × ad_bid/);
  // A third ad; the second one bids far more, so it must rank first.
  await page.click('[data-list="ad"] > button');
  await ads.nth(1).locator('input[data-feature="ad_bid"]').fill('40');
  await ads.nth(2).locator('input[data-feature="ad_advertiser"]').fill('a3');
  await page.click('#send');
  await page.waitForSelector('table.ranked[data-kind="ad"] tbody tr');
  assert.deepEqual(await page.$$eval('#results h2', (es) => es.map((e) => e.textContent)), [
    'items, best first',
    'coupons, best first',
    'ads, best first (score: expected value, p(ad_click) × ad_bid + p(ad_conversion) × ad_value)',
  ]);
  const sent = JSON.parse(scoreRequests[0]) as { ads: { id: string; features: Record<string, number> }[] };
  assert.deepEqual(sent.ads.map((a) => a.id), ['a101', 'a108', 'a115']);
  const rows = await rankedRows(page, 'ad');
  assert.equal(rows[0].id, 'a108');
  assert.equal(rows.length, 3);
  for (const r of rows) {
    const f = sent.ads.find((a) => a.id === r.id)!.features;
    const [pClick, pConv] = r.probs;
    assert.ok(pClick > 0 && pClick < 1 && pConv > 0 && pConv < 1, `${r.id}: ${r.probs.join(', ')}`);
    // Probabilities shown to 4 decimals, the score to 4 significant digits.
    const expected = pClick * f.ad_bid + pConv * f.ad_value;
    assert.ok(Math.abs(r.score - expected) <= 1e-3 * Math.max(1, expected) + 5e-5 * (f.ad_bid + f.ad_value), `${r.id}: score ${r.score} vs ${expected}`);
  }
  // The worker answers the same body with the same ranking.
  const direct = (await (await fetch(`${baseAds}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: scoreRequests[0] })).json()) as { ads: { id: string; score: number }[] };
  assert.deepEqual(rows.map((r) => r.id), direct.ads.map((a) => a.id));
  await screenshot(page, 'playground-ads.png');
  assert.deepEqual(errors, []);

  // An ad without its bid: the API's 400 names the field.
  await ads.first().locator('input[data-feature="ad_bid"]').fill('');
  await page.click('#send');
  await page.locator('#status .error').waitFor();
  assert.match((await page.textContent('#status')) ?? '', /^HTTP 400: missing_value: .*ads\[0\]\.features\.ad_bid/);
  await page.close();
});
