// The true behaviour of the simulated shoppers: logits of click, cart | click,
// purchase | click (item impressions), redeem (coupon impressions), ad click and
// conversion | ad click (ad impressions).
//
// Most of the signal sits in user x candidate interactions (taste x category, recent
// history x category, price sensitivity x price / discount / minimum spend, coupon scope x
// taste) and context crosses (device x hour, category x hour), plus per-item / brand /
// coupon quality. No hidden per-impression noise: given the ids, attributes, history and
// context, the probability is fixed, so its AUC is the Bayes ceiling.
//
// The functions take the latent quantities (affinity, sensitivity, quality) as arguments
// so a diagnostic can plug in estimates made from observable features only.

import { type Catalog } from './catalog.ts';
import { AD_BANNER, AD_VIDEO, COUPON_AMOUNT, COUPON_PERCENT, DEVICE_DESKTOP, DEVICE_IOS, SCOPE_ALL } from './vocabulary.ts';
import { sigmoid } from './rng.ts';

/** Intercepts, calibrated per seed so that the positive rates hit their targets. */
export interface Intercepts {
  click: number;
  cart: number;
  purchase: number;
  redeem: number;
  ad_click: number;
  ad_conversion: number;
}

/** Positions of the tasks in TASKS (shop.ts) and in every per-task array: logits, probabilities, labels. */
export const CLICK = 0;
export const CART = 1;
export const PURCHASE = 2;
export const REDEEM = 3;
export const AD_CLICK = 4;
export const AD_CONVERSION = 5;
export const TASK_COUNT = 6;

/**
 * Target positive rates: over item rows for click / cart / purchase, coupon rows for redeem, ad
 * rows for ad_click / ad_conversion (a fifth of ad clicks convert: enough conversions in the
 * test split for a stable AUC).
 */
export const TARGET_RATES = { click: 0.042, cart: 0.012, purchase: 0.0055, redeem: 0.08, ad_click: 0.05, ad_conversion: 0.01 };

/**
 * Weights of the user x category terms. `hist` multiplies the share of the candidate's
 * category in the recent-view history (observable); `aff` the user's long-term affinity
 * K * taste (latent, only partly revealed by the history and learnable through the user id).
 * The history carries most of the weight so the Bayes ceiling stays reachable.
 */
export const TASTE_WEIGHTS = { hist: 4.0, aff: 0.12 };
/** Amplitude of the category x hour-of-day effect (each category has its own peak hour). */
const CATEGORY_HOUR = 0.1;

/** Hour band: 0 night (0-5), 1 morning (6-11), 2 afternoon (12-17), 3 evening (18-23). */
export function hourBand(hour: number): number {
  return hour < 6 ? 0 : hour < 12 ? 1 : hour < 18 ? 2 : 3;
}

// device x hour band (rows ios, android, desktop)
const CLICK_DEVICE_BAND = [
  [-0.15, -0.2, 0.0, 0.35],
  [0.05, -0.25, -0.05, 0.3],
  [-0.45, 0.3, 0.25, -0.3],
];
const CLICK_WEEKEND = [0.15, 0.15, -0.25];
const REDEEM_DEVICE_BAND = [
  [-0.1, -0.1, 0.0, 0.3],
  [0.1, -0.2, 0.0, 0.25],
  [-0.4, 0.2, 0.3, -0.2],
];

/** Context part of the click logit for an item of category `cat`. */
export function clickContext(c: Catalog, cat: number, hour: number, weekend: boolean, device: number): number {
  const peak = Math.cos((2 * Math.PI * (hour - c.catPeakHour[cat])) / 24);
  return CLICK_DEVICE_BAND[device][hourBand(hour)] + (weekend ? CLICK_WEEKEND[device] : 0) + CATEGORY_HOUR * peak;
}

export interface ItemLatents {
  /** User's long-term affinity for the item's category, K * taste (capped). */
  aff: number;
  /** Share of the item's category in the user's recent-view history (0..1). */
  histShare: number;
  /** User price sensitivity. */
  sens: number;
  /** Item quality (latent). */
  quality: number;
}

/**
 * Logits of click, cart | click, purchase | click without intercepts, written to out[CLICK],
 * out[CART], out[PURCHASE].
 */
export function itemLogits(
  c: Catalog,
  item: number,
  lat: ItemLatents,
  hour: number,
  weekend: boolean,
  device: number,
  out: Float64Array,
): void {
  const cat = c.itemCat[item];
  const z = c.itemZPrice[item];
  const rel = c.itemRelPrice[item];
  const bq = c.brandQuality[c.itemBrand[item]];
  const q = lat.quality;
  const s = lat.sens;
  const taste = TASTE_WEIGHTS.hist * lat.histShare + TASTE_WEIGHTS.aff * lat.aff;
  // click: taste x category, price sensitivity x price, deals within the category, quality,
  // context (device x hour band, weekend x device, category x hour).
  out[CLICK] = taste - 0.7 * s * z - 0.25 * rel + q + bq + c.catBias[cat] + clickContext(c, cat, hour, weekend, device);
  // cart | click: mostly quality and price fit; desktop sessions and weekends cart more.
  out[CART] =
    0.25 * taste + 0.6 * q + 0.3 * bq - 0.4 * s * z - 0.15 * rel + (device === DEVICE_DESKTOP ? 0.3 : 0) + (weekend ? 0.15 : 0);
  // purchase | click: a few strong signals (learnable from a few thousand purchases):
  // quality (seen through the rating), price x sensitivity, expensive items, device.
  out[PURCHASE] =
    0.15 * taste +
    0.9 * q +
    0.3 * bq -
    0.8 * s * z -
    0.2 * z -
    0.3 * rel +
    (device === DEVICE_DESKTOP ? 0.45 : device === DEVICE_IOS ? 0.15 : 0);
}

/** What a coupon is worth to a shopper, in currency-like units. */
export function couponValue(c: Catalog, coupon: number): number {
  const kind = c.couponKind[coupon];
  const d = c.couponDiscount[coupon];
  return kind === COUPON_PERCENT ? 0.6 * d : kind === COUPON_AMOUNT ? d : 5;
}

export interface CouponLatents {
  /** Affinity of the user for the coupon's scope category (ignored for SCOPE_ALL). */
  aff: number;
  /** Share of the scope category in the user's recent history (ignored for SCOPE_ALL). */
  histShare: number;
  sens: number;
  /** Coupon attractiveness (latent, per coupon id). */
  quality: number;
}

/** Redeem logit without intercept. */
export function couponLogit(c: Catalog, coupon: number, lat: CouponLatents, hour: number, weekend: boolean, device: number): number {
  const s = lat.sens;
  const value = couponValue(c, coupon);
  const spend = c.couponMinSpend[coupon];
  const scope = c.couponScope[coupon];
  const valueW = Math.max(0, 0.35 + 0.35 * s);
  const spendW = Math.max(0.05, 0.25 + 0.3 * s);
  // A category coupon is worth as much as the user's interest in the category; a sitewide
  // one is moderately useful to everyone.
  const scopeTerm = scope === SCOPE_ALL ? 0.6 : TASTE_WEIGHTS.hist * lat.histShare + TASTE_WEIGHTS.aff * lat.aff;
  return (
    valueW * Math.log1p(value) -
    spendW * Math.log1p(spend / 10) +
    scopeTerm +
    lat.quality +
    REDEEM_DEVICE_BAND[device][hourBand(hour)] +
    (weekend ? 0.25 : 0)
  );
}

export interface AdLatents {
  /** User's long-term affinity for the ad's category. */
  aff: number;
  /** Share of the ad's category in the user's recent-view history (0..1). */
  histShare: number;
  sens: number;
  /** Creative quality (latent, per ad id). */
  quality: number;
}

// format x device (rows ios, android, desktop; columns banner, video, sponsored listing)
const AD_FORMAT_DEVICE = [
  [-0.3, 0.35, 0.2],
  [-0.25, 0.3, 0.15],
  [0.1, -0.2, 0.25],
];

/**
 * Logits of ad click and conversion | ad click without intercepts, written to out[AD_CLICK],
 * out[AD_CONVERSION]. Ads are clicked for the same taste as items, a little less (they are
 * not what was searched for); the bid buys a better slot; conversion depends on the
 * advertiser's landing page and on price fit (high bids come with expensive products).
 */
export function adLogits(c: Catalog, ad: number, lat: AdLatents, hour: number, weekend: boolean, device: number, out: Float64Array): void {
  const cat = c.adCat[ad];
  const zb = c.adZBid[ad];
  const advQ = c.advertiserQuality[c.adAdvertiser[ad]];
  const taste = TASTE_WEIGHTS.hist * lat.histShare + TASTE_WEIGHTS.aff * lat.aff;
  const format = c.adFormat[ad];
  out[AD_CLICK] =
    0.8 * taste + lat.quality + 0.3 * advQ + 0.2 * zb + AD_FORMAT_DEVICE[device][format] + clickContext(c, cat, hour, weekend, device);
  out[AD_CONVERSION] =
    0.3 * taste +
    0.9 * advQ +
    0.3 * lat.quality -
    0.6 * lat.sens * zb -
    0.2 * zb +
    (device === DEVICE_DESKTOP ? 0.35 : 0) +
    (format === AD_BANNER ? -0.2 : format === AD_VIDEO ? 0.1 : 0) +
    (weekend ? 0.1 : 0);
}

/** The probabilities behind the ad labels (conversion only after a click). */
export function adProbs(x: Float64Array, b: Intercepts, out: Float64Array): void {
  const pc = sigmoid(b.ad_click + x[AD_CLICK]);
  out[AD_CLICK] = pc;
  out[AD_CONVERSION] = pc * sigmoid(b.ad_conversion + x[AD_CONVERSION]);
}

/** The probabilities behind the labels. */
export function itemProbs(x: Float64Array, b: Intercepts, out: Float64Array): void {
  const pc = sigmoid(b.click + x[CLICK]);
  out[CLICK] = pc;
  out[CART] = pc * sigmoid(b.cart + x[CART]);
  out[PURCHASE] = pc * sigmoid(b.purchase + x[PURCHASE]);
}

/** Intercept b such that mean(weight * sigmoid(b + x)) = target (bisection). */
export function solveIntercept(x: ArrayLike<number>, weight: ArrayLike<number> | null, target: number): number {
  let lo = -20;
  let hi = 20;
  const n = x.length;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += weight ? weight[i] : 1;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    let s = 0;
    for (let i = 0; i < n; i++) s += (weight ? weight[i] : 1) * sigmoid(mid + x[i]);
    if (s / wsum < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
