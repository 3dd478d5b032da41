// Diagnostics: what can be predicted from OBSERVABLE features alone. The latent user taste,
// price sensitivity and item quality are replaced by posterior estimates made from the
// row's own history, the noisy observed sensitivity and the star rating; everything else
// (functional form, coupon attractiveness, brand, advertiser and creative quality, intercepts)
// is taken as known.
// It ignores what a model could additionally learn from user / item ids, so it is a rough
// lower bound on the reachable AUC; the gap to the Bayes AUC (from the true latents) shows
// how much of the signal is hidden in the latents.

import { adLogits, adProbs, couponLogit, itemLogits, itemProbs, REDEEM, TASK_COUNT } from './behaviour.ts';
import { QUALITY_SD, RATING_MEAN, RATING_NOISE, RATING_SLOPE } from './catalog.ts';
import { affinity, SEGMENTS, SENS_NOISE, SENS_SPREAD, TASTE_CONCENTRATION } from './users.ts';
import { GENDERS, HISTORY_LEN, N_CATEGORIES, SCOPE_ALL } from './vocabulary.ts';
import { sigmoid } from './rng.ts';
import { KIND_AD, KIND_ITEM, type Impression } from './impression.ts';
import type { SyntheticShop } from './shop.ts';

/** log Gamma(x) for x > 0 (Lanczos, g = 7). */
export function lnGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = g[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Returns f(imp) -> the probability of every task (in task order) estimated from observable features. */
export function observableOracle(shop: SyntheticShop): (imp: Impression) => number[] {
  const c = shop.catalog;
  const K = N_CATEGORIES;
  const S = SEGMENTS.length;
  const A = TASTE_CONCENTRATION;
  const shrinkQ = (RATING_SLOPE * QUALITY_SD ** 2) / (RATING_SLOPE ** 2 * QUALITY_SD ** 2 + RATING_NOISE ** 2);
  const shrinkS = SENS_SPREAD ** 2 / (SENS_SPREAD ** 2 + SENS_NOISE ** 2);
  const logPost = new Float64Array(S);
  const tasteHat = new Float64Array(K);
  const x = new Float64Array(TASK_COUNT);
  const p = new Float64Array(TASK_COUNT);
  const lgA = new Float64Array(S * K);
  for (let i = 0; i < S * K; i++) lgA[i] = lnGamma(A * c.segProfile[i]);

  /** Posterior mean taste given the history counts (segment mixture of Dirichlet posteriors). */
  function estimateTaste(user: number, counts: Uint8Array): void {
    const demo = (c.userAge[user] * GENDERS.length + c.userGender[user]) * S;
    let max = -Infinity;
    for (let s = 0; s < S; s++) {
      let l = Math.log(c.demoSegment[demo + s]);
      for (let k = 0; k < K; k++) if (counts[k]) l += lnGamma(A * c.segProfile[s * K + k] + counts[k]) - lgA[s * K + k];
      logPost[s] = l;
      if (l > max) max = l;
    }
    let z = 0;
    for (let s = 0; s < S; s++) z += logPost[s] = Math.exp(logPost[s] - max);
    tasteHat.fill(0);
    for (let s = 0; s < S; s++) {
      const w = logPost[s] / z;
      for (let k = 0; k < K; k++) tasteHat[k] += (w * (A * c.segProfile[s * K + k] + counts[k])) / (A + HISTORY_LEN);
    }
  }
  const aff = (k: number) => affinity(tasteHat[k]);

  return (imp: Impression) => {
    const u = imp.user;
    estimateTaste(u, imp.histCount);
    const sens = c.userSensPrior[u] + shrinkS * (c.userSensObs[u] - c.userSensPrior[u]);
    const weekend = imp.weekday >= 5;
    p.fill(0);
    if (imp.kind === KIND_ITEM) {
      const k = c.itemCat[imp.item];
      const r = c.itemRating[imp.item];
      const quality = Number.isNaN(r) ? 0 : shrinkQ * (r - RATING_MEAN);
      itemLogits(c, imp.item, { aff: aff(k), histShare: imp.histCount[k] / HISTORY_LEN, sens, quality }, imp.hour, weekend, imp.device, x);
      itemProbs(x, shop.intercepts, p);
      return Array.from(p);
    }
    if (imp.kind === KIND_AD) {
      const k = c.adCat[imp.ad];
      const lat = { aff: aff(k), histShare: imp.histCount[k] / HISTORY_LEN, sens, quality: c.adQuality[imp.ad] };
      adLogits(c, imp.ad, lat, imp.hour, weekend, imp.device, x);
      adProbs(x, shop.intercepts, p);
      return Array.from(p);
    }
    const s = c.couponScope[imp.coupon];
    const lat = {
      aff: s === SCOPE_ALL ? 0 : aff(s),
      histShare: s === SCOPE_ALL ? 0 : imp.histCount[s] / HISTORY_LEN,
      sens,
      quality: c.couponQuality[imp.coupon],
    };
    p[REDEEM] = sigmoid(shop.intercepts.redeem + couponLogit(c, imp.coupon, lat, imp.hour, weekend, imp.device));
    return Array.from(p);
  };
}
