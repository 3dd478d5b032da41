// The shop's intercepts, calibrated on a fixed sample of simulated impressions (independent of
// the log's size) so that the positive rates hit TARGET_RATES for every seed: the funnel
// parents' from their rates, the children's from their rates given the parent.

import { AD_CLICK, AD_CONVERSION, CART, CLICK, PURCHASE, REDEEM, solveIntercept, TARGET_RATES, TASK_COUNT, type Intercepts } from './behaviour.ts';
import { KIND_AD, KIND_COUPON, KIND_ITEM, newImpression, type Impression } from './impression.ts';
import { Rng, sigmoid, subSeed } from './rng.ts';

const TAG_CALIBRATION = 3;
const CALIBRATION_ROWS = 60_000;

/** Intercepts and the expected rates (mean true probabilities) on the calibration sample; `simulate` fills an impression's context, candidate and logits. */
export function calibrate(s32: number, simulate: (rng: Rng, f: number, imp: Impression) => void) {
  const rng = new Rng();
  const imp = newImpression();
  const x: number[][] = Array.from({ length: TASK_COUNT }, () => []);
  let coupons = 0;
  let ads = 0;
  for (let i = 0; i < CALIBRATION_ROWS; i++) {
    rng.reseed(subSeed(s32, TAG_CALIBRATION, i));
    simulate(rng, rng.next(), imp);
    const tasks = imp.kind === KIND_ITEM ? [CLICK, CART, PURCHASE] : imp.kind === KIND_COUPON ? [REDEEM] : [AD_CLICK, AD_CONVERSION];
    for (const t of tasks) x[t].push(imp.x[t]);
    if (imp.kind === KIND_COUPON) coupons++;
    if (imp.kind === KIND_AD) ads++;
  }
  const T = TARGET_RATES;
  // A funnel: the parent's intercept from its rate, the children's from their rate given it.
  const funnel = (parent: number, parentRate: number, children: [number, number][]) => {
    const b = solveIntercept(x[parent], null, parentRate);
    const pp = x[parent].map((v) => sigmoid(b + v));
    const bs = children.map(([t, rate]) => solveIntercept(x[t], pp, rate / parentRate));
    const rates = [pp.reduce((a, v) => a + v, 0) / pp.length, ...children.map(([t], j) => pp.reduce((a, v, i) => a + v * sigmoid(bs[j] + x[t][i]), 0) / pp.length)];
    return { b: [b, ...bs], rates };
  };
  const item = funnel(CLICK, T.click, [
    [CART, T.cart],
    [PURCHASE, T.purchase],
  ]);
  const ad = funnel(AD_CLICK, T.ad_click, [[AD_CONVERSION, T.ad_conversion]]);
  const redeem = solveIntercept(x[REDEEM], null, T.redeem);
  const intercepts: Intercepts = {
    click: item.b[0],
    cart: item.b[1],
    purchase: item.b[2],
    redeem,
    ad_click: ad.b[0],
    ad_conversion: ad.b[1],
  };
  const rates = {
    click: item.rates[0],
    cart: item.rates[1],
    purchase: item.rates[2],
    redeem: x[REDEEM].reduce((a, v) => a + sigmoid(redeem + v), 0) / x[REDEEM].length,
    ad_click: ad.rates[0],
    ad_conversion: ad.rates[1],
    couponShare: coupons / CALIBRATION_ROWS,
    adShare: ads / CALIBRATION_ROWS,
  };
  return { intercepts, rates };
}
