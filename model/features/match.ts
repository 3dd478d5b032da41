// Match features, derived from the declared ones: for a multi-valued field of the user or the
// context (recently viewed categories, brands, items) and a candidate's categorical field of
// the same vocabulary (its category, brand, id), the share of the list's values that equal
// the candidate's value. "How much of the user's recent browsing is this candidate's category"
// is among the strongest signals of e-commerce ranking; the shared vocabulary already makes
// it a dot product of embeddings, but a dot product can only approximate a count when the
// vocabulary has more values than the embedding has dimensions (20 categories in 16
// dimensions cannot all be orthogonal). On the synthetic shop the derived share lifted MMoE's
// test AUC by 0.002-0.006 on every task.
// The share is computed by the shared encoder (encode.ts), in training and in the worker alike.

import { CANDIDATE_KIND_FEATURE, type FeatureSpec, type NumericFeature } from './spec.ts';

/** A derived feature: computed from other fields, never read from a row or a request. */
export function isDerived(s: FeatureSpec): s is NumericFeature & { match: NonNullable<NumericFeature['match']> } {
  return s.kind === 'numeric' && s.match !== undefined;
}

/** A feature a request may carry: neither the server-set candidate kind nor a derived one. */
export function isClientInput(s: FeatureSpec): boolean {
  return s.name !== CANDIDATE_KIND_FEATURE.name && !isDerived(s);
}

/** The name of the match feature of `key` in `list`, e.g. item_category_in_user_recent_categories. */
export function matchFeatureName(key: string, list: string): string {
  return `${key}_in_${list}`;
}

/**
 * The match features of a feature list: one per (list, key) pair that declare the same
 * vocabulary, where `list` is a multi-valued field of the user or the context and `key` a
 * categorical field of a candidate kind. A pair whose name is already declared is skipped.
 * The feature belongs to the key's kind (it travels with the candidate) and is a numeric in
 * [0, 1], standardised like any other but without quantile bins (prepare.ts says why).
 */
export function matchFeatures(specs: readonly FeatureSpec[]): NumericFeature[] {
  const names = new Set(specs.map((s) => s.name));
  const out: NumericFeature[] = [];
  const perRequest = (e: string) => e === 'user' || e === 'context';
  for (const list of specs) {
    if (list.kind !== 'multi' || list.vocabulary === undefined || !perRequest(list.entity)) continue;
    for (const key of specs) {
      if (key.kind !== 'categorical' || key.vocabulary !== list.vocabulary || perRequest(key.entity)) continue;
      const name = matchFeatureName(key.name, list.name);
      if (names.has(name)) continue;
      names.add(name);
      out.push({ name, entity: key.entity, kind: 'numeric', transform: 'identity', mean: 0, std: 1, match: { list: list.name, key: key.name } });
    }
  }
  return out;
}
