// The Taobao UserBehavior log (user_id,item_id,category_id,behavior,timestamp; no header) read
// into columns and put in time order. Every line is checked; a line that is not a valid event is
// counted under its reason, never guessed at.

import { readCsvRecords } from '../csv/reader.ts';
import { BadRows } from '../bad-rows.ts';

export const BEHAVIORS = ['pv', 'cart', 'fav', 'buy'] as const;
export type Behavior = (typeof BEHAVIORS)[number];
export const PV = 0;

/** Events in a canonical order: by time, then user, item, behaviour (see sortEvents). */
export interface EventLog {
  n: number;
  user: Int32Array;
  item: Int32Array;
  category: Int32Array;
  /** Index into BEHAVIORS. */
  behavior: Uint8Array;
  time: Float64Array;
  /** Lines read (good and bad) and the bad ones by reason. */
  linesRead: number;
  bad: BadRows;
}

const ID = /^\d{1,10}$/;

function id(s: string): number {
  const t = s.trim();
  if (!ID.test(t)) return -1;
  const x = Number(t);
  return x <= 0x7fffffff ? x : -1;
}

/** Reads up to `maxLines` lines (all by default). */
export function readEvents(path: string, maxLines = Infinity): EventLog {
  const bad = new BadRows();
  let cap = 1 << 16;
  let n = 0;
  let user = new Int32Array(cap);
  let item = new Int32Array(cap);
  let category = new Int32Array(cap);
  let behavior = new Uint8Array(cap);
  let time = new Float64Array(cap);
  let lines = 0;
  for (const r of readCsvRecords(path)) {
    if (lines >= maxLines) break;
    lines++;
    if (!r.ok) {
      bad.add(r.reason, r.line);
      continue;
    }
    const f = r.fields;
    if (f.length !== 5) {
      bad.add('wrong_column_count', r.line);
      continue;
    }
    const u = id(f[0]);
    const i = id(f[1]);
    const c = id(f[2]);
    if (u < 0 || i < 0 || c < 0) {
      bad.add('bad_id', r.line);
      continue;
    }
    const b = BEHAVIORS.indexOf(f[3].trim() as Behavior);
    if (b < 0) {
      bad.add('bad_behavior', r.line);
      continue;
    }
    const ts = f[4].trim();
    const t = /^\d{1,12}$/.test(ts) ? Number(ts) : NaN;
    if (!Number.isFinite(t)) {
      bad.add('bad_time', r.line);
      continue;
    }
    if (n === cap) {
      cap *= 2;
      const grow = <A extends Int32Array | Uint8Array | Float64Array>(a: A): A => {
        const b2 = new (a.constructor as new (k: number) => A)(cap);
        b2.set(a);
        return b2;
      };
      user = grow(user);
      item = grow(item);
      category = grow(category);
      behavior = grow(behavior);
      time = grow(time);
    }
    user[n] = u;
    item[n] = i;
    category[n] = c;
    behavior[n] = b;
    time[n] = t;
    n++;
  }
  return sortEvents({ n, user: user.slice(0, n), item: item.slice(0, n), category: category.slice(0, n), behavior: behavior.slice(0, n), time: time.slice(0, n), linesRead: lines, bad });
}

/**
 * Canonical order: time, then user, item, behaviour, category. Everything downstream depends on
 * the set of events only, not on how the file happened to order events of the same second.
 */
export function sortEvents(e: EventLog): EventLog {
  const idx = Int32Array.from({ length: e.n }, (_, i) => i);
  idx.sort((a, b) => e.time[a] - e.time[b] || e.user[a] - e.user[b] || e.item[a] - e.item[b] || e.behavior[a] - e.behavior[b] || e.category[a] - e.category[b]);
  const pick = <A extends Int32Array | Uint8Array | Float64Array>(a: A): A => {
    const out = new (a.constructor as new (k: number) => A)(e.n);
    for (let k = 0; k < e.n; k++) out[k] = a[idx[k]];
    return out;
  };
  return { ...e, user: pick(e.user), item: pick(e.item), category: pick(e.category), behavior: pick(e.behavior), time: pick(e.time) };
}
