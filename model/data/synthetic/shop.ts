// The built-in data source: a seeded, deterministic simulation of a shop's impression log.
//
// The shop (catalog.ts): 10k users (age band, gender, city tier, a latent price sensitivity
// observed with noise, a latent taste over 20 categories drawn around one or two shopper
// segments), 30k items (category, brand, log-normal price by category, rating reflecting a
// latent quality), 300 coupons (kind, discount, minimum spend, category or sitewide scope),
// 150 advertisers (home category, bid level, landing-page quality) with 2,000 ads (format,
// category, bid per click, creative quality).
//
// The log: 14 days of impressions with a diurnal / weekend traffic curve; rows are in time
// order. Each impression draws a user (long-tailed activity), the device (phone OS or
// desktop, by user and hour), the user's recent-view history of that day (10 categories drawn
// from their taste) and a candidate: an item (75%) retrieved mostly from the user's taste
// or history, else by popularity (Zipf inside each category), a coupon (17%) or an ad (8%,
// targeted at a liked category, else by popularity).
//
// Labels (behaviour.ts) come from known probabilities: click, then cart | click and
// purchase | click on item rows (entire space: no click -> cart = purchase = 0), redeem on
// coupon rows, ad_click then ad_conversion | ad_click on ad rows. trueProb carries the
// probabilities of the labels (p(click) p(cart | click), ...; 0 for the masked tasks), so the
// Bayes AUC is known.
//
// Row i is generated from a PRNG seeded by (seed, i) (and the user's history from
// (seed, user, day)), so any split can be streamed, re-streamed, or started in the middle
// without holding rows in memory. Only the catalogue (a few MB) is built once per source,
// together with the intercepts, calibrated on a fixed sample so the positive rates hit
// TARGET_RATES for every seed (calibration.ts).
//
// Beside this file: features.ts (what a model sees), timeline.ts (the period and its traffic),
// impression.ts (the reused per-row struct), catalog.ts (with users.ts, coupons.ts, ads.ts),
// behaviour.ts, calibration.ts (the intercepts), oracle.ts, rng.ts.

import type { KindSpec } from '../../features/kinds.ts';
import type { FeatureSpec, RawRow, TaskSpec } from '../../features/spec.ts';
import type { DataSource, Example, Split } from '../source.ts';
import {
  AD_CLICK,
  AD_CONVERSION,
  adLogits,
  adProbs,
  CART,
  CLICK,
  couponLogit,
  itemLogits,
  itemProbs,
  PURCHASE,
  REDEEM,
  TASK_COUNT,
  type AdLatents,
  type CouponLatents,
  type Intercepts,
  type ItemLatents,
} from './behaviour.ts';
import { buildCatalog, type Catalog, DEFAULT_SIZES } from './catalog.ts';
import {
  AD_FORMATS,
  AGE_BANDS,
  CITY_TIERS,
  COUPON_KINDS,
  DEVICE_DESKTOP,
  DEVICES,
  GENDERS,
  HISTORY_LEN,
  N_CATEGORIES,
  SCOPE_ALL,
} from './vocabulary.ts';
import { calibrate } from './calibration.ts';
import { KINDS, syntheticFeatures } from './features.ts';
import { KIND_AD, KIND_COUPON, KIND_ITEM, newImpression, type Impression } from './impression.ts';
import { type AliasTable, Rng, sampleCdf, seed32, sigmoid, subSeed } from './rng.ts';
import { DAYS, T0, Timeline, WEEKDAYS } from './timeline.ts';

// About 1M item rows for training: MMoE and PLE peak within the first epoch here (a second
// pass over the same impressions memorises ids), so the ceiling is approached with more rows,
// not more epochs. At 600k rows the gap to the Bayes AUC stayed near 0.03; at 1.5M rows (83%
// items, no ads) it was 0.012-0.018. With the ads' 8% the log grew by a tenth to keep the
// item rows.
export const DEFAULT_ROWS = 1_650_000;
export const DEFAULT_SEED = 42;
/** Shares of impressions whose candidate is a coupon, an ad (the rest are items). */
export const COUPON_SHARE = 0.17;
export const AD_SHARE = 0.08;
/** Split boundaries as fractions of the timeline (rows are in time order). */
export const SPLIT_FRACTIONS = { train: [0, 0.8], valid: [0.8, 0.9], test: [0.9, 1] } as const;

// Candidate retrieval mix for item impressions: by taste, from recent history, exploration.
const RETRIEVE_TASTE = 0.55;
const RETRIEVE_HISTORY = 0.2;
// Coupon retrieval: scoped to a liked category with this probability, else by popularity.
const COUPON_TARGETED = 0.5;
// Ad retrieval (targeting): a liked category with this probability, else by popularity.
const AD_TARGETED = 0.6;
// Recent-view history: drawn from taste, else from global category popularity.
const HISTORY_FROM_TASTE = 0.9;

// Stream tags of the rows and histories (calibration.ts uses 3).
const TAG_ROW = 1;
const TAG_HISTORY = 2;

/** In the order of the task indices CLICK, CART, PURCHASE, REDEEM, AD_CLICK, AD_CONVERSION (behaviour.ts). */
export const TASKS: TaskSpec[] = [
  { name: 'click', appliesTo: 'item' },
  { name: 'cart', appliesTo: 'item', parent: 'click' },
  { name: 'purchase', appliesTo: 'item', parent: 'click' },
  { name: 'redeem', appliesTo: 'coupon' },
  { name: 'ad_click', appliesTo: 'ad' },
  { name: 'ad_conversion', appliesTo: 'ad', parent: 'ad_click' },
];


export interface SyntheticShopOptions {
  rows?: number;
  seed?: number;
}

export class SyntheticShop implements DataSource {
  readonly name = 'synthetic';
  readonly features: FeatureSpec[];
  readonly tasks: TaskSpec[] = TASKS.map((t) => ({ ...t }));
  readonly kinds: KindSpec[] = KINDS.map((k) => ({ ...k, ...(k.value ? { value: k.value.map((v) => ({ ...v })) } : {}) }));
  readonly rows: number;
  readonly seed: number;
  readonly catalog: Catalog;
  readonly intercepts: Intercepts;
  /** Mean true probabilities on the calibration sample (expected positive rates). */
  readonly expectedRates: Record<keyof Intercepts, number> & { couponShare: number; adShare: number };
  private readonly s32: number;
  private readonly timeline = new Timeline();
  private readonly historyRng = new Rng();

  constructor(opts: SyntheticShopOptions = {}) {
    const rows = opts.rows ?? DEFAULT_ROWS;
    if (!(Number.isInteger(rows) && rows >= 10)) throw new Error(`synthetic: rows must be an integer >= 10, got ${rows}`);
    this.rows = rows;
    this.seed = opts.seed ?? DEFAULT_SEED;
    this.s32 = seed32(this.seed);
    this.catalog = buildCatalog(this.s32, DEFAULT_SIZES);
    this.features = syntheticFeatures(DEFAULT_SIZES);
    const cal = calibrate(this.s32, (rng, f, imp) => this.simulate(rng, f, imp));
    this.intercepts = cal.intercepts;
    this.expectedRates = cal.rates;
  }

  /** Row index range [start, end) of a split. */
  splitRange(split: Split): [number, number] {
    const [a, b] = SPLIT_FRACTIONS[split];
    return [Math.round(a * this.rows), Math.round(b * this.rows)];
  }

  /** The recent-view history of a user on a day (deterministic from (seed, user, day)). */
  historyOf(user: number, day: number, out: Uint8Array, counts: Uint8Array): void {
    const c = this.catalog;
    const rng = this.historyRng.reseed(subSeed(this.s32, TAG_HISTORY, user, day));
    counts.fill(0);
    for (let j = 0; j < out.length; j++) {
      let k: number;
      if (rng.next() < HISTORY_FROM_TASTE) k = this.sampleTaste(rng, user);
      else k = c.catAlias.sample(rng);
      out[j] = k;
      counts[k]++;
    }
  }

  /** A category drawn from the user's taste. */
  private sampleTaste(rng: Rng, user: number): number {
    const base = user * N_CATEGORIES;
    return sampleCdf(rng, this.catalog.userTasteCdf, base, base + N_CATEGORIES);
  }

  /**
   * A coupon or an ad: with probability p, one of a category drawn from the user's taste (when
   * that category has any), else one by overall popularity.
   */
  private targeted(rng: Rng, user: number, p: number, byCat: readonly Int32Array[], aliasByCat: readonly (AliasTable | null)[], overall: AliasTable): number {
    if (rng.next() < p) {
      const k = this.sampleTaste(rng, user);
      const alias = aliasByCat[k];
      if (alias) return byCat[k][alias.sample(rng)];
    }
    return overall.sample(rng);
  }

  /**
   * Simulate the impression at timeline fraction `f` with randomness from `rng`: context,
   * user, history, candidate and logits (no intercepts, no labels).
   */
  private simulate(rng: Rng, f: number, imp: Impression): void {
    const c = this.catalog;
    const K = N_CATEGORIES;
    const seconds = this.timeline.secondsAt(f);
    imp.time = T0 + seconds;
    const hourIndex = Math.floor(seconds / 3600);
    imp.day = Math.floor(hourIndex / 24);
    imp.hour = hourIndex % 24;
    imp.weekday = imp.day % 7;
    const weekend = imp.weekday >= 5;
    const user = c.userActivity.sample(rng);
    imp.user = user;
    this.historyOf(user, imp.day, imp.history, imp.histCount);
    const work = !weekend && imp.hour >= 9 && imp.hour < 18 ? 1.0 : imp.hour >= 22 || imp.hour < 7 ? -0.8 : -0.3;
    imp.device = rng.next() < sigmoid(c.userDesktop[user] + work) ? DEVICE_DESKTOP : c.userPhone[user];
    const r0 = rng.next();
    imp.kind = r0 < COUPON_SHARE ? KIND_COUPON : r0 < COUPON_SHARE + AD_SHARE ? KIND_AD : KIND_ITEM;
    imp.item = imp.coupon = imp.ad = -1;
    imp.x.fill(0);
    const base = user * K;
    if (imp.kind === KIND_ITEM) {
      const r = rng.next();
      const cat =
        r < RETRIEVE_TASTE
          ? this.sampleTaste(rng, user)
          : r < RETRIEVE_TASTE + RETRIEVE_HISTORY
            ? imp.history[rng.int(HISTORY_LEN)]
            : c.catAlias.sample(rng);
      const item = c.itemsByCat[cat][c.itemAliasByCat[cat].sample(rng)];
      imp.item = item;
      const lat: ItemLatents = {
        aff: c.userAff[base + cat],
        histShare: imp.histCount[cat] / HISTORY_LEN,
        sens: c.userSens[user],
        quality: c.itemQuality[item],
      };
      itemLogits(c, item, lat, imp.hour, weekend, imp.device, imp.x);
    } else if (imp.kind === KIND_AD) {
      const ad = this.targeted(rng, user, AD_TARGETED, c.adsByCat, c.adAliasByCat, c.adAlias);
      imp.ad = ad;
      const cat = c.adCat[ad];
      const lat: AdLatents = { aff: c.userAff[base + cat], histShare: imp.histCount[cat] / HISTORY_LEN, sens: c.userSens[user], quality: c.adQuality[ad] };
      adLogits(c, ad, lat, imp.hour, weekend, imp.device, imp.x);
    } else {
      const coupon = this.targeted(rng, user, COUPON_TARGETED, c.couponsByScope, c.couponAliasByScope, c.couponAlias);
      imp.coupon = coupon;
      const scope = c.couponScope[coupon];
      const lat: CouponLatents = {
        aff: scope === SCOPE_ALL ? 0 : c.userAff[base + scope],
        histShare: scope === SCOPE_ALL ? 0 : imp.histCount[scope] / HISTORY_LEN,
        sens: c.userSens[user],
        quality: c.couponQuality[coupon],
      };
      imp.x[REDEEM] = couponLogit(c, coupon, lat, imp.hour, weekend, imp.device);
    }
  }

  /** Generate impression `index` (0 <= index < rows) into `imp`, labels included. */
  impression(index: number, rng: Rng, imp: Impression): Impression {
    rng.reseed(subSeed(this.s32, TAG_ROW, index));
    const f = (index + rng.next()) / this.rows;
    imp.index = index;
    this.simulate(rng, f, imp);
    const b = this.intercepts;
    imp.p.fill(0);
    imp.y.fill(-1);
    if (imp.kind === KIND_ITEM) {
      itemProbs(imp.x, b, imp.p);
      const click = rng.next() < imp.p[CLICK];
      // Conditional probabilities of the children given a click.
      const cartGivenClick = imp.p[CART] / imp.p[CLICK];
      const purchaseGivenClick = imp.p[PURCHASE] / imp.p[CLICK];
      const u1 = rng.next();
      const u2 = rng.next();
      imp.y[CLICK] = click ? 1 : 0;
      imp.y[CART] = click && u1 < cartGivenClick ? 1 : 0;
      imp.y[PURCHASE] = click && u2 < purchaseGivenClick ? 1 : 0;
    } else if (imp.kind === KIND_AD) {
      adProbs(imp.x, b, imp.p);
      const click = rng.next() < imp.p[AD_CLICK];
      const u = rng.next();
      imp.y[AD_CLICK] = click ? 1 : 0;
      imp.y[AD_CONVERSION] = click && u < imp.p[AD_CONVERSION] / imp.p[AD_CLICK] ? 1 : 0;
    } else {
      imp.p[REDEEM] = sigmoid(b.redeem + imp.x[REDEEM]);
      imp.y[REDEEM] = rng.next() < imp.p[REDEEM] ? 1 : 0;
    }
    return imp;
  }

  /** Raw feature row of an impression (the other kinds' fields null). */
  rowOf(imp: Impression): RawRow {
    const c = this.catalog;
    const u = imp.user;
    let hist = c.catName[imp.history[0]];
    for (let j = 1; j < imp.history.length; j++) hist += '|' + c.catName[imp.history[j]];
    const it = imp.item;
    const cp = imp.coupon;
    const ad = imp.ad;
    const rating = it >= 0 ? c.itemRating[it] : NaN;
    return {
      user_id: c.userName[u],
      user_age_band: AGE_BANDS[c.userAge[u]],
      user_gender: GENDERS[c.userGender[u]],
      user_city_tier: CITY_TIERS[c.userTier[u]],
      user_recent_categories: hist,
      user_price_sensitivity: c.userSensObs[u],
      hour: imp.hour,
      weekday: WEEKDAYS[imp.weekday],
      device: DEVICES[imp.device],
      candidate_kind: KINDS[imp.kind].name,
      item_id: it >= 0 ? c.itemName[it] : null,
      item_category: it >= 0 ? c.catName[c.itemCat[it]] : null,
      item_brand: it >= 0 ? c.brandName[c.itemBrand[it]] : null,
      item_price: it >= 0 ? c.itemPrice[it] : null,
      item_rating: Number.isNaN(rating) ? null : rating,
      coupon_id: cp >= 0 ? c.couponName[cp] : null,
      coupon_kind: cp >= 0 ? COUPON_KINDS[c.couponKind[cp]] : null,
      coupon_scope: cp >= 0 ? (c.couponScope[cp] === SCOPE_ALL ? 'all' : c.catName[c.couponScope[cp]]) : null,
      coupon_discount: cp >= 0 ? c.couponDiscount[cp] : null,
      coupon_min_spend: cp >= 0 ? c.couponMinSpend[cp] : null,
      ad_id: ad >= 0 ? c.adName[ad] : null,
      ad_advertiser: ad >= 0 ? c.advertiserName[c.adAdvertiser[ad]] : null,
      ad_category: ad >= 0 ? c.catName[c.adCat[ad]] : null,
      ad_format: ad >= 0 ? AD_FORMATS[c.adFormat[ad]] : null,
      ad_bid: ad >= 0 ? c.adBid[ad] : null,
    };
  }

  exampleOf(imp: Impression): Example {
    const labels: (0 | 1 | null)[] = new Array(TASK_COUNT);
    for (let t = 0; t < TASK_COUNT; t++) labels[t] = imp.y[t] < 0 ? null : imp.y[t] === 1 ? 1 : 0;
    return {
      features: this.rowOf(imp),
      labels,
      kind: KINDS[imp.kind].name,
      group: this.catalog.userName[imp.user],
      time: imp.time,
      trueProb: Array.from(imp.p),
    };
  }

  /** Impressions of a split as reused internal structs (fast path for diagnostics). */
  *impressions(split: Split): Generator<Impression> {
    const [start, end] = this.splitRange(split);
    const rng = new Rng();
    const imp = newImpression();
    for (let i = start; i < end; i++) yield this.impression(i, rng, imp);
  }

  examples(split: Split): Iterable<Example> {
    const self = this;
    return {
      *[Symbol.iterator]() {
        for (const imp of self.impressions(split)) yield self.exampleOf(imp);
      },
    };
  }

  describe(): Record<string, unknown> {
    const [, trainEnd] = this.splitRange('train');
    const [, validEnd] = this.splitRange('valid');
    return {
      source: 'synthetic',
      rows: this.rows,
      seed: this.seed,
      users: DEFAULT_SIZES.users,
      items: DEFAULT_SIZES.items,
      coupons: DEFAULT_SIZES.coupons,
      advertisers: DEFAULT_SIZES.advertisers,
      ads: DEFAULT_SIZES.ads,
      brands: DEFAULT_SIZES.brandsPerCategory * N_CATEGORIES,
      categories: N_CATEGORIES,
      days: DAYS,
      start: new Date(T0 * 1000).toISOString(),
      splits: { train: trainEnd, valid: validEnd - trainEnd, test: this.rows - validEnd },
      historyLength: HISTORY_LEN,
      couponShare: round4(this.expectedRates.couponShare),
      adShare: round4(this.expectedRates.adShare),
      expectedPositiveRates: Object.fromEntries(TASKS.map((t) => [t.name, round4(this.expectedRates[t.name as keyof Intercepts])])),
      intercepts: Object.fromEntries(Object.entries(this.intercepts).map(([k, v]) => [k, round4(v)])),
    };
  }
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The built-in default data: a simulated shop (see the module comment). */
export function syntheticShop(opts: SyntheticShopOptions = {}): SyntheticShop {
  return new SyntheticShop(opts);
}
