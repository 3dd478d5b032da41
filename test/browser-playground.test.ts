// The playground in a real browser: the worker runs in workerd (Miniflare, listening on a
// loopback port) with PLAYGROUND=1; headless Chromium opens the page, which builds its form
// from GET /v1/model, and a click on "score" sends POST /v1/score and renders the ranked
// lists. Checked: no console error, the tables hold every candidate with probabilities in
// (0, 1), in score order, and they match what the worker answers the same request directly.
// With API_KEY set, the page asks for the key and scores once it is given.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Miniflare } from 'miniflare';
import type { Page } from 'playwright-core';
import { collectErrors, launchBrowser, noBrowser, screenshot, type OpenBrowser } from './helpers/browser.ts';
import { testWorker, workerOptions } from './helpers/worker-harness.ts';

let mf: Miniflare | null = null;
let mfAuth: Miniflare | null = null;
let base = '';
let baseAuth = '';
let browser: OpenBrowser | null = null;

before(async () => {
  if (noBrowser) return;
  const w = await testWorker();
  mf = new Miniflare({ ...workerOptions(w.built, { name: 'playground', bindings: { PLAYGROUND: '1' } }), host: '127.0.0.1', port: 0 });
  mfAuth = new Miniflare({ ...workerOptions(w.built, { name: 'playground-auth', bindings: { PLAYGROUND: '1', API_KEY: 'sekret' } }), host: '127.0.0.1', port: 0 });
  base = (await mf.ready).origin;
  baseAuth = (await mfAuth.ready).origin;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await mf?.dispose();
  await mfAuth?.dispose();
});

interface Row {
  id: string;
  score: number;
  probs: number[];
}

async function rankedRows(page: Page, kind: 'item' | 'coupon'): Promise<Row[]> {
  return page.$$eval(`table.ranked[data-kind="${kind}"] tbody tr`, (trs) =>
    trs.map((tr) => {
      const td = [...tr.querySelectorAll('td')].map((c) => c.textContent ?? '');
      return { id: td[1], score: Number(td[2]), probs: td.slice(3).map(Number) };
    }),
  );
}

test('playground in Chromium: the form comes from /v1/model, "score" renders the ranked lists', { skip: noBrowser ?? false }, async () => {
  const page = await browser!.context.newPage();
  const errors = collectErrors(page);
  const scoreRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/score')) scoreRequests.push(r.postData() ?? '');
  });
  await page.goto(`${base}/`);
  await page.waitForSelector('#send');
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
