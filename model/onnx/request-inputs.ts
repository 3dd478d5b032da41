// Request-level inputs of a request-shared export (writer.ts, sharing 'request'). All
// candidates of a /v1/score request share one user and one context, and every item row has
// the same (missing) coupon features and vice versa, so the part of the first layers that
// depends only on those fields is computed once per request and candidate kind
// (first-layer.ts). The rows fall into groups: one per candidate kind when the layout has the
// `candidate_kind` feature (a row's group: its encoded kind; an item row shares everything
// but its item-entity fields), else one group 'all' sharing the user and context fields.
// The model takes, next to the per-candidate inputs of inputs.ts:
//
//   req_cat            int32   [R, layout.catWidth]   R request rows: full encoded rows, of
//   req_multi_<field>  int32   [R, field.maxLen]      which each group reads its shared
//   req_num            float32 [R, numeric.length]    columns
//   rows_<kind>        int32   [N_kind]               the rows of the group (kind groups only)
//   base_<g>           int32   [1]                    the request row most of the group's rows
//                                                     see, holding the group's constant values
//   ovr_rows_<g>       int32   [K_g]                  positions (within the group) of rows whose
//                                                     shared values differ from the base (a
//                                                     candidate overriding a context feature) ...
//   ovr_req_<g>        int32   [K_g]                  ... and the request row each of them sees.
//
// (Group 'all' names them base_all, ovr_rows, ovr_req.) The graph scores every row of a group
// with its base row and then recomputes the shared part of the K listed rows exactly, from
// their own request row. Lists may be empty (onnxruntime runs the group's nodes on empty
// tensors, which costs less than a row of work: an items-only request of 100 candidates runs
// 10% faster than with a padding row per empty group and a zero correction per group, the
// inputs of exports until 2026-12-04). A group without rows has base row 0 (never read); the
// graph still pads its inputs with a copy of row 0 (index N), so a worker that sends those
// older inputs still scores every model exactly, and this one scores older ones. Since
// 2026-12-04 the export folds the fields that are the same on all of a kind group's rows
// (isConstantOn) into constants: a group's base must hold their values (constantRow). On a
// request's rows it always does (a candidate carries only its own kind's features), so the
// base is the same row as before and older workers score these exports exactly; rows that do
// not (training rows with other kinds' fields set) get a base row of their own and are all
// corrected. requestFeedsOf builds
// all of this from an ordinary EncodedBatch, so any batch (a request, training rows where
// every row has its own user) gives the per-row graph's probabilities. No node: imports (the
// worker runs this).

import { allocBatch, encodeRows, type EncodedBatch } from '../features/encode.ts';
import { embeddingRow, type FeatureLayout } from '../features/layout.ts';
import { DEFAULT_KINDS } from '../features/kinds.ts';
import { CANDIDATE_KIND_FEATURE, type CandidateKind, type FeatureSpec } from '../features/spec.ts';
import { CAT_INPUT, inputSpecs, multiInputName, NUM_INPUT, type TensorSpec } from './inputs.ts';

export const REQUEST_PREFIX = 'req_';
/**
 * The kinds that get a group: item and coupon always (the inputs of every export made before
 * other kinds existed), then every other candidate entity of the features (ads, ...). A row
 * of a kind with no group still scores exactly (see requestFeedsOf).
 */
function groupKinds(layout: FeatureLayout): CandidateKind[] {
  const kinds: CandidateKind[] = DEFAULT_KINDS.map((k) => k.name);
  for (const s of layout.specs) if (s.entity !== 'user' && s.entity !== 'context' && !kinds.includes(s.entity)) kinds.push(s.entity);
  return kinds;
}

/**
 * A feature every candidate of a request shares unless it overrides it: user and context
 * features. `candidate_kind` is a context feature but differs between items and coupons.
 */
export function isPerRequest(spec: FeatureSpec): boolean {
  return (spec.entity === 'user' || spec.entity === 'context') && spec.name !== CANDIDATE_KIND_FEATURE.name;
}

/** A group of rows sharing the fields `shares` accepts (see the header). */
export interface RequestGroup {
  name: string;
  shares: (spec: FeatureSpec) => boolean;
  /** The encoded `candidate_kind` of its rows (kind groups), or null (group 'all'). */
  kindRow: number | null;
}

/**
 * A field the group shares that is the same on every row of the group, whatever the request:
 * the other kinds' fields (absent on its rows: a candidate carries only its own kind's
 * features) and `candidate_kind` (the group's kind). The export folds their part of the first
 * layers into constants (first-layer.ts), computed from constantRow.
 */
export function isConstantOn(group: RequestGroup, spec: FeatureSpec): boolean {
  return group.shares(spec) && !isPerRequest(spec);
}

/**
 * The encoded row whose constant fields (isConstantOn) the export folds: every feature absent
 * but `candidate_kind`, the group's kind. A group's base request row always holds these values
 * (requestFeedsOf), so the folded constants are exact.
 */
export function constantRow(layout: FeatureLayout, group: RequestGroup): EncodedBatch {
  const row = encodeRows(layout, [group.kindRow === null ? {} : { [CANDIDATE_KIND_FEATURE.name]: group.name }]);
  const kind = layout.categorical.findIndex((s) => s.name === CANDIDATE_KIND_FEATURE.name);
  if (group.kindRow !== null && row.cat[kind] !== group.kindRow) throw new Error(`constant row of group ${group.name}: candidate_kind encodes to ${row.cat[kind]}, not ${group.kindRow}`);
  return row;
}

export function requestGroups(layout: FeatureLayout): RequestGroup[] {
  const kind = layout.categorical.find((s) => s.name === CANDIDATE_KIND_FEATURE.name);
  if (!kind) return [{ name: 'all', shares: isPerRequest, kindRow: null }];
  return groupKinds(layout).map((k) => ({ name: k, shares: (s: FeatureSpec) => s.entity !== k, kindRow: embeddingRow(layout, kind.name, k, kind.buckets) }));
}

export interface GroupInputNames {
  rows: string;
  base: string;
  ovrRows: string;
  ovrReq: string;
}

export function groupInputNames(group: string): GroupInputNames {
  if (group === 'all') return { rows: 'rows_all', base: 'base_all', ovrRows: 'ovr_rows', ovrReq: 'ovr_req' };
  return { rows: `rows_${group}`, base: `base_${group}`, ovrRows: `ovr_rows_${group}`, ovrReq: `ovr_req_${group}` };
}

/** Shared columns of each input for a group: `cat` columns, multi-valued field indices, `num` columns. */
export interface RequestColumns {
  cat: number[];
  multi: number[];
  num: number[];
}

export function requestColumns(layout: FeatureLayout, shares: (spec: FeatureSpec) => boolean = isPerRequest): RequestColumns {
  const cat: number[] = [];
  layout.categorical.forEach((s, c) => shares(s) && cat.push(c));
  layout.numericBins.forEach((b) => b && shares(b.spec) && cat.push(b.column));
  const multi: number[] = [];
  layout.multi.forEach((s, m) => shares(s) && multi.push(m));
  const num: number[] = [];
  layout.numeric.forEach((s, d) => shares(s) && num.push(d));
  return { cat: cat.sort((a, b) => a - b), multi, num };
}

/** The extra inputs of a request-shared model (after inputSpecs); R, N_kind and K are their first axes. */
export function requestInputSpecs(layout: FeatureLayout): (TensorSpec & { rank: 1 | 2 })[] {
  const groups = requestGroups(layout);
  const one = (name: string): TensorSpec & { rank: 1 } => ({ name, type: 'int32', width: 1, rank: 1 });
  return [
    ...inputSpecs(layout).map((s) => ({ ...s, name: REQUEST_PREFIX + s.name, rank: 2 as const })),
    ...groups.flatMap((g) => {
      const n = groupInputNames(g.name);
      return [...(groups.length > 1 ? [one(n.rows)] : []), one(n.base), one(n.ovrRows), one(n.ovrReq)];
    }),
  ];
}

/** Does a session with these input names take request-level inputs? */
export function takesRequestInputs(inputNames: readonly string[]): boolean {
  return inputNames.includes(REQUEST_PREFIX + CAT_INPUT);
}

export interface RequestFeeds {
  /** Input name -> data and dims, for every name of requestInputSpecs. */
  tensors: Record<string, { data: Int32Array | Float32Array; dims: number[] }>;
  /** Request rows (R) and corrected rows over all groups (0 without overrides). */
  requests: number;
  overrides: number;
}

/** The batch's inputs by name (the flat arrays of inputs.ts). */
function inputArrays(layout: FeatureLayout, batch: EncodedBatch): Record<string, Int32Array | Float32Array> {
  const out: Record<string, Int32Array | Float32Array> = { [CAT_INPUT]: batch.cat, [NUM_INPUT]: batch.num };
  layout.multi.forEach((m, j) => (out[multiInputName(m.name)] = batch.multi[j]));
  return out;
}

/**
 * The request-level inputs for rows [from, to) of a batch: each row's group, the distinct
 * combinations of each group's shared values (compared on the encoded columns, so two raw
 * values that encode alike are one request row), the most frequent as the group's base, and
 * every row that sees another one.
 */
export function requestFeedsOf(layout: FeatureLayout, batch: EncodedBatch, from = 0, to = batch.n): RequestFeeds {
  const n = to - from;
  if (n <= 0) throw new Error('request inputs of an empty batch');
  const C = layout.catWidth;
  const { groups, perGroup, kindColumn } = planOf(layout);
  // Rows (relative) of each group; a row of no known kind goes to the first group (its shared
  // values then differ from the base, so it is corrected exactly).
  const members: number[][] = groups.map(() => []);
  for (let i = 0; i < n; i++) {
    let g = 0;
    if (groups.length > 1) {
      const k = batch.cat[(from + i) * C + kindColumn];
      for (let j = 0; j < groups.length; j++) {
        if (groups[j].kindRow === k) {
          g = j;
          break;
        }
      }
    }
    members[g].push(i);
  }
  // Request row -> the batch row (relative) it copies, or a row of its own (a base built with
  // the group's constant values, see below). Plain loops and module-level helpers: a bundle
  // built with keep_names (wrangler's default) wraps every closure made per call.
  const rq: RequestRows = { representatives: [], byRow: new Map() };
  const tensors: RequestFeeds['tensors'] = {};
  let overrides = 0;
  for (let gi = 0; gi < perGroup.length; gi++) {
    const { cols, constCols, constant, names } = perGroup[gi];
    const rows = members[gi];
    if (!rows.length) {
      // A group without rows: empty lists, and as its (unread) base the request row of batch
      // row 0, added only if no group took it yet.
      if (groups.length > 1) tensors[names.rows] = { data: new Int32Array(0), dims: [0] };
      tensors[names.base] = { data: Int32Array.of(requestRowOf(rq, 0)), dims: [1] };
      tensors[names.ovrRows] = { data: new Int32Array(0), dims: [0] };
      tensors[names.ovrReq] = { data: new Int32Array(0), dims: [0] };
      continue;
    }
    // Combinations: first row of each, and how many rows see it.
    const firsts: number[] = [rows[0]];
    const counts: number[] = [1];
    const combo = new Int32Array(rows.length);
    let byKey: Map<string, number> | null = null;
    for (let p = 1; p < rows.length; p++) {
      if (sameShared(layout, cols, batch, from + rows[p], batch, from + rows[0])) {
        counts[0]++;
        continue;
      }
      byKey ??= new Map([[sharedKey(layout, batch, cols, from + rows[0]), 0]]);
      const key = sharedKey(layout, batch, cols, from + rows[p]);
      let c = byKey.get(key);
      if (c === undefined) {
        byKey.set(key, (c = firsts.length));
        firsts.push(rows[p]);
        counts.push(0);
      }
      counts[c]++;
      combo[p] = c;
    }
    // The base: the most frequent combination that holds the group's constant values (on a
    // request's rows, the absent other kinds' fields: always the most frequent one); when no
    // row holds them (rows of another source), a request row of its own, the most frequent
    // combination with the constant values put in, and every row of the group is corrected.
    let base = -1;
    let top = 0;
    for (let c = 0; c < counts.length; c++) {
      if (counts[c] > counts[top]) top = c;
      if ((!constant || sameShared(layout, constCols, batch, from + firsts[c], constant, 0)) && (base < 0 || counts[c] > counts[base])) base = c;
    }
    // A request row is a whole encoded row: groups that pick the same batch row share it.
    const requestRow = new Int32Array(firsts.length);
    for (let c = 0; c < firsts.length; c++) requestRow[c] = requestRowOf(rq, firsts[c]);
    const baseRequest = base >= 0 ? requestRow[base] : rq.representatives.push(withConstants(layout, batch, from + firsts[top], constant!, constCols)) - 1;
    let k = 0;
    for (let p = 0; p < rows.length; p++) if (combo[p] !== base) k++;
    const ovrRows = new Int32Array(k);
    const ovrReq = new Int32Array(k);
    k = 0;
    for (let p = 0; p < rows.length; p++) {
      if (combo[p] !== base) {
        ovrRows[k] = p;
        ovrReq[k++] = requestRow[combo[p]];
      }
    }
    overrides += k;
    if (groups.length > 1) tensors[names.rows] = { data: Int32Array.from(rows), dims: [rows.length] };
    tensors[names.base] = { data: Int32Array.of(baseRequest), dims: [1] };
    tensors[names.ovrRows] = { data: ovrRows, dims: [k] };
    tensors[names.ovrReq] = { data: ovrReq, dims: [k] };
  }
  const R = rq.representatives.length;
  const arrays = inputArrays(layout, batch);
  const out: RequestFeeds['tensors'] = {};
  for (const s of inputSpecs(layout)) {
    const src = arrays[s.name];
    const dst = s.type === 'int32' ? new Int32Array(R * s.width) : new Float32Array(R * s.width);
    for (let r = 0; r < R; r++) {
      const rep = rq.representatives[r];
      const [rowSrc, at] = typeof rep === 'number' ? [src, from + rep] : [inputArrays(layout, rep)[s.name], 0];
      dst.set(rowSrc.subarray(at * s.width, (at + 1) * s.width), r * s.width);
    }
    out[REQUEST_PREFIX + s.name] = { data: dst, dims: [R, s.width] };
  }
  for (const name in tensors) out[name] = tensors[name];
  return { tensors: out, requests: R, overrides };
}

/** The request rows of one call: each a batch row (relative) or a row of its own. */
interface RequestRows {
  representatives: (number | EncodedBatch)[];
  byRow: Map<number, number>;
}

/** The request row copying batch row `row` (relative), added on first use. */
function requestRowOf(rq: RequestRows, row: number): number {
  let k = rq.byRow.get(row);
  if (k === undefined) rq.byRow.set(row, (k = rq.representatives.push(row) - 1));
  return k;
}

/** Do row i of batch a and row j of batch b hold the same values in the columns `cols`? */
function sameShared(layout: FeatureLayout, cols: RequestColumns, a: EncodedBatch, i: number, b: EncodedBatch, j: number): boolean {
  const C = layout.catWidth;
  const D = layout.numeric.length;
  for (const c of cols.cat) if (a.cat[i * C + c] !== b.cat[j * C + c]) return false;
  for (const d of cols.num) if (!Object.is(a.num[i * D + d], b.num[j * D + d])) return false;
  for (const m of cols.multi) {
    const L = layout.multi[m].maxLen;
    const x = a.multi[m];
    const y = b.multi[m];
    for (let s = 0; s < L; s++) if (x[i * L + s] !== y[j * L + s]) return false;
  }
  return true;
}

/** Batch row i's values in the shared columns `cols`, as a key. */
function sharedKey(layout: FeatureLayout, batch: EncodedBatch, cols: RequestColumns, i: number): string {
  const C = layout.catWidth;
  const D = layout.numeric.length;
  const parts: number[] = [];
  for (const c of cols.cat) parts.push(batch.cat[i * C + c]);
  for (const d of cols.num) parts.push(batch.num[i * D + d]);
  for (const m of cols.multi) {
    const L = layout.multi[m].maxLen;
    for (let s = 0; s < L; s++) parts.push(batch.multi[m][i * L + s]);
  }
  return parts.join(',');
}

/** What requestFeedsOf derives from the layout alone, per group. */
interface LayoutPlan {
  groups: RequestGroup[];
  /** per group: its shared columns, its constant columns and row, its input names */
  perGroup: { cols: RequestColumns; constCols: RequestColumns; constant: EncodedBatch | null; names: GroupInputNames }[];
  kindColumn: number;
}

// Once per layout (a worker scores every request with its model's one layout): deriving the
// groups, their columns and constant rows took ~0.02 ms of each request (the request inputs
// of 100 candidates, timed alone in Node: 0.060 -> 0.038 ms). Nothing here is written after
// it is built.
const layoutPlans = new WeakMap<FeatureLayout, LayoutPlan>();

function planOf(layout: FeatureLayout): LayoutPlan {
  let plan = layoutPlans.get(layout);
  if (!plan) {
    const groups = requestGroups(layout);
    const perGroup = groups.map((g) => {
      const constCols = requestColumns(layout, (s) => isConstantOn(g, s));
      const constant = constCols.cat.length + constCols.multi.length + constCols.num.length > 0 ? constantRow(layout, g) : null;
      return { cols: requestColumns(layout, g.shares), constCols, constant, names: groupInputNames(g.name) };
    });
    plan = { groups, perGroup, kindColumn: layout.categorical.findIndex((s) => s.name === CANDIDATE_KIND_FEATURE.name) };
    layoutPlans.set(layout, plan);
  }
  return plan;
}

/** Batch row i as a row of its own, with the constant row's values in the columns `cols`. */
function withConstants(layout: FeatureLayout, batch: EncodedBatch, i: number, constant: EncodedBatch, cols: RequestColumns): EncodedBatch {
  const C = layout.catWidth;
  const D = layout.numeric.length;
  const row = allocBatch(layout, 1);
  row.cat.set(batch.cat.subarray(i * C, (i + 1) * C));
  row.num.set(batch.num.subarray(i * D, (i + 1) * D));
  layout.multi.forEach((m, j) => row.multi[j].set(batch.multi[j].subarray(i * m.maxLen, (i + 1) * m.maxLen)));
  for (const c of cols.cat) row.cat[c] = constant.cat[c];
  for (const d of cols.num) row.num[d] = constant.num[d];
  for (const m of cols.multi) row.multi[m].set(constant.multi[m]);
  return row;
}
