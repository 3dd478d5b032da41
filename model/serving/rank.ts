// Ranking formulas that turn per-task probabilities into one score (see docs/serving.md).
// No node: imports (the worker runs this inside workerd).

export type RankFormula = 'product' | 'revenue';

/** Upper bound of a multiplicative-fusion weight (weights are in [0, MAX_RANK_WEIGHT]). */
export const MAX_RANK_WEIGHT = 10;

/**
 * Multiplicative fusion: score = prod_t p_t ^ w_t over the tasks of the candidate's kind.
 * A weight of 0 drops its task (0^0 counts as 1); an empty product is 1.
 */
export function productScore(probs: ArrayLike<number>, weights: ArrayLike<number>): number {
  let s = 1;
  for (let t = 0; t < probs.length; t++) {
    const w = weights[t];
    if (w !== 0) s *= Math.pow(probs[t], w);
  }
  return s;
}

/**
 * Expected revenue of showing an item: E[revenue] = p(click) * p(purchase | click) * price.
 * Purchases only happen after a click, so p(click) * p(purchase | click) = p(click and
 * purchase) = p(purchase), the unconditional purchase probability on the impression, which
 * is what a `purchase` task trained on every impression predicts. Hence score = p(purchase) * price.
 */
export function expectedRevenue(pPurchase: number, price: number): number {
  return pPurchase * price;
}

/** A price as ranking input: a finite number >= 0 (numeric strings allowed), else null. */
export function priceOf(raw: unknown): number | null {
  let x: number;
  if (typeof raw === 'number') x = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') x = Number(raw);
  else return null;
  return Number.isFinite(x) && x >= 0 ? x : null;
}
