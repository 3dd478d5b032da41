// The shop's entities, generated once from the seed: categories, brands, items, users,
// coupons. Everything latent (user taste and price sensitivity, item / brand / coupon
// quality) is a fixed function of the entity id, so the true click / redeem probabilities
// are functions of observable fields (ids, attributes, history, context).

import { AliasTable, Rng, subSeed, zipfWeights } from './rng.ts';

/** Categories with a typical (median) price and a relative popularity. */
export const CATEGORIES: readonly { name: string; price: number; pop: number }[] = [
  { name: 'electronics', price: 120, pop: 1.0 },
  { name: 'phones', price: 350, pop: 0.6 },
  { name: 'computers', price: 600, pop: 0.35 },
  { name: 'home', price: 35, pop: 1.1 },
  { name: 'kitchen', price: 30, pop: 0.9 },
  { name: 'furniture', price: 180, pop: 0.4 },
  { name: 'beauty', price: 18, pop: 1.4 },
  { name: 'personal_care', price: 12, pop: 1.0 },
  { name: 'fashion_women', price: 40, pop: 1.5 },
  { name: 'fashion_men', price: 45, pop: 0.9 },
  { name: 'shoes', price: 70, pop: 0.8 },
  { name: 'sports', price: 40, pop: 0.7 },
  { name: 'outdoor', price: 60, pop: 0.45 },
  { name: 'toys', price: 25, pop: 0.7 },
  { name: 'baby', price: 22, pop: 0.5 },
  { name: 'books', price: 14, pop: 0.8 },
  { name: 'grocery', price: 8, pop: 1.6 },
  { name: 'pets', price: 20, pop: 0.5 },
  { name: 'automotive', price: 30, pop: 0.35 },
  { name: 'jewelry', price: 90, pop: 0.4 },
];
export const N_CATEGORIES = CATEGORIES.length;

export const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
const AGE_WEIGHTS = [0.17, 0.3, 0.23, 0.15, 0.1, 0.05];
/** Younger users are more price sensitive on average (the oldest band a little again). */
const AGE_SENSITIVITY = [0.8, 0.25, -0.15, -0.35, -0.2, 0.3];
export const GENDERS = ['f', 'm', 'u'] as const;
const GENDER_WEIGHTS = [0.52, 0.44, 0.04];
export const CITY_TIERS = ['t1', 't2', 't3', 't4'] as const;
const TIER_WEIGHTS = [0.2, 0.3, 0.3, 0.2];
const TIER_SENSITIVITY = [-0.6, -0.15, 0.3, 0.6];
const TIER_IOS = [0.55, 0.45, 0.35, 0.3];

export const DEVICES = ['ios', 'android', 'desktop'] as const;
export const DEVICE_IOS = 0;
export const DEVICE_ANDROID = 1;
export const DEVICE_DESKTOP = 2;

export const COUPON_KINDS = ['percent_off', 'amount_off', 'free_shipping'] as const;
export const COUPON_PERCENT = 0;
export const COUPON_AMOUNT = 1;
export const COUPON_SHIPPING = 2;
const COUPON_KIND_WEIGHTS = [0.45, 0.35, 0.2];
/** Scope value of coupons valid on every category. */
export const SCOPE_ALL = -1;

/** Categories in the user's recent-view history (per user and day, oldest first). */
export const HISTORY_LEN = 10;

/** Shopper segments by their core categories. */
export const SEGMENTS: readonly (readonly string[])[] = [
  ['electronics', 'phones', 'computers'],
  ['home', 'kitchen', 'furniture', 'grocery'],
  ['fashion_women', 'shoes', 'beauty', 'jewelry'],
  ['baby', 'toys', 'grocery', 'personal_care'],
  ['sports', 'outdoor', 'shoes', 'fashion_men'],
  ['beauty', 'personal_care', 'fashion_women', 'books'],
  ['pets', 'home', 'outdoor', 'books'],
  ['automotive', 'electronics', 'fashion_men', 'sports'],
];
/** Weight of non-core categories in a segment profile (times category popularity). */
const SEGMENT_BACKGROUND = 0.04;
/** Share of users with a second segment, and its weight in their taste. */
const SECOND_SEGMENT = 0.4;
const SECOND_WEIGHT = 0.35;
/** Concentration of the users' taste Dirichlet around their segment profile. */
export const TASTE_CONCENTRATION = 8;
/**
 * Affinity of a user for a category: K * taste, capped (1 = an average category). Linear in
 * taste, so what the history reveals (counts are an unbiased estimate of taste) is what matters;
 * the small, unknowable differences between categories the user hardly likes do not.
 */
export const AFFINITY_CAP = 6;
export function affinity(taste: number): number {
  return Math.min(N_CATEGORIES * taste, AFFINITY_CAP);
}

export interface CatalogSizes {
  users: number;
  items: number;
  coupons: number;
  brandsPerCategory: number;
}
export const DEFAULT_SIZES: CatalogSizes = { users: 10_000, items: 30_000, coupons: 300, brandsPerCategory: 25 };

/** Popularity tails (Zipf-Mandelbrot exponent s and offset q). */
export const ITEM_ZIPF = { s: 1.4, q: 5 };
export const USER_ZIPF = { s: 0.9, q: 400 };
export const COUPON_ZIPF = { s: 0.7, q: 5 };
export const BRAND_ZIPF = { s: 0.9, q: 1 };

export interface Catalog {
  seed: number;
  sizes: CatalogSizes;
  // categories
  catName: string[];
  catLogPrice: Float64Array;
  /** Hour of the day at which the category is browsed most. */
  catPeakHour: Float64Array;
  /** Small per-category effect on clicks. */
  catBias: Float64Array;
  /** Global category popularity (exploration, noise in histories). */
  catAlias: AliasTable;
  // brands (brandsPerCategory per category, global index = cat * brandsPerCategory + rank)
  brandName: string[];
  brandQuality: Float64Array;
  // users
  userName: string[];
  userAge: Uint8Array;
  userGender: Uint8Array;
  userTier: Uint8Array;
  /** Phone OS (DEVICE_IOS / DEVICE_ANDROID). */
  userPhone: Uint8Array;
  /** Logit of using the desktop site (before the hour effect). */
  userDesktop: Float64Array;
  /** Latent price sensitivity (about N(0, 1)). */
  userSens: Float64Array;
  /** What the shop observes of it: sensitivity + N(0, SENS_NOISE), rounded. */
  userSensObs: Float64Array;
  /** Prior mean of sensitivity given age band and city tier (for the observable oracle). */
  userSensPrior: Float64Array;
  /** Taste over categories, [users, K]. */
  userTaste: Float64Array;
  /** Cumulative taste, [users, K]. */
  userTasteCdf: Float64Array;
  /** affinity(taste), [users, K]. */
  userAff: Float64Array;
  /** Category profile of each shopper segment (a distribution), [SEGMENTS, K]. */
  segProfile: Float64Array;
  /** Segment odds by demographic cell, [ages * genders, SEGMENTS]. */
  demoSegment: Float64Array;
  /** Each user's main segment (diagnostics). */
  userSegment: Uint8Array;
  userActivity: AliasTable;
  // items
  itemName: string[];
  itemCat: Uint8Array;
  itemBrand: Int32Array;
  itemPrice: Float64Array;
  /** Standardised log price over the catalogue. */
  itemZPrice: Float64Array;
  /** Log price relative to the category's typical price, in within-category std units. */
  itemRelPrice: Float64Array;
  /** Star rating, NaN when the item has no reviews yet. */
  itemRating: Float64Array;
  itemQuality: Float64Array;
  itemsByCat: Int32Array[];
  itemAliasByCat: AliasTable[];
  // coupons
  couponName: string[];
  couponKind: Uint8Array;
  couponDiscount: Float64Array;
  couponMinSpend: Float64Array;
  couponScope: Int8Array;
  couponQuality: Float64Array;
  couponAlias: AliasTable;
  couponsByScope: Int32Array[];
  couponAliasByScope: (AliasTable | null)[];
}

export const SENS_NOISE = 0.3;
export const SENS_SPREAD = 0.9;
export const QUALITY_SD = 0.35;
/**
 * Per-brand and per-coupon latent effects. Kept small: with a few dozen positives per brand or
 * coupon they can only be learned roughly, and the ceiling should stay reachable.
 */
const BRAND_QUALITY_SD = 0.2;
const COUPON_QUALITY_SD = 0.15;
export const RATING_SLOPE = 1.2;
export const RATING_NOISE = 0.15;
export const RATING_MEAN = 4.1;
const PRICE_SD = 0.4;
const BRAND_PRICE_SD = 0.2;

// Stream tags for the catalog's sub-generators (so adding one never shifts another).
const TAG_CATEGORIES = 101;
const TAG_BRANDS = 102;
const TAG_USERS = 103;
const TAG_ITEMS = 104;
const TAG_COUPONS = 105;

function pick(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let x = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i];
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/** Index drawn from weights w[from .. from + n). */
function pickFrom(rng: Rng, w: ArrayLike<number>, from: number, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += w[from + i];
  let x = rng.next() * total;
  for (let i = 0; i < n; i++) {
    x -= w[from + i];
    if (x < 0) return i;
  }
  return n - 1;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function sensPrior(age: number, tier: number): number {
  return 0.35 * AGE_SENSITIVITY[age] + 0.3 * TIER_SENSITIVITY[tier];
}

export function buildCatalog(seed: number, sizes: CatalogSizes = DEFAULT_SIZES): Catalog {
  const K = N_CATEGORIES;
  const rng = new Rng();

  // --- categories -------------------------------------------------------------------
  rng.reseed(subSeed(seed, TAG_CATEGORIES));
  const catName = CATEGORIES.map((c) => c.name);
  const catLogPrice = Float64Array.from(CATEGORIES, (c) => Math.log(c.price));
  const catPeakHour = new Float64Array(K);
  const catBias = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    catPeakHour[k] = rng.next() * 24;
    catBias[k] = 0.2 * rng.normal();
  }
  const catPop = CATEGORIES.map((c) => c.pop);
  const catAlias = new AliasTable(catPop);
  // Shopper segments: each likes a handful of categories. A user's taste is a Dirichlet draw
  // around the profile of their segment (plus, for some, a second one), so tastes are
  // low-rank-ish and a short history reveals them. Segment odds depend on age band and gender.
  for (const seg of SEGMENTS) {
    for (const name of seg) if (!catName.includes(name)) throw new Error(`segment category "${name}" is not a category`);
  }
  const segProfile = new Float64Array(SEGMENTS.length * K);
  for (let s = 0; s < SEGMENTS.length; s++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const core = SEGMENTS[s].includes(catName[k]);
      const w = core ? 0.6 + 0.8 * rng.next() : SEGMENT_BACKGROUND * catPop[k];
      segProfile[s * K + k] = w;
      sum += w;
    }
    for (let k = 0; k < K; k++) segProfile[s * K + k] /= sum;
  }
  const demoSegment = new Float64Array(AGE_BANDS.length * GENDERS.length * SEGMENTS.length);
  const ageTilt = Array.from(AGE_BANDS, () => Array.from(SEGMENTS, () => 0.6 * rng.normal()));
  const genderTilt = Array.from(GENDERS, (_, g) => Array.from(SEGMENTS, () => (g < 2 ? 0.8 * rng.normal() : 0)));
  for (let a = 0; a < AGE_BANDS.length; a++) {
    for (let g = 0; g < GENDERS.length; g++) {
      const base = (a * GENDERS.length + g) * SEGMENTS.length;
      let sum = 0;
      for (let s = 0; s < SEGMENTS.length; s++) {
        const w = Math.exp(ageTilt[a][s] + genderTilt[g][s]);
        demoSegment[base + s] = w;
        sum += w;
      }
      for (let s = 0; s < SEGMENTS.length; s++) demoSegment[base + s] /= sum;
    }
  }

  // --- brands -------------------------------------------------------------------------
  rng.reseed(subSeed(seed, TAG_BRANDS));
  const B = sizes.brandsPerCategory;
  const nBrands = K * B;
  const brandName: string[] = new Array(nBrands);
  const brandQuality = new Float64Array(nBrands);
  const brandPriceLevel = new Float64Array(nBrands);
  for (let b = 0; b < nBrands; b++) {
    brandName[b] = `b${b}`;
    brandQuality[b] = BRAND_QUALITY_SD * rng.normal();
    brandPriceLevel[b] = rng.normal();
  }
  const brandWeights = zipfWeights(B, BRAND_ZIPF.s, BRAND_ZIPF.q);
  const brandAlias = new AliasTable(brandWeights);

  // --- users --------------------------------------------------------------------------
  rng.reseed(subSeed(seed, TAG_USERS));
  const U = sizes.users;
  const userName: string[] = new Array(U);
  const userAge = new Uint8Array(U);
  const userGender = new Uint8Array(U);
  const userTier = new Uint8Array(U);
  const userPhone = new Uint8Array(U);
  const userDesktop = new Float64Array(U);
  const userSens = new Float64Array(U);
  const userSensObs = new Float64Array(U);
  const userSensPrior = new Float64Array(U);
  const userTaste = new Float64Array(U * K);
  const userTasteCdf = new Float64Array(U * K);
  const userAff = new Float64Array(U * K);
  const userSegment = new Uint8Array(U);
  const alpha = new Float64Array(K);
  const taste = new Float64Array(K);
  for (let u = 0; u < U; u++) {
    userName[u] = `u${u}`;
    const a = pick(rng, AGE_WEIGHTS);
    const g = pick(rng, GENDER_WEIGHTS);
    const t = pick(rng, TIER_WEIGHTS);
    userAge[u] = a;
    userGender[u] = g;
    userTier[u] = t;
    userPhone[u] = rng.chance(TIER_IOS[t]) ? DEVICE_IOS : DEVICE_ANDROID;
    userDesktop[u] = -1.2 + 0.8 * rng.normal() + (a >= 2 ? 0.4 : 0);
    const prior = sensPrior(a, t);
    userSensPrior[u] = prior;
    userSens[u] = prior + SENS_SPREAD * rng.normal();
    userSensObs[u] = round(userSens[u] + SENS_NOISE * rng.normal(), 2);
    const demo = (a * GENDERS.length + g) * SEGMENTS.length;
    const seg = pickFrom(rng, demoSegment, demo, SEGMENTS.length);
    userSegment[u] = seg;
    const second = rng.chance(SECOND_SEGMENT) ? pickFrom(rng, demoSegment, demo, SEGMENTS.length) : seg;
    for (let k = 0; k < K; k++) {
      const m = (1 - SECOND_WEIGHT) * segProfile[seg * K + k] + SECOND_WEIGHT * segProfile[second * K + k];
      alpha[k] = TASTE_CONCENTRATION * m;
    }
    rng.dirichlet(alpha, taste);
    let cum = 0;
    for (let k = 0; k < K; k++) {
      userTaste[u * K + k] = taste[k];
      cum += taste[k];
      userTasteCdf[u * K + k] = cum;
      userAff[u * K + k] = affinity(taste[k]);
    }
    userTasteCdf[u * K + K - 1] = Math.max(cum, 1e-12);
  }
  // Long-tailed activity: Zipf-Mandelbrot over a random order of users.
  const userOrder = Int32Array.from({ length: U }, (_, i) => i);
  rng.shuffle(userOrder);
  const userW = zipfWeights(U, USER_ZIPF.s, USER_ZIPF.q);
  const userActivityW = new Float64Array(U);
  for (let r = 0; r < U; r++) userActivityW[userOrder[r]] = userW[r];
  const userActivity = new AliasTable(userActivityW);

  // --- items --------------------------------------------------------------------------
  rng.reseed(subSeed(seed, TAG_ITEMS));
  const I = sizes.items;
  const itemName: string[] = new Array(I);
  const itemCat = new Uint8Array(I);
  const itemBrand = new Int32Array(I);
  const itemPrice = new Float64Array(I);
  const itemZPrice = new Float64Array(I);
  const itemRelPrice = new Float64Array(I);
  const itemRating = new Float64Array(I);
  const itemQuality = new Float64Array(I);
  // Popular categories hold more items, but less than proportionally.
  const itemCatAlias = new AliasTable(catPop.map((p) => Math.pow(p, 0.7)));
  const byCat: number[][] = Array.from({ length: K }, () => []);
  let sumLog = 0;
  let sumLog2 = 0;
  for (let i = 0; i < I; i++) {
    itemName[i] = `i${i}`;
    const c = itemCatAlias.sample(rng);
    itemCat[i] = c;
    byCat[c].push(i);
    const b = c * B + brandAlias.sample(rng);
    itemBrand[i] = b;
    const logPrice = catLogPrice[c] + BRAND_PRICE_SD * brandPriceLevel[b] + PRICE_SD * rng.normal();
    itemPrice[i] = Math.max(0.99, round(Math.exp(logPrice), 2));
    const q = QUALITY_SD * rng.normal();
    itemQuality[i] = q;
    const noReviews = rng.chance(0.08);
    const rating = Math.min(5, Math.max(1, RATING_MEAN + RATING_SLOPE * q + RATING_NOISE * rng.normal()));
    itemRating[i] = noReviews ? NaN : round(rating, 1);
    const lp = Math.log(itemPrice[i]);
    sumLog += lp;
    sumLog2 += lp * lp;
  }
  const meanLog = sumLog / I;
  const sdLog = Math.sqrt(Math.max(1e-9, sumLog2 / I - meanLog * meanLog));
  const relSd = Math.sqrt(PRICE_SD * PRICE_SD + BRAND_PRICE_SD * BRAND_PRICE_SD);
  for (let i = 0; i < I; i++) {
    const lp = Math.log(itemPrice[i]);
    itemZPrice[i] = (lp - meanLog) / sdLog;
    itemRelPrice[i] = (lp - catLogPrice[itemCat[i]]) / relSd;
  }
  // Popularity inside each category: Zipf over a random order of its items.
  const itemsByCat: Int32Array[] = [];
  const itemAliasByCat: AliasTable[] = [];
  for (let c = 0; c < K; c++) {
    if (byCat[c].length === 0) byCat[c].push(0); // only with absurdly small catalogues
    const list = Int32Array.from(byCat[c]);
    rng.shuffle(list);
    itemsByCat.push(list);
    itemAliasByCat.push(new AliasTable(zipfWeights(list.length, ITEM_ZIPF.s, ITEM_ZIPF.q)));
  }

  // --- coupons ------------------------------------------------------------------------
  rng.reseed(subSeed(seed, TAG_COUPONS));
  const C = sizes.coupons;
  const couponName: string[] = new Array(C);
  const couponKind = new Uint8Array(C);
  const couponDiscount = new Float64Array(C);
  const couponMinSpend = new Float64Array(C);
  const couponScope = new Int8Array(C);
  const couponQuality = new Float64Array(C);
  const PERCENTS = [5, 10, 15, 20, 25, 30];
  const PERCENT_W = [0.2, 0.3, 0.2, 0.15, 0.1, 0.05];
  const AMOUNTS = [3, 5, 10, 15, 20, 30, 50];
  const AMOUNT_W = [0.15, 0.25, 0.25, 0.12, 0.12, 0.07, 0.04];
  const SPENDS = [0, 25, 50, 100, 200];
  const SPEND_W = [0.45, 0.2, 0.15, 0.12, 0.08];
  const MULTIPLES = [3, 4, 5, 8, 10];
  const SHIP_SPENDS = [0, 15, 35, 50];
  const byScope: number[][] = Array.from({ length: K }, () => []);
  for (let j = 0; j < C; j++) {
    couponName[j] = `c${j}`;
    const kind = pick(rng, COUPON_KIND_WEIGHTS);
    couponKind[j] = kind;
    if (kind === COUPON_PERCENT) {
      couponDiscount[j] = PERCENTS[pick(rng, PERCENT_W)];
      couponMinSpend[j] = SPENDS[pick(rng, SPEND_W)];
    } else if (kind === COUPON_AMOUNT) {
      couponDiscount[j] = AMOUNTS[pick(rng, AMOUNT_W)];
      couponMinSpend[j] = couponDiscount[j] * MULTIPLES[rng.int(MULTIPLES.length)];
    } else {
      couponDiscount[j] = 0;
      couponMinSpend[j] = SHIP_SPENDS[rng.int(SHIP_SPENDS.length)];
    }
    const scoped = rng.chance(0.65);
    const scope = scoped ? catAlias.sample(rng) : SCOPE_ALL;
    couponScope[j] = scope;
    if (scope >= 0) byScope[scope].push(j);
    couponQuality[j] = COUPON_QUALITY_SD * rng.normal();
  }
  const couponOrder = Int32Array.from({ length: C }, (_, i) => i);
  rng.shuffle(couponOrder);
  const cw = zipfWeights(C, COUPON_ZIPF.s, COUPON_ZIPF.q);
  const couponW = new Float64Array(C);
  for (let r = 0; r < C; r++) couponW[couponOrder[r]] = cw[r];
  const couponAlias = new AliasTable(couponW);
  const couponsByScope = byScope.map((l) => Int32Array.from(l));
  const couponAliasByScope = couponsByScope.map((l) => (l.length ? new AliasTable(Array.from(l, (j) => couponW[j])) : null));

  return {
    seed,
    sizes,
    catName,
    catLogPrice,
    catPeakHour,
    catBias,
    catAlias,
    brandName,
    brandQuality,
    userName,
    userAge,
    userGender,
    userTier,
    userPhone,
    userDesktop,
    userSens,
    userSensObs,
    userSensPrior,
    userTaste,
    userTasteCdf,
    userAff,
    segProfile,
    demoSegment,
    userSegment,
    userActivity,
    itemName,
    itemCat,
    itemBrand,
    itemPrice,
    itemZPrice,
    itemRelPrice,
    itemRating,
    itemQuality,
    itemsByCat,
    itemAliasByCat,
    couponName,
    couponKind,
    couponDiscount,
    couponMinSpend,
    couponScope,
    couponQuality,
    couponAlias,
    couponsByScope,
    couponAliasByScope,
  };
}
