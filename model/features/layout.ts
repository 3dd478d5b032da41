// Where each feature lands in the model's inputs and in the shared embedding table.
// One table serves every categorical and multi-valued field: field f owns the rows
// [offset_f, offset_f + buckets_f). Row 0 is the padding row: always zero, never trained,
// so padded slots of multi-valued features contribute nothing to their mean. Fields that
// declare the same vocabulary share one row range. A numeric feature with bin edges also
// owns rows (one per bin, after every hashed field's) and a column of the `cat` input, after
// the categorical fields' columns: to the model its bin is one more single-valued field.

import { bucketOf, fieldSeed } from './hash.ts';
import type { CategoricalFeature, FeatureSpec, MultiFeature, NumericFeature } from './spec.ts';

/** The bin field of a numeric feature that has edges. */
export interface NumericBins {
  readonly spec: NumericFeature;
  /** Its column in a row of `cat` (after the categorical fields). */
  readonly column: number;
  /** Embedding row of bin 0 (missing); bin b is offset + b. */
  readonly offset: number;
  /** Bins including the missing one: edges.length + 2. */
  readonly buckets: number;
}

export interface FeatureLayout {
  readonly specs: readonly FeatureSpec[];
  readonly categorical: readonly CategoricalFeature[];
  readonly multi: readonly MultiFeature[];
  readonly numeric: readonly NumericFeature[];
  /** Per numeric feature (same index as `numeric`): its bin field, or null without edges. */
  readonly numericBins: readonly (NumericBins | null)[];
  /** Per numeric feature: the list field of a match feature (NumericFeature.match), else null. */
  readonly matchLists: readonly (MultiFeature | null)[];
  /** Columns of a row of the `cat` input: categorical fields, then numeric bin fields. */
  readonly catWidth: number;
  /** First embedding row of each categorical / multi field, by name. */
  readonly offsets: Readonly<Record<string, number>>;
  readonly seeds: Readonly<Record<string, number>>;
  /** Per hashed field with a fitted vocabulary: value -> its index in `values`. */
  readonly vocab: Readonly<Record<string, ReadonlyMap<string, number>>>;
  /** Rows of the shared embedding table, padding row included. */
  readonly tableRows: number;
}

export const PADDING_ROW = 0;

export function layoutOf(specs: readonly FeatureSpec[]): FeatureLayout {
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new Error(`feature "${s.name}" is declared twice`);
    names.add(s.name);
    if (s.kind !== 'numeric' && !(Number.isInteger(s.buckets) && s.buckets >= 2)) {
      throw new Error(`feature "${s.name}": buckets must be an integer >= 2`);
    }
  }
  const categorical = specs.filter((s): s is CategoricalFeature => s.kind === 'categorical');
  const multi = specs.filter((s): s is MultiFeature => s.kind === 'multi');
  const numeric = specs.filter((s): s is NumericFeature => s.kind === 'numeric');
  const offsets: Record<string, number> = {};
  const seeds: Record<string, number> = {};
  let next = 1;
  const vocabs: Record<string, ReadonlyMap<string, number>> = {};
  const shared = new Map<string, { offset: number; buckets: number; first: string; values: readonly string[] | undefined }>();
  for (const s of [...categorical, ...multi]) {
    const vocab = s.vocabulary;
    const known = vocab === undefined ? undefined : shared.get(vocab);
    if (s.values) {
      if (s.values.length > s.buckets - 2) throw new Error(`feature "${s.name}": ${s.values.length} values need more than ${s.buckets} buckets (one for missing, one for the rest)`);
      vocabs[s.name] = new Map(s.values.map((v, i) => [v, i]));
      if (vocabs[s.name].size !== s.values.length) throw new Error(`feature "${s.name}": values are not distinct`);
    }
    if (known) {
      if (known.buckets !== s.buckets) throw new Error(`features "${known.first}" and "${s.name}" share vocabulary "${vocab}" but not their bucket count`);
      if ((known.values ?? []).join('\u0000') !== (s.values ?? []).join('\u0000')) throw new Error(`features "${known.first}" and "${s.name}" share vocabulary "${vocab}" but not their values`);
      offsets[s.name] = known.offset;
    } else {
      offsets[s.name] = next;
      if (vocab !== undefined) shared.set(vocab, { offset: next, buckets: s.buckets, first: s.name, values: s.values });
      next += s.buckets;
    }
    // Same vocabulary, same seed: a raw value lands in the same bucket in every such field.
    seeds[s.name] = fieldSeed(vocab ?? s.name);
  }
  let column = categorical.length;
  const numericBins = numeric.map((s): NumericBins | null => {
    if (!s.edges) return null;
    for (let i = 1; i < s.edges.length; i++) {
      if (!(s.edges[i] > s.edges[i - 1])) throw new Error(`feature "${s.name}": bin edges must be strictly ascending`);
    }
    const bins = { spec: s, column: column++, offset: next, buckets: s.edges.length + 2 };
    next += bins.buckets;
    return bins;
  });
  const matchLists = numeric.map((s): MultiFeature | null => {
    if (!s.match) return null;
    const list = multi.find((m) => m.name === s.match!.list);
    const key = categorical.find((c) => c.name === s.match!.key);
    if (!list) throw new Error(`feature "${s.name}": its list "${s.match.list}" is not a multi-valued feature`);
    if (!key) throw new Error(`feature "${s.name}": its key "${s.match.key}" is not a categorical feature`);
    return list;
  });
  return { specs, categorical, multi, numeric, numericBins, matchLists, catWidth: column, offsets, seeds, vocab: vocabs, tableRows: next };
}

/**
 * Embedding row of one raw categorical value: missing -> the field's bucket 0; a value of the
 * fitted vocabulary -> its own bucket; any other value -> hashed into the buckets after them.
 */
export function embeddingRow(layout: FeatureLayout, field: string, raw: unknown, buckets: number): number {
  const s = categoricalString(raw);
  const vocab = layout.vocab[field];
  if (vocab === undefined || s === '') return layout.offsets[field] + bucketOf(s, buckets, layout.seeds[field]);
  const i = vocab.get(s);
  if (i !== undefined) return layout.offsets[field] + 1 + i;
  // The hashed buckets of the rest start after the vocabulary's: bucketOf over what is left.
  return layout.offsets[field] + vocab.size + bucketOf(s, buckets - vocab.size, layout.seeds[field]);
}

/** Canonical string of a categorical value: numbers print as JS prints them, null is missing. */
export function categoricalString(raw: unknown): string {
  if (raw === null || raw === undefined) return '';
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number') return Number.isFinite(raw) ? String(raw) : '';
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  return '';
}
