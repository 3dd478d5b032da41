// The shop's users: demographics, device habits, a latent price sensitivity observed with noise,
// and a taste over categories drawn around shopper segments (whose odds depend on age band and
// gender), with long-tailed activity. Latents are fixed functions of the user id and the seed.

import { AliasTable, pickWeighted, Rng, roundTo, zipfWeights } from './rng.ts';
import { AGE_BANDS, DEVICE_ANDROID, DEVICE_IOS, GENDERS, N_CATEGORIES } from './vocabulary.ts';

const AGE_WEIGHTS = [0.17, 0.3, 0.23, 0.15, 0.1, 0.05];
/** Younger users are more price sensitive on average (the oldest band a little again). */
const AGE_SENSITIVITY = [0.8, 0.25, -0.15, -0.35, -0.2, 0.3];
const GENDER_WEIGHTS = [0.52, 0.44, 0.04];
const TIER_WEIGHTS = [0.2, 0.3, 0.3, 0.2];
const TIER_SENSITIVITY = [-0.6, -0.15, 0.3, 0.6];
const TIER_IOS = [0.55, 0.45, 0.35, 0.3];

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

export const SENS_NOISE = 0.3;
export const SENS_SPREAD = 0.9;
export const USER_ZIPF = { s: 0.9, q: 400 };

export function sensPrior(age: number, tier: number): number {
  return 0.35 * AGE_SENSITIVITY[age] + 0.3 * TIER_SENSITIVITY[tier];
}

export interface Segments {
  /** Category profile of each shopper segment (a distribution), [SEGMENTS, K]. */
  segProfile: Float64Array;
  /** Segment odds by demographic cell, [ages * genders, SEGMENTS]. */
  demoSegment: Float64Array;
}

/** The segments' profiles and odds, drawn from the categories' stream `rng`. */
export function drawSegments(rng: Rng, catName: readonly string[], catPop: readonly number[]): Segments {
  const K = N_CATEGORIES;
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
  return { segProfile, demoSegment };
}

export interface Users {
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
  /** Each user's main segment (diagnostics). */
  userSegment: Uint8Array;
  userActivity: AliasTable;
}

/** U users drawn from their own stream (seed), around the segments. */
export function buildUsers(seed: number, U: number, { segProfile, demoSegment }: Segments): Users {
  const K = N_CATEGORIES;
  const rng = new Rng(seed);
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
    const a = pickWeighted(rng, AGE_WEIGHTS);
    const g = pickWeighted(rng, GENDER_WEIGHTS);
    const t = pickWeighted(rng, TIER_WEIGHTS);
    userAge[u] = a;
    userGender[u] = g;
    userTier[u] = t;
    userPhone[u] = rng.chance(TIER_IOS[t]) ? DEVICE_IOS : DEVICE_ANDROID;
    userDesktop[u] = -1.2 + 0.8 * rng.normal() + (a >= 2 ? 0.4 : 0);
    const prior = sensPrior(a, t);
    userSensPrior[u] = prior;
    userSens[u] = prior + SENS_SPREAD * rng.normal();
    userSensObs[u] = roundTo(userSens[u] + SENS_NOISE * rng.normal(), 2);
    const demo = (a * GENDERS.length + g) * SEGMENTS.length;
    const seg = pickWeighted(rng, demoSegment, demo, SEGMENTS.length);
    userSegment[u] = seg;
    const second = rng.chance(SECOND_SEGMENT) ? pickWeighted(rng, demoSegment, demo, SEGMENTS.length) : seg;
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
  return { userName, userAge, userGender, userTier, userPhone, userDesktop, userSens, userSensObs, userSensPrior, userTaste, userTasteCdf, userAff, userSegment, userActivity };
}
