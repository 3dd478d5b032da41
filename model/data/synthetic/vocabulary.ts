// The shop's observable value sets and their codes: categories (with a typical price and a
// popularity), demographics, devices, coupon kinds, the sitewide coupon scope and the length of
// the recent-view history. What a row shows; the latent parameters are beside the builders.

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
export const GENDERS = ['f', 'm', 'u'] as const;
export const CITY_TIERS = ['t1', 't2', 't3', 't4'] as const;

export const DEVICES = ['ios', 'android', 'desktop'] as const;
export const DEVICE_IOS = 0;
export const DEVICE_ANDROID = 1;
export const DEVICE_DESKTOP = 2;

export const COUPON_KINDS = ['percent_off', 'amount_off', 'free_shipping'] as const;
export const COUPON_PERCENT = 0;
export const COUPON_AMOUNT = 1;
export const COUPON_SHIPPING = 2;
/** Scope value of coupons valid on every category. */
export const SCOPE_ALL = -1;

/** Categories in the user's recent-view history (per user and day, oldest first). */
export const HISTORY_LEN = 10;

/** Ad creatives: a banner, a video, a sponsored listing among the results. */
export const AD_FORMATS = ['banner', 'video', 'sponsored_listing'] as const;
export const AD_BANNER = 0;
export const AD_VIDEO = 1;
