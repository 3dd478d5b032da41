// Feature and task declarations: the vocabulary shared by data sources, the trainer, the
// exporter and the worker. Everything here is plain JSON so it can travel in the manifest.

/** A candidate kind's name (model/features/kinds.ts): 'item', 'coupon', 'ad', or any the data declares. */
export type CandidateKind = string;
/** Whose feature it is: the user's, the request context's, or a candidate kind's. */
export type Entity = 'user' | 'context' | CandidateKind;

/**
 * A single-valued categorical feature in `buckets` rows (bucket 0 = missing). Its most frequent
 * training values (`values`) have a row each, the rest are hashed into the rows after them.
 */
export interface CategoricalFeature {
  name: string;
  entity: Entity;
  kind: 'categorical';
  buckets: number;
  /**
   * The vocabulary fitted on the training split, most frequent first: value i is bucket 1 + i.
   * Hashing alone makes frequent values collide (two of six values of a 'relationship' column
   * in 1,024 buckets, about one field in seven has such a pair), merging exactly the values a
   * model most needs apart; the long tail of ids stays hashed. Shared by fields that share a
   * vocabulary.
   */
  values?: string[];
  /**
   * Fields naming the same vocabulary share embedding rows: the same raw value (say a
   * category in the user's history and the candidate's category) is the same vector, so
   * their match is a plain dot product. Shared fields must have the same bucket count.
   */
  vocabulary?: string;
}

/**
 * A multi-valued categorical feature (e.g. recently viewed categories), hashed like a
 * categorical one, padded/truncated to `maxLen` values and mean-pooled over the real values.
 * As a raw value it may be an array of strings or one string split on `separator`.
 */
export interface MultiFeature {
  name: string;
  entity: Entity;
  kind: 'multi';
  buckets: number;
  maxLen: number;
  separator: string;
  /** See CategoricalFeature.vocabulary. */
  vocabulary?: string;
  /** See CategoricalFeature.values. */
  values?: string[];
}

/**
 * A numeric feature: x -> (t(x) - mean) / std with t = log1p (non-negative heavy tails such
 * as prices and counts) or identity. `mean` and `std` are fitted on the training split only.
 * A missing or non-finite value becomes 0 after normalisation, i.e. the training mean.
 */
export interface NumericFeature {
  name: string;
  entity: Entity;
  kind: 'numeric';
  transform: 'log1p' | 'identity';
  mean: number;
  std: number;
  /**
   * Quantile bin edges fitted on the training split (ascending). With them the feature also
   * gets an embedding per bin: raw value x falls in bin 1 + #(edges <= x), bin 0 = missing.
   * A standardised number alone makes the network carve thresholds (price bands, "has any
   * capital gain") out of ReLUs, which it does poorly; a bin embedding is such a threshold
   * set, learned per bin and crossed with every other field by the dot interactions.
   */
  edges?: number[];
  /**
   * A derived feature (model/features/match.ts): never read from a row or a request, but
   * computed from two of them, the share of the values of multi-valued field `list` equal to
   * the value of categorical field `key` ("the candidate's category is 3 of the user's 10
   * recent categories"). A dot product of embeddings can only approximate that count when a
   * vocabulary has more values than the embedding has dimensions.
   */
  match?: { list: string; key: string };
}

export type FeatureSpec = CategoricalFeature | MultiFeature | NumericFeature;

/** A prediction target. `appliesTo` says which candidate rows carry (and are served) this task. */
export interface TaskSpec {
  name: string;
  appliesTo: CandidateKind;
  /**
   * For funnel tasks (ESMM): the task whose positive is a prerequisite, e.g. purchase -> click.
   * ESMM models p(task) = p(parent) * p(task | parent) on the entire space.
   */
  parent?: string;
}

/** Raw values as they come from a log row or an HTTP request. */
export type RawValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type RawRow = Record<string, RawValue>;

/**
 * The built-in feature telling the model which candidate kind a row is, as declared for the
 * default kinds (item + coupon); candidateKindFeature in kinds.ts sizes it for other kinds.
 */
export const CANDIDATE_KIND_FEATURE: CategoricalFeature = {
  name: 'candidate_kind',
  entity: 'context',
  kind: 'categorical',
  buckets: 3,
};
