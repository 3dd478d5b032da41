// The candidate mix of the generated /v1/score requests (the benchmarks' scripts/bench/requests.ts,
// npm run bench:worker's scripts/bench-worker/request-body.ts, npm run load's
// scripts/load/request-body.ts): how n candidates split over a model's kinds, and the ranking
// values an expected-value kind needs (also filled in npm start's sample request). One rule,
// so that the figures of the three compare.
//
// The rule: only the kinds the model has a task for get candidates (a list of any other kind
// is a 400). The first of them (in the model's kind order) gets the bulk, the second 20% and
// every further one 10%, taken from the first's share: items 80% / coupons 20% for the
// default two-kind model (what every figure before declared kinds was measured with), items
// 70% / coupons 20% / ads 10% for a third kind. Counts are rounded (Math.round(n * share)) and
// add up to n; with many kinds the further shares shrink so that the first keeps at least 10%.

import { kindsOf, type KindSpec } from '../../model/features/kinds.ts';

/** What the mix reads of a model: its kinds (absent: item + coupon) and which kinds its tasks apply to. */
export interface KindsDescription {
  kinds?: readonly KindSpec[];
  tasks: readonly { appliesTo: string }[];
}

export interface Candidate {
  id: string;
  features: Record<string, unknown>;
}

const SECOND_SHARE = 0.2;
const FURTHER_SHARE = 0.1;
const FIRST_AT_LEAST = 0.1;

/** The kinds that get candidates: those the model has a task for, in the model's kind order. */
export function scoredKinds(m: KindsDescription): KindSpec[] {
  return kindsOf(m).filter((k) => m.tasks.some((t) => t.appliesTo === k.name));
}

/** How many of n candidates each scored kind gets (the rule above); the counts add up to n. */
export function candidateCounts(m: KindsDescription, n: number): { kind: KindSpec; count: number }[] {
  const kinds = scoredKinds(m);
  const shares = kinds.map((_, i): number => (i === 0 ? 0 : i === 1 ? SECOND_SHARE : FURTHER_SHARE));
  const others = shares.reduce((a, b) => a + b, 0);
  const scale = others > 1 - FIRST_AT_LEAST ? (1 - FIRST_AT_LEAST) / others : 1;
  let left = n;
  const counts = shares.map((s, i) => {
    if (i === 0) return 0;
    const c = Math.min(left, Math.round(n * s * scale));
    left -= c;
    return c;
  });
  if (kinds.length) counts[0] = left;
  return kinds.map((kind, i) => ({ kind, count: counts[i] }));
}

/**
 * `features` with every value term of the kind (an ad's bid, ...) a finite number >= 0, which
 * the worker requires of an expected-value candidate even when the model does not use the
 * feature: a generated number is kept as its absolute value, anything else becomes `fallback`.
 */
export function withValueFeatures(kind: KindSpec, features: Record<string, unknown>, fallback: number): Record<string, unknown> {
  for (const { feature } of kind.value ?? []) {
    const x = features[feature];
    features[feature] = typeof x === 'number' && Number.isFinite(x) ? Math.abs(x) : fallback;
  }
  return features;
}

/**
 * The candidate lists of a request of n candidates, keyed by request field in the model's
 * kind order (empty lists left out): `make(kind, i)` builds the i-th candidate of a kind,
 * the value features are then filled in (1 + (i % 4) / 2 where the generator has none).
 */
export function candidateLists(m: KindsDescription, n: number, make: (kind: KindSpec, i: number) => Candidate): Record<string, Candidate[]> {
  const out: Record<string, Candidate[]> = {};
  for (const { kind, count } of candidateCounts(m, n)) {
    if (!count) continue;
    out[kind.field] = Array.from({ length: count }, (_, i) => {
      const c = make(kind, i);
      return { ...c, features: withValueFeatures(kind, c.features, 1 + (i % 4) / 2) };
    });
  }
  return out;
}
