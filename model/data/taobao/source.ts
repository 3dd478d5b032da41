// --data taobao: the Taobao UserBehavior slice (../shared/data/taobao-userbehavior) as a
// multi-task source: one example per (user, item) pair when it is first seen, tasks cart / fav /
// buy (did the pair get that behaviour), features from strictly earlier events (examples.ts).
//
// Split by time, never at random: the earliest 80% of examples train, the next 10% validate,
// the last 10% test (cut at whole seconds).
//
// Label window: from the example's time to the end of the example's own split. A training
// pair carted during the test period is a negative in training: what happened after the
// training period must not teach the model (it would leak the test period's popularity into
// training labels). Test labels run to the end of the log. Either way features never see an
// event at or after the example's time, so no label leaks into a feature. Pairs first seen
// just before a cut have less time to convert (right-censoring); that is the same for the
// model and the popularity baseline.

import { CANDIDATE_KIND_FEATURE, type FeatureSpec, type TaskSpec } from '../../features/spec.ts';
import type { AuditedSource } from '../bad-rows.ts';
import { requireSharedFile } from '../shared.ts';
import type { Example, Split } from '../source.ts';
import { timeCuts, timeSplit, type TimeCuts } from '../split.ts';
import { readEvents } from './events.ts';
import { clock, LABELS, pairExamples, RECENT, type PairExample } from './examples.ts';
import { Popularity, SMOOTHING } from './popularity.ts';

export const TAOBAO_FILE = 'taobao-userbehavior/UserBehavior.csv';
export const SHARES = { valid: 0.1, test: 0.1 };

export const TAOBAO_TASKS: TaskSpec[] = LABELS.map((name) => ({ name, appliesTo: 'item' }));

const num = (name: string, entity: FeatureSpec['entity']): FeatureSpec => ({ name, entity, kind: 'numeric', transform: 'log1p', mean: 0, std: 1 });
const counts = (prefix: string, entity: FeatureSpec['entity']) => ['pv', 'cart', 'fav', 'buy'].map((b) => num(`${prefix}_${b}`, entity));

/**
 * Ids get about twice as many buckets as the slice has distinct values (66k users, 85k items,
 * 3.9k categories); `hour` gets 120, the smallest count that puts all 24 hours in distinct buckets.
 */
export const TAOBAO_FEATURES: FeatureSpec[] = [
  { name: 'user_id', entity: 'user', kind: 'categorical', buckets: 131_072 },
  ...counts('user', 'user'),
  { name: 'user_recent_categories', entity: 'user', kind: 'multi', buckets: 8192, maxLen: RECENT, separator: '|' },
  num('user_idle_seconds', 'user'),
  { name: 'hour', entity: 'context', kind: 'categorical', buckets: 120 },
  { name: 'minute', entity: 'context', kind: 'numeric', transform: 'identity', mean: 0, std: 1 },
  CANDIDATE_KIND_FEATURE,
  { name: 'item_id', entity: 'item', kind: 'categorical', buckets: 131_072 },
  { name: 'item_category', entity: 'item', kind: 'categorical', buckets: 8192 },
  ...counts('item', 'item'),
  ...counts('category', 'item'),
  // Depends on the user and the candidate together, so it travels with the candidate.
  num('user_category_events', 'item'),
];

export interface TaobaoOptions {
  /** Default: ../shared/data/taobao-userbehavior/UserBehavior.csv. */
  path?: string;
  /** Read only the first N lines (smoke runs). */
  rows?: number;
}

export class TaobaoSource implements AuditedSource {
  readonly name = 'taobao';
  readonly features = TAOBAO_FEATURES.map((f) => ({ ...f }));
  readonly tasks = TAOBAO_TASKS.map((t) => ({ ...t }));
  readonly path: string;
  readonly rowsRead: number;
  readonly badRows;
  readonly badRowLines;
  readonly events: number;
  readonly pairs: PairExample[];
  readonly cuts: TimeCuts;
  private readonly popularity: Popularity;
  private readonly lastTime: number;

  constructor(o: TaobaoOptions = {}) {
    this.path = o.path ?? requireSharedFile(TAOBAO_FILE, 'taobao');
    const log = readEvents(this.path, o.rows ?? Infinity);
    this.rowsRead = log.linesRead;
    this.badRows = log.bad.counts;
    this.badRowLines = log.bad.firstLine;
    this.events = log.n;
    this.lastTime = log.n ? log.time[log.n - 1] : 0;
    this.pairs = pairExamples(log);
    this.cuts = timeCuts(Float64Array.from(this.pairs, (p) => p.time), SHARES);
    this.popularity = new Popularity(this.tasks.length);
    for (const p of this.pairs) if (this.splitOf(p) === 'train') this.popularity.add(p.item, p.category, this.labelsOf(p, 'train'));
  }

  splitOf(p: PairExample): Split {
    return timeSplit(p.time, this.cuts);
  }

  /** Labels count a behaviour only before the end of the example's split (see the header). */
  labelsOf(p: PairExample, split: Split): (0 | 1)[] {
    const end = split === 'train' ? this.cuts.valid : split === 'valid' ? this.cuts.test : Infinity;
    return p.firstLabelTime.map((t) => (t < end ? 1 : 0));
  }

  exampleOf(p: PairExample, split: Split): Example {
    const { hour, minute } = clock(p.time);
    return {
      features: {
        user_id: String(p.user),
        user_pv: p.userCounts[0],
        user_cart: p.userCounts[1],
        user_fav: p.userCounts[2],
        user_buy: p.userCounts[3],
        user_recent_categories: p.recentCategories.map(String),
        user_idle_seconds: p.idleSeconds,
        hour,
        minute,
        candidate_kind: 'item',
        item_id: String(p.item),
        item_category: String(p.category),
        item_pv: p.itemCounts[0],
        item_cart: p.itemCounts[1],
        item_fav: p.itemCounts[2],
        item_buy: p.itemCounts[3],
        category_pv: p.categoryCounts[0],
        category_cart: p.categoryCounts[1],
        category_fav: p.categoryCounts[2],
        category_buy: p.categoryCounts[3],
        user_category_events: p.userCategoryEvents,
      },
      labels: this.labelsOf(p, split),
      kind: 'item',
      group: String(p.user),
      time: p.time,
    };
  }

  examples(split: Split): Iterable<Example> {
    const self = this;
    return {
      *[Symbol.iterator]() {
        for (const p of self.pairs) if (self.splitOf(p) === split) yield self.exampleOf(p, split);
      },
    };
  }

  /** Popularity predictions ([n, tasks], rows in examples(split) order), fitted on train. */
  baseline(split: Split): Float32Array {
    const rows = this.pairs.filter((p) => this.splitOf(p) === split);
    const T = this.tasks.length;
    const out = new Float32Array(rows.length * T);
    rows.forEach((p, i) => {
      for (let k = 0; k < T; k++) out[i * T + k] = this.popularity.rate(p.item, p.category, k);
    });
    return out;
  }

  describe(): Record<string, unknown> {
    const n = { train: 0, valid: 0, test: 0 };
    const pos = { train: [0, 0, 0], valid: [0, 0, 0], test: [0, 0, 0] };
    for (const p of this.pairs) {
      const s = this.splitOf(p);
      n[s]++;
      this.labelsOf(p, s).forEach((y, k) => (pos[s][k] += y));
    }
    const rate = (s: Split) => Object.fromEntries(this.tasks.map((t, k) => [t.name, n[s] ? Math.round((pos[s][k] / n[s]) * 1e4) / 1e4 : null]));
    return {
      source: 'taobao',
      file: this.path,
      lines: this.rowsRead,
      events: this.events,
      badRows: { ...this.badRows },
      examples: this.pairs.length,
      example: 'one per (user, item) pair, at its first event',
      split: { by: 'time', validFrom: this.cuts.valid, testFrom: this.cuts.test, lastEvent: this.lastTime, rows: n },
      labelWindow: 'from the example time to the end of its own split (test: end of log)',
      positiveRates: { train: rate('train'), valid: rate('valid'), test: rate('test') },
      baseline: `popularity: item rate backed off to category, then global (smoothing ${SMOOTHING} rows), fitted on train`,
    };
  }
}

export function taobaoSource(o: TaobaoOptions = {}): TaobaoSource {
  return new TaobaoSource(o);
}
