// UCI in-vehicle coupons: band parsing ("4~8", "less1", "gt8", "$37500 - $49999", "50plus",
// "below21", empty), one row -> features and labels (redeem, and masked per-type tasks), bad rows
// by reason, the deterministic hash split; and on the real file (skipped when ../shared/data is
// absent) sizes, no bad rows, distinct buckets for every value, masked labels.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sharedDataPath } from '../model/data/shared.ts';
import type { Split } from '../model/data/source.ts';
import { bandValue, clockHour, durationHours } from '../model/data/uci-coupon/ranges.ts';
import { COLUMNS, UCI_FILE, uciCouponSource } from '../model/data/uci-coupon/source.ts';
import { bucketOf, fieldSeed } from '../model/features/hash.ts';
import { categoricalString } from '../model/features/layout.ts';

const dir = mkdtempSync(join(tmpdir(), 'data-uci-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const REAL = sharedDataPath(UCI_FILE);
const SKIP_REAL = existsSync(REAL) ? false : `real data absent: ${REAL} not found (../shared/data is not in this checkout)`;
const SPLITS: Split[] = ['train', 'valid', 'test'];

test('bands become representative numbers; empty is missing; anything else is unreadable', () => {
  const cases: [string, number | null | undefined][] = [
    ['never', 0],
    ['less1', 0.5],
    ['1~3', 2],
    ['4~8', 6],
    ['gt8', 10],
    ['$37500 - $49999', 43749.5],
    ['Less than $12500', 6250],
    ['$100000 or More', 125000],
    ['below21', 20],
    ['21', 21],
    ['50plus', 62.5],
    ['80', 80],
    ['', null],
    ['  ', null],
    ['sometimes', undefined],
    ['4~', undefined],
    ['$', undefined],
  ];
  for (const [s, v] of cases) assert.equal(bandValue(s), v, JSON.stringify(s));
  assert.deepEqual(['7AM', '10AM', '12PM', '2PM', '6PM', '10PM', '12AM'].map(clockHour), [7, 10, 12, 14, 18, 22, 0]);
  assert.equal(clockHour('25PM'), undefined);
  assert.equal(clockHour('noon'), undefined);
  assert.deepEqual(['2h', '1d'].map(durationHours), [2, 24]);
  assert.equal(durationHours('soon'), undefined);
});

const HEADER = COLUMNS.join(',');
// destination,passanger,weather,temperature,time,couponType,expiration,gender,age,maritalStatus,has_children,education,
// occupation,income,cartype,Bar,CoffeeHouse,CarryAway,RestaurantLessThan20,Restaurant20To50,GEQ5,GEQ15,GEQ25,same,opp,Y
const ROW = (o: { coupon?: string; bar?: string; y?: string; income?: string; time?: string } = {}) =>
  [
    'Work', 'Alone', 'Sunny', '55', o.time ?? '7AM', o.coupon ?? 'Bar', '1d', 'Female', '21', 'Single', '1', 'Bachelors degree',
    'Student', o.income ?? '"$37500 - $49999"', '', o.bar ?? '4~8', 'never', '', 'less1', 'gt8', '1', '1', '0', '0', '1', o.y ?? '1',
  ].join(',');

function uci(lines: string[], variant: 'redeem' | 'by-type' = 'redeem') {
  const p = join(dir, `u${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(p, [HEADER, ...lines].join('\n') + '\n');
  return uciCouponSource({ path: p, variant });
}
const all = (s: ReturnType<typeof uci>) => SPLITS.flatMap((sp) => [...s.examples(sp)]);

test('one survey row: raw bands as categoricals, numbers beside them, the venue cross, a coupon candidate', () => {
  const [ex] = all(uci([ROW()]));
  const f = ex.features;
  assert.equal(ex.kind, 'coupon');
  assert.deepEqual(ex.labels, [1]);
  assert.equal(f.candidate_kind, 'coupon');
  assert.equal(f.income, '$37500 - $49999');
  assert.equal(f.income_usd, 43749.5);
  assert.equal(f.age_years, 21);
  assert.equal(f.visits_bar, '4~8');
  assert.equal(f.visits_bar_per_month, 6);
  assert.equal(f.visits_carry_away, '');
  assert.equal(f.visits_carry_away_per_month, null, 'empty band = missing, not 0');
  assert.equal(f.coupon_venue_visits, 'bar:4~8');
  assert.equal(f.coupon_venue_visits_per_month, 6);
  assert.equal(f.hour, 7);
  assert.equal(f.expiration_hours, 24);
  assert.equal(f.distance, '15-25');
  assert.equal(f.drive_minutes, 20);
  assert.equal(f.direction, 'opposite');
  assert.equal(ex.group, f.user_id);
  // The venue cross follows the coupon: a coffee coupon reads the CoffeeHouse answer.
  const [coffee] = all(uci([ROW({ coupon: 'Coffee House' })]));
  assert.equal(coffee.features.coupon_venue_visits, 'coffee_house:never');
  assert.equal(coffee.features.coupon_venue_visits_per_month, 0);
});

test('by type: each row labels only its own coupon type, the others are masked', () => {
  const s = uci([ROW({ coupon: 'Bar', y: '1' }), ROW({ coupon: 'Restaurant(20-50)', y: '0' })], 'by-type');
  assert.deepEqual(s.tasks.map((t) => [t.name, t.appliesTo]), [
    ['coffee_house', 'coupon'],
    ['restaurant_lt20', 'coupon'],
    ['carry_out', 'coupon'],
    ['bar', 'coupon'],
    ['restaurant_20_50', 'coupon'],
  ]);
  const labels = all(s).map((e) => JSON.stringify(e.labels)).sort();
  assert.deepEqual(labels, [JSON.stringify([null, null, null, 1, null]), JSON.stringify([null, null, null, null, 0])].sort());
});

test('bad rows are counted by reason: label, coupon type, band, clock time, column count', () => {
  const s = uci([ROW(), ROW({ y: '2' }), ROW({ coupon: 'Spa' }), ROW({ bar: 'often' }), ROW({ time: 'noonish' }), ROW({ income: 'unknown' }), 'Work,Alone,Sunny', ROW()]);
  assert.deepEqual(s.badRows, { 'bad_label:Y': 1, bad_coupon_type: 1, 'bad_range:Bar': 1, bad_time_of_day: 1, 'bad_range:income': 1, wrong_column_count: 1 });
  assert.equal(s.rowsRead, 8);
  assert.equal(all(s).length, 2);
  assert.deepEqual(s.badRowLines['bad_label:Y'], 3);
});

test('a file that is not the survey is a clear error', () => {
  const p = join(dir, 'other.csv');
  writeFileSync(p, 'a,b\n1,2\n');
  assert.throws(() => uciCouponSource({ path: p }), /not the UCI coupon file: missing column\(s\) destination, passanger/);
});

test('real survey: 12,684 rows, none bad, deterministic 80/10/10 hash split', { skip: SKIP_REAL }, () => {
  const s = uciCouponSource();
  assert.equal(s.rowsRead, 12_684);
  assert.deepEqual(s.badRows, {});
  const n = SPLITS.map((sp) => [...s.examples(sp)].length);
  assert.deepEqual(n, [10_136, 1_317, 1_231]);
  let pos = 0;
  for (const sp of SPLITS) for (const e of s.examples(sp)) pos += e.labels[0]!;
  assert.equal(pos, 7_210);
  // The same split on another open (and so on any machine).
  assert.deepEqual([...uciCouponSource().examples('test')].map((e) => e.features.user_id), [...s.examples('test')].map((e) => e.features.user_id));
});

test('real survey: per-type tasks label exactly one task per row, with the README counts', { skip: SKIP_REAL }, () => {
  const s = uciCouponSource({ variant: 'by-type' });
  const rows = new Map(s.tasks.map((t) => [t.name, 0]));
  for (const sp of SPLITS) {
    for (const e of s.examples(sp)) {
      const set = e.labels.map((y, k) => (y === null ? -1 : k)).filter((k) => k >= 0);
      assert.equal(set.length, 1);
      rows.set(s.tasks[set[0]].name, rows.get(s.tasks[set[0]].name)! + 1);
    }
  }
  assert.deepEqual(Object.fromEntries(rows), { coffee_house: 3996, restaurant_lt20: 2786, carry_out: 2393, bar: 2017, restaurant_20_50: 1492 });
});

test('real survey: every value of every small categorical has its own bucket; direction_opp is redundant', { skip: SKIP_REAL }, () => {
  const s = uciCouponSource();
  for (const f of s.features) {
    if (f.kind !== 'categorical' || f.name === 'user_id') continue;
    const values = new Set<string>();
    for (const sp of SPLITS) for (const e of s.examples(sp)) values.add(categoricalString(e.features[f.name]));
    values.delete('');
    const buckets = new Set([...values].map((v) => bucketOf(v, f.buckets, fieldSeed(f.name))));
    assert.equal(buckets.size, values.size, `${f.name}: ${values.size} values in ${buckets.size} buckets`);
  }
  const lines = readFileSync(REAL, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const [same, opp] = [head.indexOf('direction_same'), head.indexOf('direction_opp')];
  // Rows hold no quoted commas in these trailing columns: count from the end.
  const fromEnd = (l: string, i: number) => l.split(',').at(i - head.length)!;
  for (const l of lines.slice(1)) assert.equal(Number(fromEnd(l, same)) + Number(fromEnd(l, opp)), 1);
});
