// The shop's coupons: kind (percent off, amount off, free shipping), discount, minimum spend,
// one category or sitewide scope, a small latent attractiveness, and Zipf popularity overall
// and within each scope.

import { type AliasTable, groupedZipf, pickWeighted, Rng } from './rng.ts';
import { COUPON_AMOUNT, COUPON_PERCENT, N_CATEGORIES, SCOPE_ALL } from './vocabulary.ts';

const COUPON_KIND_WEIGHTS = [0.45, 0.35, 0.2];
/** Per-coupon latent effect (kept small, as the brands': see catalog.ts). */
const COUPON_QUALITY_SD = 0.15;
export const COUPON_ZIPF = { s: 0.7, q: 5 };

export interface Coupons {
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

/** C coupons drawn from their own stream (seed); scoped ones by category popularity. */
export function buildCoupons(seed: number, C: number, catAlias: AliasTable): Coupons {
  const K = N_CATEGORIES;
  const rng = new Rng(seed);
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
    const kind = pickWeighted(rng, COUPON_KIND_WEIGHTS);
    couponKind[j] = kind;
    if (kind === COUPON_PERCENT) {
      couponDiscount[j] = PERCENTS[pickWeighted(rng, PERCENT_W)];
      couponMinSpend[j] = SPENDS[pickWeighted(rng, SPEND_W)];
    } else if (kind === COUPON_AMOUNT) {
      couponDiscount[j] = AMOUNTS[pickWeighted(rng, AMOUNT_W)];
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
  const pop = groupedZipf(rng, C, COUPON_ZIPF, byScope);
  return { couponName, couponKind, couponDiscount, couponMinSpend, couponScope, couponQuality, couponAlias: pop.alias, couponsByScope: pop.byGroup, couponAliasByScope: pop.aliasByGroup };
}
