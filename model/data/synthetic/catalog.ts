// The shop's entities, generated once from the seed: categories, brands and items here, users
// (users.ts), coupons (coupons.ts) and advertisers with their ads (ads.ts) beside, each from its
// own stream; the value sets a row shows are in vocabulary.ts. Everything latent (user taste and
// price sensitivity, item / brand / coupon / advertiser / ad quality) is a fixed function of the
// entity id, so the true probabilities are functions of observable fields (ids, attributes,
// history, context).

import { buildAds, type Ads } from './ads.ts';
import { buildCoupons, type Coupons } from './coupons.ts';
import { AliasTable, Rng, roundTo, subSeed, zipfWeights } from './rng.ts';
import { buildUsers, drawSegments, type Segments, type Users } from './users.ts';
import { CATEGORIES, N_CATEGORIES } from './vocabulary.ts';

export interface CatalogSizes {
  users: number;
  items: number;
  coupons: number;
  brandsPerCategory: number;
  advertisers: number;
  ads: number;
}
export const DEFAULT_SIZES: CatalogSizes = { users: 10_000, items: 30_000, coupons: 300, brandsPerCategory: 25, advertisers: 150, ads: 2_000 };

/** Popularity tails (Zipf-Mandelbrot exponent s and offset q); users' and coupons' beside them. */
export const ITEM_ZIPF = { s: 1.4, q: 5 };
export const BRAND_ZIPF = { s: 0.9, q: 1 };

export interface Catalog extends Segments, Users, Coupons, Ads {
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
}

export const QUALITY_SD = 0.35;
/**
 * Per-brand and per-coupon latent effects. Kept small: with a few dozen positives per brand or
 * coupon they can only be learned roughly, and the ceiling should stay reachable.
 */
const BRAND_QUALITY_SD = 0.2;
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
const TAG_ADS = 106;

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
  // Shopper segments (users.ts), drawn from the categories' stream.
  const segments = drawSegments(rng, catName, catPop);

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

  const users = buildUsers(subSeed(seed, TAG_USERS), sizes.users, segments);

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
    itemPrice[i] = Math.max(0.99, roundTo(Math.exp(logPrice), 2));
    const q = QUALITY_SD * rng.normal();
    itemQuality[i] = q;
    const noReviews = rng.chance(0.08);
    const rating = Math.min(5, Math.max(1, RATING_MEAN + RATING_SLOPE * q + RATING_NOISE * rng.normal()));
    itemRating[i] = noReviews ? NaN : roundTo(rating, 1);
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

  const coupons = buildCoupons(subSeed(seed, TAG_COUPONS), sizes.coupons, catAlias);
  const ads = buildAds(subSeed(seed, TAG_ADS), sizes.advertisers, sizes.ads, catAlias);

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
    ...segments,
    ...users,
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
    ...coupons,
    ...ads,
  };
}
