// The training report without a browser: `npm run train -- --arch all` writes curves.json and
// report.html for every model directory and the comparison; every chart is an inline SVG with
// a drawing; nothing is loaded from elsewhere; seed statistics in comparison.json turn into
// error bars; `npm run report -- DIR` rewrites a report and fails clearly on a wrong directory.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { comparisonChart, niceRange } from '../scripts/report/comparison-chart.ts';
import { loadReportInput, seedStats, type ComparisonFile } from '../scripts/report/load.ts';
import { renderSvg } from '../scripts/report/svg-chart.ts';
import { ROOT } from '../scripts/build-worker.ts';
import { trainComparison } from './helpers/report-fixture.ts';
import { TASKS as SHOP_TASKS } from '../model/data/synthetic/shop.ts';

const { dir, stderr } = trainComparison();
after(() => rmSync(dirname(dir), { recursive: true, force: true }));
const ARCHS = ['single', 'shared-bottom', 'mmoe', 'ple', 'esmm', 'aitm', 'lr'];
// The fixture trains the synthetic shop: its tasks.
const TASKS = SHOP_TASKS.map((t) => t.name);

/** data-chart id -> the figure's SVG. */
function figures(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure class="chart" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g)) out.set(m[1], m[2]);
  return out;
}

const paths = (svg: string) => [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]).filter((d) => d.length > 0);

test('training writes curves.json and report.html per model directory and a comparison report', () => {
  for (const a of ARCHS) {
    assert.ok(existsSync(join(dir, a, 'curves.json')), `${a}/curves.json`);
    assert.ok(existsSync(join(dir, a, 'report.html')), `${a}/report.html`);
  }
  assert.ok(existsSync(join(dir, 'report.html')));
  assert.match(stderr, new RegExp(`report: ${join(dir, 'report.html').replace(/[/.]/g, '\\$&')}`));
  const curves = JSON.parse(readFileSync(join(dir, 'mmoe', 'curves.json'), 'utf8'));
  const metrics = JSON.parse(readFileSync(join(dir, 'mmoe', 'metrics.json'), 'utf8'));
  for (const t of TASKS) {
    // The curves describe the same test rows as metrics.json.
    assert.equal(curves.tasks[t].n, metrics[t].test.n);
    assert.equal(curves.tasks[t].positives, metrics[t].test.positives);
    assert.equal(curves.tasks[t].reliability.reduce((s: number, b: { count: number }) => s + b.count, 0), metrics[t].test.n);
    assert.ok(curves.tasks[t].roc.length > 2 && curves.tasks[t].roc.length <= 401);
  }
});

test('a model report has every chart, each a non-empty SVG, and loads nothing from elsewhere', () => {
  const html = readFileSync(join(dir, 'mmoe', 'report.html'), 'utf8');
  const figs = figures(html);
  assert.deepEqual([...figs.keys()].sort(), ['loss', 'valid-auc', ...TASKS.map((t) => `roc-${t}`), ...TASKS.map((t) => `calibration-${t}`)].sort());
  for (const [id, svg] of figs) {
    assert.match(svg, /^<svg [^>]*width="\d+"/, id);
    assert.ok(paths(svg).length >= 5, `${id}: ${paths(svg).length} paths`);
  }
  // url(#id) are the SVG's own clip paths; any other url( would be a fetch.
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\((?!#)/i);
  // The only URLs are SVG namespaces.
  for (const m of html.matchAll(/https?:\/\/[^\s"')]+/g)) assert.match(m[0], /^http:\/\/www\.w3\.org\//);
  // The kept checkpoint is named in the legend; the metrics table lists every task.
  assert.match(figs.get('valid-auc')!, /kept checkpoint \(epoch/);
  for (const t of TASKS) assert.match(html, new RegExp(`<th scope="row">${t}</th>`));
});

test('the comparison report has bars, the gain over single, curves of every architecture', () => {
  const figs = figures(readFileSync(join(dir, 'report.html'), 'utf8'));
  for (const id of ['comparison', 'vs-single', 'valid-auc', ...TASKS.map((t) => `roc-${t}`), ...TASKS.map((t) => `calibration-${t}`)]) assert.ok(figs.has(id), id);
  for (const a of ARCHS) assert.match(figs.get('roc-click')!, new RegExp(`>${a} \\(AUC`));
  assert.match(figs.get('comparison')!, />Bayes ceiling</);
});

test('seed statistics become error bars: three strokes per bar, none without them', () => {
  const c = loadReportInput(dir);
  assert.equal(c.kind, 'comparison');
  const plain = (c as { comparison: ComparisonFile }).comparison;
  const seeded: ComparisonFile = structuredClone(plain);
  seeded.seeds = [42, 43, 44];
  for (const r of seeded.rows) r.tasks = Object.fromEntries(TASKS.map((t) => [t, { test_auc: [0, 0, 0], test_auc_mean: r.test[t]!.auc!, test_auc_sd: 0.01, vs_single_mean: 0, vs_single_sd: 0.01 }]));
  assert.equal(seedStats(plain.rows[0], 'click'), null);
  assert.equal(seedStats(seeded.rows[0], 'click')!.test_auc_sd, 0.01);
  const extra = paths(renderSvg(comparisonChart(seeded))).length - paths(renderSvg(comparisonChart(plain))).length;
  assert.equal(extra, ARCHS.length * TASKS.length * 3);
  assert.match(renderSvg(comparisonChart(seeded)), /mean ± sd over 3 seeds/);
  // One seed (sd null) draws plain bars.
  assert.equal(seedStats({ arch: 'x', test: {}, tasks: { click: { test_auc_mean: 0.7, test_auc_sd: null as unknown as number } } }, 'click'), null);
});

test('niceRange: round ends on the tick interval', () => {
  assert.deepEqual(niceRange(0.43, 0.91), { min: 0.4, max: 1, interval: 0.1 });
  assert.deepEqual(niceRange(-0.103, 0.12), { min: -0.15, max: 0.15, interval: 0.05 });
  assert.deepEqual(niceRange(0.001, 0.021), { min: 0, max: 0.025, interval: 0.005 });
});

test('npm run report -- DIR rewrites the report; a directory without a model is a one-line error', () => {
  const copy = join(dirname(dir), 'copy');
  cpSync(join(dir, 'mmoe'), copy, { recursive: true });
  rmSync(join(copy, 'report.html'));
  const ok = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/report.ts', copy], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), join(copy, 'report.html'));
  assert.ok(existsSync(join(copy, 'report.html')));
  // Without curves.json (older directories) the report says so instead of failing.
  rmSync(join(copy, 'curves.json'));
  assert.equal(spawnSync(process.execPath, ['--import', 'tsx', 'scripts/report.ts', copy], { cwd: ROOT }).status, 0);
  assert.match(readFileSync(join(copy, 'report.html'), 'utf8'), /No curves\.json in this directory/);
  // A comparison directory gets its missing per-architecture reports (its links) too.
  const cmp = join(dirname(dir), 'cmp-copy');
  cpSync(dir, cmp, { recursive: true });
  rmSync(join(cmp, 'ple', 'report.html'));
  assert.equal(spawnSync(process.execPath, ['--import', 'tsx', 'scripts/report.ts', cmp], { cwd: ROOT }).status, 0);
  assert.ok(existsSync(join(cmp, 'ple', 'report.html')));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/report.ts', join(dirname(dir), 'nothing')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: .*neither manifest\.json .* nor comparison\.json/);
});
