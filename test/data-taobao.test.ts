// Taobao: features come from strictly earlier events only (perturbing the future, or the file's
// order, changes no example's features, while perturbing the past does), label windows end at
// the example's own split, bad lines are counted, the popularity baseline backs off. Real-data
// checks (and a tiny smoke training) skip when ../shared/data is absent.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { sharedDataPath } from '../model/data/shared.ts';
import { Popularity } from '../model/data/taobao/popularity.ts';
import { TAOBAO_FILE, taobaoSource, type TaobaoSource } from '../model/data/taobao/source.ts';
import { prepare } from '../model/train/prepare.ts';
import { trainToDir } from '../model/train/train-to-dir.ts';

const dir = mkdtempSync(join(tmpdir(), 'data-taobao-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const REAL = sharedDataPath(TAOBAO_FILE);
const SKIP_REAL = existsSync(REAL) ? false : `real data absent: ${REAL} not found (../shared/data is not in this checkout)`;

type Ev = [user: number, item: number, category: number, behavior: string, time: number];
const BEHAVIORS = ['pv', 'pv', 'pv', 'pv', 'pv', 'cart', 'fav', 'buy'];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** A random log: 30 users, 60 items in 7 categories, several events per second. */
function randomLog(n: number, seed: number): Ev[] {
  const r = rng(seed);
  return Array.from({ length: n }, (): Ev => {
    const item = Math.floor(r() * 60);
    return [Math.floor(r() * 30), item, item % 7, BEHAVIORS[Math.floor(r() * BEHAVIORS.length)], 1000 + Math.floor(r() * 400)];
  });
}

let files = 0;
function source(events: readonly (Ev | string)[]): TaobaoSource {
  const p = join(dir, `log${files++}.csv`);
  writeFileSync(p, events.map((e) => (typeof e === 'string' ? e : e.join(','))).join('\n') + '\n');
  return taobaoSource({ path: p });
}

/** Features of every example at or before time T, by (user, item). */
function featuresUpTo(s: TaobaoSource, T: number): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const p of s.pairs) if (p.time <= T) out.set(`${p.user}:${p.item}`, s.exampleOf(p, 'train').features);
  return out;
}

function shuffle<T>(a: T[], r: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** The same log with every event after T moved, re-typed, dropped or duplicated, plus new ones. */
function perturbFuture(log: Ev[], T: number, seed: number): Ev[] {
  const r = rng(seed);
  const past = log.filter((e) => e[4] <= T);
  const future: Ev[] = [];
  for (const e of log.filter((x) => x[4] > T)) {
    if (r() < 0.2) continue;
    future.push([e[0], e[1], e[2], BEHAVIORS[Math.floor(r() * BEHAVIORS.length)], T + 1 + Math.floor(r() * 300)]);
    if (r() < 0.2) future.push([e[0], (e[1] + 1) % 60, ((e[1] + 1) % 60) % 7, 'buy', T + 1 + Math.floor(r() * 300)]);
  }
  return shuffle([...past, ...future], r);
}

test('no leakage: perturbing events after T changes no feature of an example at or before T', () => {
  const log = randomLog(3000, 1);
  const a = source(log);
  for (const T of [1100, 1200, 1300]) {
    const before = featuresUpTo(a, T);
    assert.ok(before.size > 300, `enough examples before ${T}`);
    for (const seed of [2, 3]) {
      const b = source(perturbFuture(log, T, seed));
      assert.deepEqual(featuresUpTo(b, T), before, `T=${T} seed=${seed}`);
    }
  }
});

test('control: perturbing events before T does change features (the check above can fail)', () => {
  const log = randomLog(3000, 1);
  const T = 1200;
  const a = featuresUpTo(source(log), T);
  const changed = log.map((e): Ev => (e[4] < 1100 && e[3] === 'pv' ? [e[0], e[1], e[2], 'cart', e[4]] : e));
  const b = featuresUpTo(source(changed), T);
  assert.notDeepEqual(b, a);
});

test('the file order of events does not matter (canonical order inside each second)', () => {
  const log = randomLog(2000, 4);
  const a = source(log);
  const b = source(shuffle([...log], rng(9)));
  for (const sp of ['train', 'valid', 'test'] as const) assert.deepEqual([...b.examples(sp)], [...a.examples(sp)], sp);
});

test('events of the same second are not "earlier"; counts, recent categories and idle time', () => {
  const s = source([
    [1, 10, 5, 'pv', 100],
    [1, 11, 6, 'cart', 100],
    [2, 10, 5, 'buy', 100],
    [1, 12, 5, 'pv', 130],
    [1, 10, 5, 'buy', 140],
  ]);
  const f = (u: number, i: number) => s.exampleOf(s.pairs.find((p) => p.user === u && p.item === i)!, 'test').features;
  assert.deepEqual(f(1, 11), { ...f(1, 10), item_id: '11', item_category: '6', category_pv: 0, category_buy: 0 });
  assert.equal(f(1, 11).user_pv, 0);
  assert.equal(f(1, 10).item_buy, 0, 'the buy by user 2 in the same second is not earlier');
  const later = f(1, 12);
  assert.equal(later.user_pv, 1);
  assert.equal(later.user_cart, 1);
  assert.equal(later.item_pv, 0);
  assert.equal(later.category_pv, 1);
  assert.equal(later.category_buy, 1);
  assert.equal(later.user_category_events, 1);
  assert.deepEqual(later.user_recent_categories, ['5', '6']);
  assert.equal(later.user_idle_seconds, 30);
  assert.equal(f(1, 10).user_idle_seconds, null);
  assert.deepEqual(s.pairs.map((p) => `${p.user}:${p.item}`), ['1:10', '1:11', '2:10', '1:12'], 'one example per pair, first seen');
});

test('label windows end at the example split: later behaviour is not a training positive', () => {
  // Ten pairs first seen at t = 10..100: train t < 90, valid t = 90, test t = 100.
  const events: Ev[] = Array.from({ length: 10 }, (_, k) => [k, k, 1, 'pv', 10 * (k + 1)]);
  events.push([0, 0, 1, 'cart', 50]); // train pair, carted during train: 1
  events.push([1, 1, 1, 'cart', 95]); // train pair, carted during valid: 0 in training
  events.push([8, 8, 1, 'fav', 95]); // valid pair, within valid: 1
  events.push([8, 8, 1, 'buy', 105]); // ... bought during test: 0 for valid
  events.push([9, 9, 1, 'buy', 200]); // test pair: to the end of the log
  const s = source(events);
  assert.deepEqual(s.cuts, { valid: 90, test: 100 });
  const labels = (sp: 'train' | 'valid' | 'test') => [...s.examples(sp)].map((e) => [e.features.user_id, ...e.labels]);
  const train = labels('train');
  assert.deepEqual(train[0], ['0', 1, 0, 0]);
  assert.deepEqual(train[1], ['1', 0, 0, 0]);
  assert.deepEqual(labels('valid'), [['8', 0, 1, 0]]);
  assert.deepEqual(labels('test'), [['9', 0, 0, 1]]);
});

test('bad lines are counted by reason, never used', () => {
  const s = source(['user_id,item_id,category_id,behavior,timestamp', [1, 2, 3, 'pv', 100], '1,2,3,click,101', '1,2,3,pv', 'x,2,3,pv,102', '1,2,3,pv,soon', [1, 4, 3, 'pv', 103]]);
  assert.deepEqual(s.badRows, { bad_id: 2, bad_behavior: 1, wrong_column_count: 1, bad_time: 1 });
  assert.equal(s.rowsRead, 7);
  assert.equal(s.events, 2);
});

test('popularity baseline: item rate, backed off to category, then global', () => {
  const p = new Popularity(1, 10);
  for (let i = 0; i < 100; i++) p.add(1, 7, [i < 50 ? 1 : 0]); // item 1: 50%
  for (let i = 0; i < 100; i++) p.add(2, 7, [0]); // item 2: 0%, same category
  for (let i = 0; i < 200; i++) p.add(3, 8, [i < 20 ? 1 : 0]); // category 8: 10%
  const global = 70 / 400;
  const cat7 = (50 + 10 * global) / (200 + 10);
  assert.ok(Math.abs(p.rate(99, 7, 0) - cat7) < 1e-12, 'unseen item: its category');
  assert.ok(Math.abs(p.rate(99, 99, 0) - global) < 1e-12, 'unseen category: global');
  assert.ok(Math.abs(p.rate(1, 7, 0) - (50 + 10 * cat7) / 110) < 1e-12, 'seen item: smoothed toward its category');
  assert.ok(p.rate(1, 7, 0) > p.rate(99, 7, 0) && p.rate(99, 7, 0) > p.rate(2, 7, 0));
});

test('real slice: sizes, no bad lines, time split 80/10/10, labels as documented', { skip: SKIP_REAL }, () => {
  const s = taobaoSource();
  assert.equal(s.rowsRead, 110_300);
  assert.deepEqual(s.badRows, {});
  assert.equal(s.pairs.length, 108_243);
  const n = { train: 0, valid: 0, test: 0 };
  let last = -Infinity;
  for (const sp of ['train', 'valid', 'test'] as const) {
    for (const ex of s.examples(sp)) {
      n[sp]++;
      assert.ok(ex.time >= last, 'splits follow time');
      last = ex.time;
    }
  }
  assert.ok(Math.abs(n.train / 108_243 - 0.8) < 0.01 && Math.abs(n.test / 108_243 - 0.1) < 0.01, JSON.stringify(n));
  // Each pair's labels in the whole log (test window = end of log) match the README's counts.
  let buy = 0;
  for (const p of s.pairs) buy += s.labelsOf(p, 'test')[2];
  assert.equal(buy, 2487);
});

test('real slice: perturbing events after T leaves earlier examples unchanged', { skip: SKIP_REAL }, () => {
  const lines = readFileSync(REAL, 'utf8').split('\n').filter(Boolean).slice(0, 20_000);
  const log = lines.map((l): Ev => {
    const [u, i, c, b, t] = l.split(',');
    return [Number(u), Number(i), Number(c), b, Number(t)];
  });
  const T = log[12_000][4];
  const a = featuresUpTo(source(log), T);
  assert.ok(a.size > 10_000);
  const r = rng(5);
  const perturbed = log.map((e): Ev => (e[4] > T ? [e[0], e[1], e[2], BEHAVIORS[Math.floor(r() * BEHAVIORS.length)], e[4] + Math.floor(r() * 50)] : e));
  assert.deepEqual(featuresUpTo(source(shuffle(perturbed, r)), T), a);
});

test('real slice: smoke training on the first 5,000 lines writes model and baseline AUCs', { skip: SKIP_REAL }, async () => {
  const s = taobaoSource({ rows: 5000 });
  const data = prepare(s);
  const out = join(dir, 'smoke');
  const r = await trainToDir(data, {
    arch: 'mmoe',
    cfg: { ...DEFAULT_ARCH_CONFIG, embeddingDim: 4, expertDims: [16], towerDims: [8], experts: 2 },
    epochs: 1,
    batchSize: 256,
    lr: 0.005,
    seed: 1,
    shards: 1,
    threads: 1,
    weighting: 'fixed',
    patience: 1,
    kernels: 'js',
    out,
    dataInfo: s.describe(),
    baseline: { valid: s.baseline('valid'), test: s.baseline('test') },
  });
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  for (const t of ['cart', 'fav', 'buy']) {
    assert.ok(Number.isFinite(r.metrics[t].test.logloss), t);
    assert.ok(typeof m[t].baseline_auc === 'number' && m[t].baseline_auc > 0 && m[t].baseline_auc < 1, `${t} baseline_auc ${m[t].baseline_auc}`);
  }
});
