// Raw rows -> the model's input tensors. The trainer and the worker both call this, so what
// is served is exactly what was trained. No node: imports (it runs inside workerd).

import { categoricalString, embeddingRow, PADDING_ROW, type FeatureLayout } from './layout.ts';
import type { MultiFeature, NumericFeature, RawRow, RawValue } from './spec.ts';

/** Inputs of a batch of n rows, row-major. */
export interface EncodedBatch {
  n: number;
  /** [n, layout.catWidth] embedding rows: categorical fields, then numeric bins. */
  cat: Int32Array;
  /** One [n, maxLen] array per multi-valued field; unused slots hold PADDING_ROW. */
  multi: Int32Array[];
  /** [n, numeric.length] normalised values. */
  num: Float32Array;
}

export function allocBatch(layout: FeatureLayout, n: number): EncodedBatch {
  return {
    n,
    cat: new Int32Array(n * layout.catWidth),
    multi: layout.multi.map((m) => new Int32Array(n * m.maxLen)),
    num: new Float32Array(n * layout.numeric.length),
  };
}

/** A raw numeric value as a number; NaN when missing or not finite. */
export function numericValue(raw: unknown): number {
  let x: number;
  if (typeof raw === 'number') x = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') x = Number(raw);
  else if (typeof raw === 'boolean') x = raw ? 1 : 0;
  else return NaN;
  return Number.isFinite(x) ? x : NaN;
}

/** Normalised value of one numeric feature; missing or non-finite -> 0 (the training mean). */
export function normalise(spec: NumericFeature, raw: unknown): number {
  let x = numericValue(raw);
  if (Number.isNaN(x)) return 0;
  if (spec.transform === 'log1p') x = Math.log1p(Math.max(0, x));
  const z = (x - spec.mean) / (spec.std > 0 ? spec.std : 1);
  return Number.isFinite(z) ? z : 0;
}

/** Bin of a raw value given ascending edges: 0 = missing, else 1 + #(edges <= x). */
export function binOf(edges: readonly number[], raw: unknown): number {
  const x = numericValue(raw);
  if (Number.isNaN(x)) return 0;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return 1 + lo;
}

/** The values of a multi-valued feature as strings (array, or one string split on the separator). */
export function multiValues(spec: MultiFeature, raw: RawValue): string[] {
  if (raw === null || raw === undefined) return [];
  const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(spec.separator) : [raw];
  const out: string[] = [];
  for (const p of parts) {
    const s = categoricalString(p);
    if (s !== '') out.push(s);
  }
  return out;
}

/**
 * The value of a match feature (match.ts): the share of the list's values, the most recent
 * maxLen as encoded, equal to the key's value; NaN (missing) when either is missing. Values
 * are compared as canonical strings, so two fields of one vocabulary match exactly as their
 * raw values do, hashing collisions aside.
 */
export function matchShare(list: MultiFeature, listRaw: RawValue, keyRaw: RawValue): number {
  const key = categoricalString(keyRaw);
  if (key === '') return NaN;
  const values = multiValues(list, listRaw);
  const start = Math.max(0, values.length - list.maxLen);
  if (values.length === start) return NaN;
  let hits = 0;
  for (let v = start; v < values.length; v++) if (values[v] === key) hits++;
  return hits / (values.length - start);
}

/** The raw value numeric feature d encodes: read by name, or derived for a match feature. */
export function numericRaw(layout: FeatureLayout, d: number, get: (name: string) => RawValue): RawValue {
  const list = layout.matchLists[d];
  const spec = layout.numeric[d];
  return list ? matchShare(list, get(list.name), get(spec.match!.key)) : get(spec.name);
}

export type FieldKind = 'categorical' | 'multi' | 'numeric';

/**
 * Writes field `index` (within its kind's list in the layout) of row `i` from one raw value:
 * the per-field step of encodeRowInto, exported so that callers that resolve values in
 * their own order (the worker's per-request templates) encode exactly the same way.
 */
export function encodeFieldInto(layout: FeatureLayout, batch: EncodedBatch, i: number, kind: FieldKind, index: number, raw: RawValue): void {
  if (kind === 'categorical') {
    const s = layout.categorical[index];
    batch.cat[i * layout.catWidth + index] = embeddingRow(layout, s.name, raw, s.buckets);
  } else if (kind === 'numeric') {
    const s = layout.numeric[index];
    batch.num[i * layout.numeric.length + index] = normalise(s, raw);
    const bins = layout.numericBins[index];
    if (bins) batch.cat[i * layout.catWidth + bins.column] = bins.offset + binOf(s.edges!, raw);
  } else {
    const s = layout.multi[index];
    const values = multiValues(s, raw);
    const dst = batch.multi[index];
    const base = i * s.maxLen;
    // Keep the most recent values when truncating: callers list them oldest first.
    const start = Math.max(0, values.length - s.maxLen);
    let k = 0;
    for (let v = start; v < values.length; v++) dst[base + k++] = embeddingRow(layout, s.name, values[v], s.buckets);
    for (; k < s.maxLen; k++) dst[base + k] = PADDING_ROW;
  }
}

/**
 * Write row `i` of `batch` from raw feature values. `get(name)` returns the raw value of a
 * feature (from the row itself, or from user / context / candidate objects in the worker).
 */
export function encodeRowInto(
  layout: FeatureLayout,
  batch: EncodedBatch,
  i: number,
  get: (name: string) => RawValue,
): void {
  for (let c = 0; c < layout.categorical.length; c++) encodeFieldInto(layout, batch, i, 'categorical', c, get(layout.categorical[c].name));
  for (let m = 0; m < layout.multi.length; m++) encodeFieldInto(layout, batch, i, 'multi', m, get(layout.multi[m].name));
  for (let d = 0; d < layout.numeric.length; d++) encodeFieldInto(layout, batch, i, 'numeric', d, numericRaw(layout, d, get));
}

export function encodeRows(layout: FeatureLayout, rows: readonly RawRow[]): EncodedBatch {
  const batch = allocBatch(layout, rows.length);
  for (let i = 0; i < rows.length; i++) encodeRowInto(layout, batch, i, (name) => rows[i][name]);
  return batch;
}
