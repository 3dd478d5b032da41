// The built-in data source: a seeded, deterministic simulation of a shop's impression log.
//
// The shop (catalog.ts): 10k users (age band, gender, city tier, a latent price sensitivity
// observed with noise, a latent taste over 20 categories drawn around one or two shopper
// segments), 30k items (category, brand, log-normal price by category, rating reflecting a
// latent quality), 300 coupons (kind, discount, minimum spend, category or sitewide scope).
//
// The log: 14 days of impressions with a diurnal / weekend traffic curve; rows are in time
// order. Each impression draws a user (long-tailed activity), the device (phone OS or
// desktop, by user and hour), the user's recent-view history of that day (10 categories drawn
// from their taste) and a candidate: an item (~83%) retrieved mostly from the user's taste
// or history, else by popularity (Zipf inside each category), or a coupon (~17%).
//
// Labels (behaviour.ts) come from known probabilities: click, then cart | click and
// purchase | click on item rows (entire space: no click -> cart = purchase = 0), redeem on
// coupon rows. trueProb carries p(click), p(click) p(cart | click), p(click) p(purchase | click)
// and p(redeem) (0 for the masked tasks), so the Bayes AUC is known.
//
// Row i is generated from a PRNG seeded by (seed, i) (and the user's history from
// (seed, user, day)), so any split can be streamed, re-streamed, or started in the middle
// without holding rows in memory. Only the catalogue (a few MB) is built once per source,
// together with the intercepts, calibrated on a fixed sample so the positive rates hit
// TARGET_RATES for every seed.
//
// Beside this file: features.ts (what a model sees), timeline.ts (the period and its traffic),
// impression.ts (the reused per-row struct), catalog.ts, behaviour.ts, oracle.ts, rng.ts.

import type { FeatureSpec, RawRow, TaskSpec } from '../../features/spec.ts';
import type { DataSource, Example, Split } from '../source.ts';
import {
  CART,
  CLICK,
  couponLogit,
  itemLogits,
  itemProbs,
  PURCHASE,
  REDEEM,
  solveIntercept,
  TARGET_RATES,
  type CouponLatents,
  type Intercepts,
  type ItemLatents,
} from './behaviour.ts';
import { buildCatalog, type Catalog, DEFAULT_SIZES } from './catalog.ts';
import {
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
import { syntheticFeatures } from './features.ts';
import { newImpression, type Impression } from './impression.ts';
import { Rng, sampleCdf, seed32, sigmoid, subSeed } from './rng.ts';
import { DAYS, T0, Timeline, WEEKDAYS } from './timeline.ts';

// 1.2M training rows: MMoE and PLE peak within the first epoch here (a second pass over the
// same impressions memorises ids), so the ceiling is approached with more rows, not more
// epochs. At 600k rows the gap to the Bayes AUC stayed near 0.03; at 1.5M it is 0.012-0.018.
export const DEFAULT_ROWS = 1_500_000;
export const DEFAULT_SEED = 42;
/** Share of impressions whose candidate is a coupon. */
export const COUPON_SHARE = 0.17;
/** Split boundaries as fractions of the timeline (rows are in time order). */
export const SPLIT_FRACTIONS = { train: [0, 0.8], valid: [0.8, 0.9], test: [0.9, 1] } as const;

// Candidate retrieval mix for item impressions: by taste, from recent history, exploration.
const RETRIEVE_TASTE = 0.55;
const RETRIEVE_HISTORY = 0.2;
// Coupon retrieval: scoped to a liked category with this probability, else by popularity.
const COUPON_TARGETED = 0.5;
// Recent-view history: drawn from taste, else from global category popularity.
const HISTORY_FROM_TASTE = 0.9;

const TAG_ROW = 1;
const TAG_HISTORY = 2;
const TAG_CALIBRATION = 3;
const CALIBRATION_ROWS = 60_000;

/** In the order of the task indices CLICK, CART, PURCHASE, REDEEM (behaviour.ts). */
export const TASKS: TaskSpec[] = [
  { name: 'click', appliesTo: 'item' },
  { name: 'cart', appliesTo: 'item', parent: 'click' },
  { name: 'purchase', appliesTo: 'item', parent: 'click' },
  { name: 'redeem', appliesTo: 'coupon' },
];

export interface SyntheticShopOptions {
  rows?: number;
  seed?: number;
}

export class SyntheticShop implements DataSource {
  readonly name = 'synthetic';
  readonly features: FeatureSpec[];
  readonly tasks: TaskSpec[] = TASKS.map((t) => ({ ...t }));
  readonly rows: number;
  readonly seed: number;
  readonly catalog: Catalog;
  readonly intercepts: Intercepts;
  /** Mean true probabilities on the calibration sample (expected positive rates). */
  readonly expectedRates: { click: number; cart: number; purchase: number; redeem: number; couponShare: number };
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
    const cal = this.calibrate();
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
    imp.isCoupon = rng.next() < COUPON_SHARE;
    const base = user * K;
    if (!imp.isCoupon) {
      const r = rng.next();
      const cat =
        r < RETRIEVE_TASTE
          ? this.sampleTaste(rng, user)
          : r < RETRIEVE_TASTE + RETRIEVE_HISTORY
            ? imp.history[rng.int(HISTORY_LEN)]
            : c.catAlias.sample(rng);
      const item = c.itemsByCat[cat][c.itemAliasByCat[cat].sample(rng)];
      imp.item = item;
      imp.coupon = -1;
      const lat: ItemLatents = {
        aff: c.userAff[base + cat],
        histShare: imp.histCount[cat] / HISTORY_LEN,
        sens: c.userSens[user],
        quality: c.itemQuality[item],
      };
      itemLogits(c, item, lat, imp.hour, weekend, imp.device, imp.x);
      imp.x[REDEEM] = 0;
    } else {
      let coupon = -1;
      if (rng.next() < COUPON_TARGETED) {
        const k = this.sampleTaste(rng, user);
        const alias = c.couponAliasByScope[k];
        if (alias) coupon = c.couponsByScope[k][alias.sample(rng)];
      }
      if (coupon < 0) coupon = c.couponAlias.sample(rng);
      imp.coupon = coupon;
      imp.item = -1;
      const scope = c.couponScope[coupon];
      const lat: CouponLatents = {
        aff: scope === SCOPE_ALL ? 0 : c.userAff[base + scope],
        histShare: scope === SCOPE_ALL ? 0 : imp.histCount[scope] / HISTORY_LEN,
        sens: c.userSens[user],
        quality: c.couponQuality[coupon],
      };
      imp.x[CLICK] = imp.x[CART] = imp.x[PURCHASE] = 0;
      imp.x[REDEEM] = couponLogit(c, coupon, lat, imp.hour, weekend, imp.device);
    }
  }

  /** Intercepts from a fixed calibration sample (independent of `rows`). */
  private calibrate() {
    const rng = new Rng();
    const imp = newImpression();
    const xc: number[] = [];
    const xcart: number[] = [];
    const xpur: number[] = [];
    const xr: number[] = [];
    for (let i = 0; i < CALIBRATION_ROWS; i++) {
      rng.reseed(subSeed(this.s32, TAG_CALIBRATION, i));
      this.simulate(rng, rng.next(), imp);
      if (imp.isCoupon) xr.push(imp.x[REDEEM]);
      else {
        xc.push(imp.x[CLICK]);
        xcart.push(imp.x[CART]);
        xpur.push(imp.x[PURCHASE]);
      }
    }
    const click = solveIntercept(xc, null, TARGET_RATES.click);
    const pc = xc.map((x) => sigmoid(click + x));
    const cart = solveIntercept(xcart, pc, TARGET_RATES.cart / TARGET_RATES.click);
    const purchase = solveIntercept(xpur, pc, TARGET_RATES.purchase / TARGET_RATES.click);
    const redeem = solveIntercept(xr, null, TARGET_RATES.redeem);
    const intercepts = { click, cart, purchase, redeem };
    let sc = 0;
    let sk = 0;
    let sp = 0;
    for (let i = 0; i < xc.length; i++) {
      sc += pc[i];
      sk += pc[i] * sigmoid(cart + xcart[i]);
      sp += pc[i] * sigmoid(purchase + xpur[i]);
    }
    let sr = 0;
    for (const x of xr) sr += sigmoid(redeem + x);
    const rates = {
      click: sc / xc.length,
      cart: sk / xc.length,
      purchase: sp / xc.length,
      redeem: sr / xr.length,
      couponShare: xr.length / CALIBRATION_ROWS,
    };
    return { intercepts, rates };
  }

  /** Generate impression `index` (0 <= index < rows) into `imp`, labels included. */
  impression(index: number, rng: Rng, imp: Impression): Impression {
    rng.reseed(subSeed(this.s32, TAG_ROW, index));
    const f = (index + rng.next()) / this.rows;
    imp.index = index;
    this.simulate(rng, f, imp);
    const b = this.intercepts;
    if (!imp.isCoupon) {
      itemProbs(imp.x, b, imp.p);
      imp.p[REDEEM] = 0;
      const click = rng.next() < imp.p[CLICK];
      // Conditional probabilities of the children given a click.
      const cartGivenClick = imp.p[CART] / imp.p[CLICK];
      const purchaseGivenClick = imp.p[PURCHASE] / imp.p[CLICK];
      const u1 = rng.next();
      const u2 = rng.next();
      imp.y[CLICK] = click ? 1 : 0;
      imp.y[CART] = click && u1 < cartGivenClick ? 1 : 0;
      imp.y[PURCHASE] = click && u2 < purchaseGivenClick ? 1 : 0;
      imp.y[REDEEM] = -1;
    } else {
      imp.p[CLICK] = imp.p[CART] = imp.p[PURCHASE] = 0;
      imp.p[REDEEM] = sigmoid(b.redeem + imp.x[REDEEM]);
      imp.y[CLICK] = imp.y[CART] = imp.y[PURCHASE] = -1;
      imp.y[REDEEM] = rng.next() < imp.p[REDEEM] ? 1 : 0;
    }
    return imp;
  }

  /** Raw feature row of an impression (item fields null on coupon rows and vice versa). */
  rowOf(imp: Impression): RawRow {
    const c = this.catalog;
    const u = imp.user;
    let hist = c.catName[imp.history[0]];
    for (let j = 1; j < imp.history.length; j++) hist += '|' + c.catName[imp.history[j]];
    const it = imp.item;
    const cp = imp.coupon;
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
      candidate_kind: imp.isCoupon ? 'coupon' : 'item',
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
    };
  }

  exampleOf(imp: Impression): Example {
    const lab = (v: number): 0 | 1 | null => (v < 0 ? null : v === 1 ? 1 : 0);
    return {
      features: this.rowOf(imp),
      labels: [lab(imp.y[CLICK]), lab(imp.y[CART]), lab(imp.y[PURCHASE]), lab(imp.y[REDEEM])],
      kind: imp.isCoupon ? 'coupon' : 'item',
      group: this.catalog.userName[imp.user],
      time: imp.time,
      trueProb: [imp.p[CLICK], imp.p[CART], imp.p[PURCHASE], imp.p[REDEEM]],
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
      brands: DEFAULT_SIZES.brandsPerCategory * N_CATEGORIES,
      categories: N_CATEGORIES,
      days: DAYS,
      start: new Date(T0 * 1000).toISOString(),
      splits: { train: trainEnd, valid: validEnd - trainEnd, test: this.rows - validEnd },
      historyLength: HISTORY_LEN,
      couponShare: round4(this.expectedRates.couponShare),
      expectedPositiveRates: {
        click: round4(this.expectedRates.click),
        cart: round4(this.expectedRates.cart),
        purchase: round4(this.expectedRates.purchase),
        redeem: round4(this.expectedRates.redeem),
      },
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
