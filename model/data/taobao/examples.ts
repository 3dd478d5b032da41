// Taobao events -> one example per (user, item) pair, at the time the pair is first seen.
//
// Features are counted from STRICTLY EARLIER events only (time < the example's time, so not even
// other events of the same second): the user's, the item's and the category's activity by
// behaviour, the user's activity in this category, the user's recent categories and idle time.
// Events are processed one second at a time: the new pairs of a second are given their features
// first, then the second's events are added to the counters. Nothing that happens at or after
// an example's time can reach its features.
//
// Labels are not fixed here: each pair keeps the first time it was carted / favourited / bought,
// and the source decides which of those fall inside the label window (see source.ts).

import type { EventLog } from './events.ts';

/** The user's most recent categories kept for user_recent_categories. */
export const RECENT = 10;
/** Taobao's clock is China Standard Time (UTC+8); hour of day is taken there. */
const UTC_OFFSET = 8 * 3600;

export interface PairExample {
  user: number;
  item: number;
  category: number;
  time: number;
  /** Earlier events by behaviour (pv, cart, fav, buy) of the user, the item and the category. */
  userCounts: [number, number, number, number];
  itemCounts: [number, number, number, number];
  categoryCounts: [number, number, number, number];
  /** The user's earlier events in this item's category. */
  userCategoryEvents: number;
  /** Categories of the user's last RECENT earlier events, oldest first. */
  recentCategories: number[];
  /** Seconds since the user's previous event (null: none earlier in the log). */
  idleSeconds: number | null;
  /** First time the pair got cart / fav / buy (Infinity: never in the log). */
  firstLabelTime: [number, number, number];
}

type Counts = [number, number, number, number];
const zero = (): Counts => [0, 0, 0, 0];

export function pairExamples(e: EventLog): PairExample[] {
  const out: PairExample[] = [];
  const pairs = new Map<string, PairExample>();
  const userCounts = new Map<number, Counts>();
  const itemCounts = new Map<number, Counts>();
  const catCounts = new Map<number, Counts>();
  const userCat = new Map<string, number>();
  const recent = new Map<number, number[]>();
  const lastSeen = new Map<number, number>();
  let i = 0;
  while (i < e.n) {
    const t = e.time[i];
    let j = i;
    while (j < e.n && e.time[j] === t) j++;
    // 1. New pairs of this second: features from the counters, which hold only earlier seconds.
    for (let k = i; k < j; k++) {
      const u = e.user[k];
      const key = `${u}:${e.item[k]}`;
      if (pairs.has(key)) continue;
      const c = e.category[k];
      const last = lastSeen.get(u);
      const ex: PairExample = {
        user: u,
        item: e.item[k],
        category: c,
        time: t,
        userCounts: [...(userCounts.get(u) ?? zero())] as Counts,
        itemCounts: [...(itemCounts.get(e.item[k]) ?? zero())] as Counts,
        categoryCounts: [...(catCounts.get(c) ?? zero())] as Counts,
        userCategoryEvents: userCat.get(`${u}:${c}`) ?? 0,
        recentCategories: [...(recent.get(u) ?? [])],
        idleSeconds: last === undefined ? null : t - last,
        firstLabelTime: [Infinity, Infinity, Infinity],
      };
      pairs.set(key, ex);
      out.push(ex);
    }
    // 2. Label times, then 3. the counters, with every event of this second.
    for (let k = i; k < j; k++) {
      const u = e.user[k];
      const b = e.behavior[k];
      if (b > 0) {
        const ex = pairs.get(`${u}:${e.item[k]}`)!;
        if (ex.firstLabelTime[b - 1] === Infinity) ex.firstLabelTime[b - 1] = t;
      }
      bump(userCounts, u, b);
      bump(itemCounts, e.item[k], b);
      bump(catCounts, e.category[k], b);
      const uc = `${u}:${e.category[k]}`;
      userCat.set(uc, (userCat.get(uc) ?? 0) + 1);
      let r = recent.get(u);
      if (!r) recent.set(u, (r = []));
      r.push(e.category[k]);
      if (r.length > RECENT) r.shift();
      lastSeen.set(u, t);
    }
    i = j;
  }
  return out;
}

function bump(m: Map<number, Counts>, key: number, b: number): void {
  let c = m.get(key);
  if (!c) m.set(key, (c = zero()));
  c[b]++;
}

/** Hour of day (0-23) and minute of hour (0-59) in the log's local time. */
export function clock(t: number): { hour: number; minute: number } {
  const s = (((t + UTC_OFFSET) % 86400) + 86400) % 86400;
  return { hour: Math.floor(s / 3600), minute: Math.floor((s % 3600) / 60) };
}

/** Task names: the behaviours after pv, in BEHAVIORS order (firstLabelTime[k] is LABELS[k]). */
export const LABELS = ['cart', 'fav', 'buy'] as const;
