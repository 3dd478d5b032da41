// --data uci-coupon / uci-coupon-by-type: the UCI "in-vehicle coupon recommendation" survey
// (../shared/data/uci-coupon): would this driver accept this coupon in this situation?
//
//   uci-coupon          one task `redeem` (appliesTo coupon) over every row; the coupon type is
//                       a feature.
//   uci-coupon-by-type  one task per coupon type; a row labels only its own type's task, the
//                       others are null (masked: they train nothing and are not scored).
//
// The survey has no time, so the split is a seeded hash of the row number (80/10/10, split.ts):
// deterministic, the same on every machine. Like the published results it is a split of
// scenarios, not of people: one respondent's ~22 answers fall on both sides.
//
// Features (see ranges.ts for the band numbers): the raw columns as categoricals, ordered bands
// also as numbers, and two derived ones: the respondent (a key of their answers about themselves,
// since the survey has no id; also the GAUC group) and how often the driver visits the coupon's
// kind of venue (the Bar column for a bar coupon, ...), which the survey asks separately per venue.

import { CANDIDATE_KIND_FEATURE, type FeatureSpec, type RawRow, type TaskSpec } from '../../features/spec.ts';
import { BadRows, type AuditedSource } from '../bad-rows.ts';
import { readCsvRecords } from '../csv/reader.ts';
import { requireSharedFile } from '../shared.ts';
import type { Example, Split } from '../source.ts';
import { hashSplit } from '../split.ts';
import { bandValue, clockHour, durationHours } from './ranges.ts';

export const UCI_FILE = 'uci-coupon/in-vehicle-coupon-recommendation.csv';
export const SPLIT_SEED = 2020;
export const SHARES = { valid: 0.1, test: 0.1 };

/** Coupon types -> task name (by-type variant) and the survey column of that venue's visits. */
export const COUPON_TYPES: Record<string, { task: string; visits: string }> = {
  'Coffee House': { task: 'coffee_house', visits: 'CoffeeHouse' },
  'Restaurant(<20)': { task: 'restaurant_lt20', visits: 'RestaurantLessThan20' },
  'Carry out & Take away': { task: 'carry_out', visits: 'CarryAway' },
  Bar: { task: 'bar', visits: 'Bar' },
  'Restaurant(20-50)': { task: 'restaurant_20_50', visits: 'Restaurant20To50' },
};

const VISITS = ['Bar', 'CoffeeHouse', 'CarryAway', 'RestaurantLessThan20', 'Restaurant20To50'] as const;
/** Columns describing the respondent (not the situation or the coupon). */
const PERSON = ['gender', 'age', 'maritalStatus', 'has_children', 'education', 'occupation', 'income', 'cartype', ...VISITS];
export const COLUMNS = [
  'destination', 'passanger', 'weather', 'temperature', 'time', 'couponType', 'expiration', 'gender', 'age', 'maritalStatus',
  'has_children', 'education', 'occupation', 'income', 'cartype', ...VISITS, 'toCoupon_GEQ5min', 'toCoupon_GEQ15min',
  'toCoupon_GEQ25min', 'direction_same', 'direction_opp', 'Y',
];

const cat = (name: string, entity: FeatureSpec['entity'], buckets: number): FeatureSpec => ({ name, entity, kind: 'categorical', buckets });
const num = (name: string, entity: FeatureSpec['entity'], transform: 'log1p' | 'identity' = 'identity'): FeatureSpec => ({ name, entity, kind: 'numeric', transform, mean: 0, std: 1 });
const VISIT_FEATURE: Record<(typeof VISITS)[number], string> = {
  Bar: 'visits_bar',
  CoffeeHouse: 'visits_coffee_house',
  CarryAway: 'visits_carry_away',
  RestaurantLessThan20: 'visits_restaurant_lt20',
  Restaurant20To50: 'visits_restaurant_20_50',
};
const visitName = (c: (typeof VISITS)[number]) => VISIT_FEATURE[c];

/**
 * Bucket counts: the smallest above 3x the vocabulary for which every value of the survey gets
 * its own bucket under the shared hash (checked on the real file in test/data-uci-coupon.test.ts).
 */
export const UCI_FEATURES: FeatureSpec[] = [
  // A respondent key is hashed like any id: collisions between its 567 values are harmless.
  cat('user_id', 'user', 4096),
  cat('gender', 'user', 8),
  cat('age', 'user', 25),
  num('age_years', 'user'),
  cat('marital_status', 'user', 16),
  cat('has_children', 'user', 9),
  cat('education', 'user', 20),
  cat('occupation', 'user', 101),
  cat('income', 'user', 39),
  num('income_usd', 'user', 'log1p'),
  cat('car_type', 'user', 19),
  cat('visits_bar', 'user', 16),
  cat('visits_coffee_house', 'user', 17),
  cat('visits_carry_away', 'user', 19),
  cat('visits_restaurant_lt20', 'user', 16),
  cat('visits_restaurant_20_50', 'user', 16),
  ...VISITS.map((c) => num(`${visitName(c)}_per_month`, 'user', 'log1p')),
  cat('destination', 'context', 10),
  cat('passenger', 'context', 15),
  cat('weather', 'context', 11),
  num('temperature', 'context'),
  cat('time', 'context', 19),
  num('hour', 'context'),
  cat('distance', 'context', 10),
  num('drive_minutes', 'context'),
  cat('direction', 'context', 8),
  CANDIDATE_KIND_FEATURE,
  cat('coupon_type', 'coupon', 19),
  cat('expiration', 'coupon', 8),
  num('expiration_hours', 'coupon', 'log1p'),
  // Driver x coupon: travel with the candidate because they depend on the coupon.
  cat('coupon_venue_visits', 'coupon', 141),
  num('coupon_venue_visits_per_month', 'coupon', 'log1p'),
];

export type UciVariant = 'redeem' | 'by-type';

export interface UciOptions {
  variant?: UciVariant;
  /** Default: ../shared/data/uci-coupon/in-vehicle-coupon-recommendation.csv. */
  path?: string;
}

interface Row {
  ex: Example;
  split: Split;
}

export class UciCouponSource implements AuditedSource {
  readonly name: string;
  readonly features = UCI_FEATURES.map((f) => ({ ...f }));
  readonly tasks: TaskSpec[];
  readonly path: string;
  rowsRead = 0;
  readonly badRows;
  readonly badRowLines;
  private readonly rows: Row[] = [];

  constructor(o: UciOptions = {}) {
    const variant = o.variant ?? 'redeem';
    this.name = variant === 'redeem' ? 'uci-coupon' : 'uci-coupon-by-type';
    this.tasks = variant === 'redeem' ? [{ name: 'redeem', appliesTo: 'coupon' }] : Object.values(COUPON_TYPES).map((c) => ({ name: c.task, appliesTo: 'coupon' }));
    this.path = o.path ?? requireSharedFile(UCI_FILE, this.name);
    const bad = new BadRows();
    this.badRows = bad.counts;
    this.badRowLines = bad.firstLine;
    let at: Map<string, number> | undefined;
    let index = 0;
    for (const r of readCsvRecords(this.path)) {
      if (!at) {
        if (!r.ok) throw new Error(`${this.path}: cannot read the header line (${r.reason})`);
        at = new Map(r.fields.map((f, i) => [f.trim(), i]));
        const missing = COLUMNS.filter((c) => !at!.has(c));
        if (missing.length) throw new Error(`${this.path}: not the UCI coupon file: missing column(s) ${missing.join(', ')}`);
        continue;
      }
      this.rowsRead++;
      const i = index++;
      if (!r.ok) {
        bad.add(r.reason, r.line);
        continue;
      }
      if (r.fields.length !== at.size) {
        bad.add('wrong_column_count', r.line);
        continue;
      }
      const got = (c: string) => r.fields[at!.get(c)!].trim();
      const ex = parseRow(got, variant, this.tasks);
      if (typeof ex === 'string') bad.add(ex, r.line);
      else this.rows.push({ ex, split: hashSplit(i, SPLIT_SEED, SHARES) });
    }
    if (!at) throw new Error(`${this.path} is empty`);
  }

  examples(split: Split): Iterable<Example> {
    const rows = this.rows;
    return {
      *[Symbol.iterator]() {
        for (const r of rows) if (r.split === split) yield r.ex;
      },
    };
  }

  describe(): Record<string, unknown> {
    const n = { train: 0, valid: 0, test: 0 };
    for (const r of this.rows) n[r.split]++;
    return {
      source: this.name,
      file: this.path,
      rows: this.rowsRead,
      badRows: { ...this.badRows },
      split: { by: 'seeded hash of the row number', seed: SPLIT_SEED, rows: n },
      tasks: this.tasks.map((t) => t.name),
    };
  }
}

/** One survey row -> an example, or the reason it is a bad row. */
export function parseRow(got: (column: string) => string, variant: UciVariant, tasks: TaskSpec[]): Example | string {
  const y = got('Y');
  if (y !== '0' && y !== '1') return 'bad_label:Y';
  const type = got('couponType');
  const info = COUPON_TYPES[type];
  if (!info) return 'bad_coupon_type';
  const f: RawRow = {};
  const band = (col: string): number | null | string => {
    const v = bandValue(got(col));
    return v === undefined ? `bad_range:${col}` : v;
  };
  // Numbers first: any unreadable one makes the row bad.
  const numbers: Record<string, number | null | string> = {
    age_years: band('age'),
    income_usd: band('income'),
    temperature: band('temperature'),
    ...Object.fromEntries(VISITS.map((c) => [`${visitName(c)}_per_month`, band(c)])),
    coupon_venue_visits_per_month: band(info.visits),
  };
  for (const v of Object.values(numbers)) if (typeof v === 'string') return v;
  const hour = clockHour(got('time'));
  if (hour === undefined) return 'bad_time_of_day';
  const expiry = durationHours(got('expiration'));
  if (expiry === undefined) return 'bad_expiration';
  const flags = ['toCoupon_GEQ15min', 'toCoupon_GEQ25min', 'direction_same'].map(got);
  if (flags.some((x) => x !== '0' && x !== '1')) return 'bad_flag';
  Object.assign(f, numbers);
  f.hour = hour;
  f.expiration_hours = expiry;
  f.user_id = PERSON.map(got).join('|');
  f.gender = got('gender');
  f.age = got('age');
  f.marital_status = got('maritalStatus');
  f.has_children = got('has_children');
  f.education = got('education');
  f.occupation = got('occupation');
  f.income = got('income');
  f.car_type = got('cartype');
  for (const c of VISITS) f[visitName(c)] = got(c);
  f.destination = got('destination');
  f.passenger = got('passanger');
  f.weather = got('weather');
  f.time = got('time');
  // toCoupon_GEQ5min is 1 on every row; the two others give three distance bands.
  const [geq15, geq25, same] = flags;
  f.distance = geq25 === '1' ? '25+' : geq15 === '1' ? '15-25' : '5-15';
  f.drive_minutes = geq25 === '1' ? 30 : geq15 === '1' ? 20 : 10;
  // direction_opp is 1 - direction_same on every row of the survey.
  f.direction = same === '1' ? 'same' : 'opposite';
  f.candidate_kind = 'coupon';
  f.coupon_type = type;
  f.expiration = got('expiration');
  f.coupon_venue_visits = `${info.task}:${got(info.visits)}`;
  const label: 0 | 1 = y === '1' ? 1 : 0;
  const labels = variant === 'redeem' ? [label] : tasks.map((t) => (t.name === info.task ? label : null));
  return { features: f, labels, kind: 'coupon', group: f.user_id as string, time: 0 };
}

export function uciCouponSource(o: UciOptions = {}): UciCouponSource {
  return new UciCouponSource(o);
}
