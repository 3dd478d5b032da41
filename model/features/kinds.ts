// Candidate kinds: the lists a request carries (items, coupons, ads, ...). A model's kinds are
// declared by its data and recorded in the manifest; this file is the one place that knows the
// default (item + coupon, what every model had before kinds were declared) and the rules a
// declaration must follow. No node: imports (the worker reads it).

import type { CategoricalFeature } from './spec.ts';

/**
 * One expected-value term of a kind's ranking: p(task) * the candidate's raw `feature` (a
 * finite number >= 0, e.g. an ad's bid per click or its value per conversion).
 */
export interface ValueTerm {
  task: string;
  feature: string;
}

export interface KindSpec {
  /** The kind's name: the entity of its features and what tasks' `appliesTo` names. */
  name: string;
  /** The request (and response) field carrying the list, e.g. 'ads'. */
  field: string;
  /**
   * Expected-value ranking: score = sum over terms of p(task) * feature, instead of the
   * product formula (e.g. ads: p(ad_click) * ad_bid + p(ad_conversion) * ad_value).
   */
  value?: ValueTerm[];
}

/** The kinds of a model that declares none. */
export const DEFAULT_KINDS: readonly KindSpec[] = [
  { name: 'item', field: 'items' },
  { name: 'coupon', field: 'coupons' },
];

/** Names a kind may not take: the request's other objects. */
const RESERVED = new Set(['user', 'context', 'rank', 'top_k', 'model']);
const NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** The kinds of a model: its declared list, or the default for models from before kinds were declared. */
export function kindsOf(m: { kinds?: readonly KindSpec[] }): readonly KindSpec[] {
  return m.kinds ?? DEFAULT_KINDS;
}

/** Checks a kinds declaration; returns the first problem, or null. */
export function kindsProblem(kinds: unknown): string | null {
  if (!Array.isArray(kinds) || !kinds.length) return 'kinds must be a non-empty list';
  const seen = new Set<string>();
  for (const k of kinds as Partial<KindSpec>[]) {
    if (typeof k !== 'object' || k === null) return 'a kind is not an object';
    for (const key of ['name', 'field'] as const) {
      const v = k[key];
      if (typeof v !== 'string' || !NAME.test(v)) return `kind ${JSON.stringify(k.name)}: ${key} must match ${NAME.source}, got ${JSON.stringify(v)}`;
      if (RESERVED.has(v)) return `kind ${JSON.stringify(k.name)}: ${key} "${v}" is reserved`;
      if (seen.has(v) && !(key === 'field' && v === k.name)) return `kind ${JSON.stringify(k.name)}: "${v}" is used twice`;
      seen.add(v);
    }
    if (k.value !== undefined) {
      if (!Array.isArray(k.value) || !k.value.length) return `kind "${k.name}": value must be a non-empty list of {task, feature}`;
      for (const t of k.value) if (typeof t?.task !== 'string' || typeof t?.feature !== 'string') return `kind "${k.name}": value terms need a task and a feature`;
    }
  }
  return null;
}

/** The kind a request field carries, or undefined. */
export function kindOfField(kinds: readonly KindSpec[], field: string): KindSpec | undefined {
  return kinds.find((k) => k.field === field);
}

/**
 * The built-in feature telling the model which kind a row is. Two kinds keep the historical 3
 * buckets (the frequent kind gets its own row, the other one hashes into the remaining one);
 * more kinds get 2K + 1, so the fitted vocabulary (at most half the buckets) holds every kind.
 */
export function candidateKindFeature(kinds: readonly KindSpec[]): CategoricalFeature {
  return { name: 'candidate_kind', entity: 'context', kind: 'categorical', buckets: kinds.length <= 2 ? 3 : 2 * kinds.length + 1 };
}
