// Ranking: the formulas that turn per-task probabilities into one score, the settings of a
// request (defaults and overrides), and the ranked lists of /v1/score (see docs/serving.md).
// No node: imports (the worker runs this inside workerd).

import type { KindSpec, ValueTerm } from '../features/kinds.ts';
import type { CandidateKind, TaskSpec } from '../features/spec.ts';
import { own, type ServingCandidate } from './assemble.ts';

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

/** The ranking of one request: the formula and the effective weight of every task. */
export interface RankSettings {
  formula: RankFormula;
  /** Effective weight of every task of the model. */
  weights: Record<string, number>;
}

/** Request overrides (task by task) over the configured defaults; a task listed nowhere weighs 1. */
export function rankSettings(
  tasks: readonly TaskSpec[],
  defaults: { rankFormula: RankFormula; rankWeights: Readonly<Record<string, number>> },
  request?: { formula?: RankFormula; weights?: Readonly<Record<string, number | undefined>> },
): RankSettings {
  const weights: Record<string, number> = {};
  for (const t of tasks) weights[t.name] = request?.weights?.[t.name] ?? defaults.rankWeights[t.name] ?? 1;
  return { formula: request?.formula ?? defaults.rankFormula, weights };
}

export interface Scored {
  id: string;
  score: number;
  [task: string]: number | string;
}

/** What the revenue formula reads: the item task it uses and the feature holding the price. */
export interface RevenueSource {
  revenueTask: string;
  priceFeature: string;
}

/**
 * Expected value of showing a candidate: sum over its kind's terms of p(task) * value, e.g.
 * an ad: p(click) * bid (+ p(conversion) * value per conversion). A missing value counts as 0
 * (validate.ts refuses requests without one).
 */
export function expectedValue(terms: readonly ValueTerm[], probs: ReadonlyMap<string, Float32Array>, row: number, features: ServingCandidate['features']): number {
  let s = 0;
  for (const t of terms) {
    s += probs.get(t.task)![row] * (priceOf(own(features, t.feature)) ?? 0);
  }
  return s;
}

/**
 * Ranked, cut lists, one per kind (keyed by the kind's request field): each candidate scored
 * from the probabilities of its kind's tasks (probs: task -> one value per batch row, rows in
 * candidate order) by its kind's formula: expected value for kinds that declare value terms,
 * else the settings' formula (revenue applies to items). Sorted by score (ties keep request
 * order), the best topK of each list. A non-finite score counts as 0.
 */
export function rank(
  kinds: readonly KindSpec[],
  tasksOf: Readonly<Record<CandidateKind, readonly TaskSpec[]>>,
  revenue: RevenueSource,
  settings: RankSettings,
  candidates: readonly ServingCandidate[],
  probs: ReadonlyMap<string, Float32Array>,
  topK: number | undefined,
): Record<string, Scored[]> {
  const byKind = new Map(
    kinds.map((k) => {
      const tasks = tasksOf[k.name] ?? [];
      return [k.name, { kind: k, tasks, probs: tasks.map((t) => probs.get(t.name)!), weights: tasks.map((t) => settings.weights[t.name]), list: [] as { s: Scored; i: number }[] }];
    }),
  );
  const revenueProbs = probs.get(revenue.revenueTask);
  const p: number[] = [];
  candidates.forEach((c, row) => {
    const k = byKind.get(c.kind)!;
    const s: Scored = { id: c.id, score: 0 };
    p.length = k.tasks.length;
    for (let t = 0; t < k.tasks.length; t++) p[t] = k.probs[t][row];
    let score: number;
    if (k.kind.value) {
      score = expectedValue(k.kind.value, probs, row, c.features);
    } else if (settings.formula === 'revenue' && c.kind === 'item' && revenueProbs) {
      score = expectedRevenue(revenueProbs[row], priceOf(own(c.features, revenue.priceFeature)) ?? 0);
    } else {
      score = productScore(p, k.weights);
    }
    s.score = Number.isFinite(score) ? score : 0;
    for (let t = 0; t < k.tasks.length; t++) s[k.tasks[t].name] = p[t];
    k.list.push({ s, i: row });
  });
  const out: Record<string, Scored[]> = {};
  for (const k of byKind.values()) {
    k.list.sort((a, b) => b.s.score - a.s.score || a.i - b.i);
    out[k.kind.field] = (topK !== undefined ? k.list.slice(0, topK) : k.list).map((x) => x.s);
  }
  return out;
}
