// Request-level inputs of a request-shared export (writer.ts, sharing 'request'). All
// candidates of a /v1/score request share one user and one context, so the part of the first
// layers that depends only on those fields is computed once per request (first-layer.ts).
// The model then takes, next to the per-candidate inputs of inputs.ts:
//
//   req_cat            int32   [R, layout.catWidth]   R distinct request rows: full encoded rows,
//   req_multi_<field>  int32   [R, field.maxLen]      of which the graph reads only the
//   req_num            float32 [R, numeric.length]    per-request columns (isPerRequest);
//                                                     row 0 is the request as most candidates see it
//   ovr_rows           int32   [K]                    candidates whose per-request fields differ
//                                                     from row 0 (a candidate overriding a context
//                                                     or user feature) ...
//   ovr_req            int32   [K]                    ... and the request row each of them sees.
//
// The graph scores every candidate with row 0 and then recomputes the per-request part of the
// K listed candidates exactly, from their own request row. K >= 1 always: with no override,
// candidate 0 is listed with row 0 (a correction of exactly zero), so no tensor is empty.
// requestFeedsOf builds all of this from an ordinary EncodedBatch, so any batch (a request,
// training rows where every row has its own user) gives the per-row graph's probabilities.
// No node: imports (the worker runs this).

import type { EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import { CANDIDATE_KIND_FEATURE, type FeatureSpec } from '../features/spec.ts';
import { CAT_INPUT, inputSpecs, multiInputName, NUM_INPUT, type TensorSpec } from './inputs.ts';

export const REQUEST_PREFIX = 'req_';
export const OVERRIDE_ROWS = 'ovr_rows';
export const OVERRIDE_REQUEST = 'ovr_req';

/**
 * A feature every candidate of a request shares unless it overrides it: user and context
 * features. `candidate_kind` is a context feature but differs between items and coupons.
 */
export function isPerRequest(spec: FeatureSpec): boolean {
  return (spec.entity === 'user' || spec.entity === 'context') && spec.name !== CANDIDATE_KIND_FEATURE.name;
}

/** Per-request columns of each input: `cat` columns, multi-valued field indices, `num` columns. */
export interface RequestColumns {
  cat: number[];
  multi: number[];
  num: number[];
}

export function requestColumns(layout: FeatureLayout): RequestColumns {
  const cat: number[] = [];
  layout.categorical.forEach((s, c) => isPerRequest(s) && cat.push(c));
  layout.numericBins.forEach((b) => b && isPerRequest(b.spec) && cat.push(b.column));
  const multi: number[] = [];
  layout.multi.forEach((s, m) => isPerRequest(s) && multi.push(m));
  const num: number[] = [];
  layout.numeric.forEach((s, d) => isPerRequest(s) && num.push(d));
  return { cat: cat.sort((a, b) => a - b), multi, num };
}

/** The extra inputs of a request-shared model (after inputSpecs); R and K are their first axes. */
export function requestInputSpecs(layout: FeatureLayout): (TensorSpec & { rank: 1 | 2 })[] {
  return [
    ...inputSpecs(layout).map((s) => ({ ...s, name: REQUEST_PREFIX + s.name, rank: 2 as const })),
    { name: OVERRIDE_ROWS, type: 'int32', width: 1, rank: 1 },
    { name: OVERRIDE_REQUEST, type: 'int32', width: 1, rank: 1 },
  ];
}

/** Does a session with these input names take request-level inputs? */
export function takesRequestInputs(inputNames: readonly string[]): boolean {
  return inputNames.includes(OVERRIDE_ROWS);
}

export interface RequestFeeds {
  /** Input name -> data and dims, for every name of requestInputSpecs. */
  tensors: Record<string, { data: Int32Array | Float32Array; dims: number[] }>;
  /** Distinct request rows (R) and corrected candidates (K, at least 1). */
  requests: number;
  overrides: number;
}

/** The batch's inputs by name (the flat arrays of inputs.ts, rows [from, to)). */
function inputArrays(layout: FeatureLayout, batch: EncodedBatch): Record<string, Int32Array | Float32Array> {
  const out: Record<string, Int32Array | Float32Array> = { [CAT_INPUT]: batch.cat, [NUM_INPUT]: batch.num };
  layout.multi.forEach((m, j) => (out[multiInputName(m.name)] = batch.multi[j]));
  return out;
}

/**
 * The request-level inputs for rows [from, to) of a batch: the distinct combinations of
 * per-request values (compared on the encoded columns, so two raw values that encode alike are
 * one request row), the most frequent as row 0, and every row that sees another one.
 */
export function requestFeedsOf(layout: FeatureLayout, batch: EncodedBatch, from = 0, to = batch.n): RequestFeeds {
  const cols = requestColumns(layout);
  const C = layout.catWidth;
  const D = layout.numeric.length;
  const n = to - from;
  if (n <= 0) throw new Error('request inputs of an empty batch');
  const same = (i: number, j: number): boolean => {
    for (const c of cols.cat) if (batch.cat[i * C + c] !== batch.cat[j * C + c]) return false;
    for (const d of cols.num) if (!Object.is(batch.num[i * D + d], batch.num[j * D + d])) return false;
    for (const m of cols.multi) {
      const L = layout.multi[m].maxLen;
      const a = batch.multi[m];
      for (let s = 0; s < L; s++) if (a[i * L + s] !== a[j * L + s]) return false;
    }
    return true;
  };
  // Group rows by their per-request values: representatives[r] = first row of group r.
  const group = new Int32Array(n);
  const representatives: number[] = [from];
  const counts: number[] = [1];
  let byKey: Map<string, number> | null = null;
  const keyOf = (i: number): string => {
    const parts: number[] = [];
    for (const c of cols.cat) parts.push(batch.cat[i * C + c]);
    for (const d of cols.num) parts.push(batch.num[i * D + d]);
    for (const m of cols.multi) {
      const L = layout.multi[m].maxLen;
      for (let s = 0; s < L; s++) parts.push(batch.multi[m][i * L + s]);
    }
    return parts.join(',');
  };
  for (let i = from + 1; i < to; i++) {
    if (same(i, from)) {
      counts[0]++;
      continue;
    }
    if (!byKey) byKey = new Map([[keyOf(from), 0]]);
    const key = keyOf(i);
    let r = byKey.get(key);
    if (r === undefined) {
      byKey.set(key, (r = representatives.length));
      representatives.push(i);
      counts.push(0);
    }
    counts[r]++;
    group[i - from] = r;
  }
  // The most frequent combination becomes row 0.
  let base = 0;
  for (let r = 1; r < counts.length; r++) if (counts[r] > counts[base]) base = r;
  const order = [base, ...representatives.map((_, r) => r).filter((r) => r !== base)];
  const rowOf = new Int32Array(order.length);
  order.forEach((r, k) => (rowOf[r] = k));
  const R = order.length;
  const tensors: RequestFeeds['tensors'] = {};
  const arrays = inputArrays(layout, batch);
  for (const s of inputSpecs(layout)) {
    const src = arrays[s.name];
    const dst = s.type === 'int32' ? new Int32Array(R * s.width) : new Float32Array(R * s.width);
    order.forEach((r, k) => dst.set(src.subarray(representatives[r] * s.width, (representatives[r] + 1) * s.width), k * s.width));
    tensors[REQUEST_PREFIX + s.name] = { data: dst, dims: [R, s.width] };
  }
  const rows: number[] = [];
  const reqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = rowOf[group[i]];
    if (k !== 0) {
      rows.push(i);
      reqs.push(k);
    }
  }
  if (!rows.length) {
    // A correction of exactly zero (row 0 minus row 0), so that no input is empty.
    rows.push(representatives[base] - from);
    reqs.push(0);
  }
  tensors[OVERRIDE_ROWS] = { data: Int32Array.from(rows), dims: [rows.length] };
  tensors[OVERRIDE_REQUEST] = { data: Int32Array.from(reqs), dims: [reqs.length] };
  return { tensors, requests: R, overrides: rows.length };
}
