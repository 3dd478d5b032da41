// The shop's advertisers and their ads (sponsored products competing for the same slots as the
// shop's own items). An advertiser sells mostly in one category, at its own price level (which
// sets its bids per click) and with a latent landing-page quality (how well its clicks convert).
// Each ad has a format, a category (its advertiser's, mostly), a bid per click around the
// advertiser's level and a latent creative quality; ads have a Zipf popularity, overall and
// within their category.

import { AliasTable, groupedZipf, pickWeighted, Rng, roundTo, zipfWeights } from './rng.ts';
import { N_CATEGORIES } from './vocabulary.ts';

const FORMAT_WEIGHTS = [0.4, 0.2, 0.4];
/** Share of an advertiser's ads in its own category (the rest by category popularity). */
const HOME_CATEGORY = 0.8;
/** Latent per-advertiser and per-ad effects: a few hundred clicks each, so learnable roughly. */
const ADVERTISER_QUALITY_SD = 0.3;
const CREATIVE_QUALITY_SD = 0.3;
/** Bids per click: log-normal around 0.40 by advertiser, each ad within +- 25% of its advertiser's. */
const BID_MEDIAN = 0.4;
const ADVERTISER_BID_SD = 0.6;
const AD_BID_SD = 0.25;
const ADVERTISER_ZIPF = { s: 0.8, q: 3 };
export const AD_ZIPF = { s: 0.9, q: 3 };

export interface Ads {
  advertiserName: string[];
  advertiserQuality: Float64Array;
  adName: string[];
  adAdvertiser: Int32Array;
  adCat: Uint8Array;
  adFormat: Uint8Array;
  adBid: Float64Array;
  /** Standardised log bid over all ads. */
  adZBid: Float64Array;
  adQuality: Float64Array;
  adAlias: AliasTable;
  adsByCat: Int32Array[];
  adAliasByCat: (AliasTable | null)[];
}

/** `nAdvertisers` advertisers and `nAds` ads from their own stream (seed). */
export function buildAds(seed: number, nAdvertisers: number, nAds: number, catAlias: AliasTable): Ads {
  const rng = new Rng(seed);
  const advertiserName: string[] = new Array(nAdvertisers);
  const advertiserQuality = new Float64Array(nAdvertisers);
  const advertiserCat = new Uint8Array(nAdvertisers);
  const advertiserLogBid = new Float64Array(nAdvertisers);
  for (let a = 0; a < nAdvertisers; a++) {
    advertiserName[a] = `adv${a}`;
    advertiserQuality[a] = ADVERTISER_QUALITY_SD * rng.normal();
    advertiserCat[a] = catAlias.sample(rng);
    advertiserLogBid[a] = Math.log(BID_MEDIAN) + ADVERTISER_BID_SD * rng.normal();
  }
  const advertiserAlias = new AliasTable(zipfWeights(nAdvertisers, ADVERTISER_ZIPF.s, ADVERTISER_ZIPF.q));
  const adName: string[] = new Array(nAds);
  const adAdvertiser = new Int32Array(nAds);
  const adCat = new Uint8Array(nAds);
  const adFormat = new Uint8Array(nAds);
  const adBid = new Float64Array(nAds);
  const adZBid = new Float64Array(nAds);
  const adQuality = new Float64Array(nAds);
  const byCat: number[][] = Array.from({ length: N_CATEGORIES }, () => []);
  let sum = 0;
  let sum2 = 0;
  for (let j = 0; j < nAds; j++) {
    adName[j] = `ad${j}`;
    const a = advertiserAlias.sample(rng);
    adAdvertiser[j] = a;
    const cat = rng.chance(HOME_CATEGORY) ? advertiserCat[a] : catAlias.sample(rng);
    adCat[j] = cat;
    byCat[cat].push(j);
    adFormat[j] = pickWeighted(rng, FORMAT_WEIGHTS);
    adBid[j] = Math.max(0.05, roundTo(Math.exp(advertiserLogBid[a] + AD_BID_SD * rng.normal()), 2));
    adQuality[j] = CREATIVE_QUALITY_SD * rng.normal();
    const lb = Math.log(adBid[j]);
    sum += lb;
    sum2 += lb * lb;
  }
  const mean = sum / nAds;
  const sd = Math.sqrt(Math.max(1e-9, sum2 / nAds - mean * mean));
  for (let j = 0; j < nAds; j++) adZBid[j] = (Math.log(adBid[j]) - mean) / sd;
  const pop = groupedZipf(rng, nAds, AD_ZIPF, byCat);
  return { advertiserName, advertiserQuality, adName, adAdvertiser, adCat, adFormat, adBid, adZBid, adQuality, adAlias: pop.alias, adsByCat: pop.byGroup, adAliasByCat: pop.aliasByGroup };
}
