// The training report in a real browser (headless Chromium): a model report and a comparison
// report open from file:// with no request leaving the file, no console error, every chart
// drawn with a visible size; screenshots go to test-artifacts/.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { collectErrors, launchBrowser, noBrowser, screenshot, type OpenBrowser } from './helpers/browser.ts';
import { trainComparison } from './helpers/report-fixture.ts';
import { TASKS as SHOP_TASKS } from '../model/data/synthetic/shop.ts';

let browser: OpenBrowser | null = null;
let dir = '';

before(async () => {
  if (noBrowser) return;
  dir = trainComparison().dir;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dirname(dir), { recursive: true, force: true });
});

/** Opens a report; fails on any request other than the file itself. */
async function open(path: string) {
  const page = await browser!.context.newPage();
  const errors = collectErrors(page);
  const url = pathToFileURL(path).href;
  const elsewhere: string[] = [];
  await page.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    elsewhere.push(route.request().url());
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, elsewhere };
}

/** Per chart: its id, the SVG's rendered size and how many drawn shapes have a visible box. */
async function charts(page: Awaited<ReturnType<typeof open>>['page']) {
  return page.$$eval('figure.chart', (figs) =>
    figs.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      const drawn = svg ? [...svg.querySelectorAll('path, rect, circle')].filter((e) => { const b = (e as unknown as { getBBox(): { width: number; height: number } }).getBBox(); return b.width > 0 || b.height > 0; }).length : 0;
      return { id: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, drawn };
    }),
  );
}

// The fixture trains the synthetic shop: its tasks.
const TASKS = SHOP_TASKS.map((t) => t.name);

test('model report in Chromium: every chart drawn, no console error, no request', { skip: noBrowser ?? false }, async () => {
  const { page, errors, elsewhere } = await open(join(dir, 'mmoe', 'report.html'));
  const got = await charts(page);
  assert.deepEqual(got.map((c) => c.id).sort(), ['loss', 'valid-auc', ...TASKS.flatMap((t) => [`roc-${t}`, `calibration-${t}`])].sort());
  for (const c of got) {
    assert.ok(c.width > 300 && c.height > 150, `${c.id}: ${c.width}x${c.height}`);
    assert.ok(c.drawn >= 10, `${c.id}: ${c.drawn} drawn shapes`);
  }
  assert.match(await page.title(), /Training report: mmoe on synthetic/);
  await screenshot(page, 'report-model.png');
  assert.deepEqual(errors, []);
  assert.deepEqual(elsewhere, []);
  await page.close();
});

test('comparison report in Chromium: bars, curves of every architecture, links to the model reports', { skip: noBrowser ?? false }, async () => {
  const { page, errors, elsewhere } = await open(join(dir, 'report.html'));
  const got = await charts(page);
  for (const id of ['comparison', 'vs-single', 'valid-auc', ...TASKS.flatMap((t) => [`roc-${t}`, `calibration-${t}`])]) {
    const c = got.find((x) => x.id === id);
    assert.ok(c && c.width > 300 && c.drawn >= 10, `${id}: ${JSON.stringify(c)}`);
  }
  const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.includes('mmoe/report.html'), JSON.stringify(links));
  await screenshot(page, 'report-comparison.png');
  assert.deepEqual(errors, []);
  assert.deepEqual(elsewhere, []);
  await page.close();
});
