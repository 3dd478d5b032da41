// What the synthetic shop shows a model: its candidate kinds, its feature declarations and the
// raw vocabularies of the small categorical fields (for collision checks, docs and sample
// requests).

import { candidateKindFeature, type KindSpec } from '../../features/kinds.ts';
import type { FeatureSpec } from '../../features/spec.ts';
import { type CatalogSizes, DEFAULT_SIZES } from './catalog.ts';
import { AD_FORMATS, AGE_BANDS, CATEGORIES, CITY_TIERS, COUPON_KINDS, DEVICES, GENDERS, HISTORY_LEN, N_CATEGORIES } from './vocabulary.ts';
import { WEEKDAYS } from './timeline.ts';

/**
 * In the order of KIND_ITEM, KIND_COUPON, KIND_AD (impression.ts). Ads are ranked by their
 * expected revenue per impression, p(ad_click) x the bid per click.
 */
export const KINDS: KindSpec[] = [
  { name: 'item', field: 'items' },
  { name: 'coupon', field: 'coupons' },
  { name: 'ad', field: 'ads', value: [{ task: 'ad_click', feature: 'ad_bid' }] },
];

const num = (name: string, entity: FeatureSpec['entity'], transform: 'log1p' | 'identity'): FeatureSpec => ({
  name,
  entity,
  kind: 'numeric',
  transform,
  mean: 0,
  std: 1,
});

/**
 * Feature declarations. Id fields get the next power of two above twice the entity count
 * (hashing collisions stay rare); the small vocabularies get the smallest bucket count of
 * roughly 3x their size for which the shared hash puts every value in its own bucket
 * (checked in test/synthetic.test.ts).
 */
/**
 * The history, the item's and the ad's category and the coupon's scope share the 'category' vocabulary
 * (one embedding per category), so "the candidate's category is in the user's history" is a
 * dot product the interaction layer sees directly. 120 is the smallest count >= 3x the 21
 * values ('all' + 20 categories) without collisions under the vocabulary's seed.
 */
const CATEGORY_BUCKETS = 120;

export function syntheticFeatures(sizes: CatalogSizes = DEFAULT_SIZES): FeatureSpec[] {
  const idBuckets = (n: number) => 2 ** Math.ceil(Math.log2(2 * n + 1));
  return [
    { name: 'user_id', entity: 'user', kind: 'categorical', buckets: idBuckets(sizes.users) },
    { name: 'user_age_band', entity: 'user', kind: 'categorical', buckets: 20 },
    { name: 'user_gender', entity: 'user', kind: 'categorical', buckets: 10 },
    { name: 'user_city_tier', entity: 'user', kind: 'categorical', buckets: 12 },
    { name: 'user_recent_categories', entity: 'user', kind: 'multi', buckets: CATEGORY_BUCKETS, maxLen: HISTORY_LEN, separator: '|', vocabulary: 'category' },
    num('user_price_sensitivity', 'user', 'identity'),
    { name: 'hour', entity: 'context', kind: 'categorical', buckets: 120 },
    { name: 'weekday', entity: 'context', kind: 'categorical', buckets: 24 },
    { name: 'device', entity: 'context', kind: 'categorical', buckets: 10 },
    candidateKindFeature(KINDS),
    { name: 'item_id', entity: 'item', kind: 'categorical', buckets: idBuckets(sizes.items) },
    { name: 'item_category', entity: 'item', kind: 'categorical', buckets: CATEGORY_BUCKETS, vocabulary: 'category' },
    { name: 'item_brand', entity: 'item', kind: 'categorical', buckets: idBuckets(sizes.brandsPerCategory * N_CATEGORIES) },
    num('item_price', 'item', 'log1p'),
    num('item_rating', 'item', 'identity'),
    { name: 'coupon_id', entity: 'coupon', kind: 'categorical', buckets: idBuckets(sizes.coupons) },
    { name: 'coupon_kind', entity: 'coupon', kind: 'categorical', buckets: 10 },
    { name: 'coupon_scope', entity: 'coupon', kind: 'categorical', buckets: CATEGORY_BUCKETS, vocabulary: 'category' },
    num('coupon_discount', 'coupon', 'identity'),
    num('coupon_min_spend', 'coupon', 'log1p'),
    { name: 'ad_id', entity: 'ad', kind: 'categorical', buckets: idBuckets(sizes.ads) },
    { name: 'ad_advertiser', entity: 'ad', kind: 'categorical', buckets: idBuckets(sizes.advertisers) },
    { name: 'ad_category', entity: 'ad', kind: 'categorical', buckets: CATEGORY_BUCKETS, vocabulary: 'category' },
    { name: 'ad_format', entity: 'ad', kind: 'categorical', buckets: 10 },
    num('ad_bid', 'ad', 'log1p'),
  ];
}

/** Raw vocabularies of the small categorical fields (for collision checks and docs). */
export const VOCABULARIES: Record<string, readonly string[]> = {
  user_age_band: AGE_BANDS,
  user_gender: GENDERS,
  user_city_tier: CITY_TIERS,
  user_recent_categories: CATEGORIES.map((c) => c.name),
  hour: Array.from({ length: 24 }, (_, h) => String(h)),
  weekday: WEEKDAYS,
  device: DEVICES,
  candidate_kind: ['item', 'coupon', 'ad'],
  item_category: CATEGORIES.map((c) => c.name),
  coupon_kind: COUPON_KINDS,
  coupon_scope: ['all', ...CATEGORIES.map((c) => c.name)],
  ad_category: CATEGORIES.map((c) => c.name),
  ad_format: AD_FORMATS,
};
