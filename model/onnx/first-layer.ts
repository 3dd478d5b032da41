// The export of the Dense layers that read one input: all of them as ONE MatMul (the weights
// side by side, one Add, one Split), and, when that input is a features row and the export is
// request-shared (request-inputs.ts), the product split by the row's columns:
//
//   x W = x_req W_req                          user / context embeddings, their dots, numerics
//       + x_cand W_cand                        candidate embeddings, their dots, numerics
//       + sum_{a req, j cand} (v_a . v_j) W_aj  the dots across the two
//
// The first term is the same for every candidate: it is computed once per request row. The
// third is linear in each candidate embedding v_j: with M_j = sum_a v_a W_aj^T (per request)
// it is v_j M_j, so it folds into the candidate product's weights (W_cand + M). "Shared" is
// per group of rows (request-inputs.ts): per candidate kind, everything but the kind's own
// fields (user, context, and the other kind's fields, constant on its rows); else the user and
// context. Every row of a group is scored with the group's base request row; the rows listed
// in its overrides then get the exact difference to their own request row added (both terms
// that depend on it) and are written back with ScatterND; kind groups are gathered, and their
// results put back in row order by one Gather. The weights are the same values as the per-row graph's
// (rows of the one fused matrix, int8 per-column scales untouched), so only float rounding
// differs.

import type { OnnxEmitter } from '../engine/onnx-emitter.ts';
import type { GraphNode } from '../engine/graph.ts';
import type { Dense } from '../engine/ops/dense.ts';
import { EmbedFields } from '../engine/ops/embed.ts';
import { DotInteraction } from '../engine/ops/interaction.ts';
import type { FeatureColumns } from './feature-columns.ts';
import { DataType } from './proto.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { FeatureSpec } from '../features/spec.ts';
import { groupInputNames, REQUEST_PREFIX, requestGroups, type GroupInputNames } from './request-inputs.ts';

/** One dense layer's weight [inDim, outDim] (row-major). */
export interface WeightPart {
  w: Float32Array;
  inDim: number;
  outDim: number;
  hint: string;
}

export interface LayerWriter extends OnnxEmitter {
  /**
   * The weights of `parts` side by side ([inDim, sum outDim]), as one float tensor per set of
   * rows: fp32 constants, or DequantizeLinear of int8 rows with each layer's own column scales
   * (so every value equals that layer's own export). The rows are cut here, in the file, so
   * the session has nothing to fold for them at start-up.
   */
  weightRows(parts: readonly WeightPart[], rowSets: readonly (readonly number[])[]): string[];
  /** This writer, reading other graph inputs. */
  withInputs(inputs: OnnxEmitter['inputs']): OnnxEmitter;
}

/** Emits `nodes` (a topologically ordered closed subgraph) with emitter e; returns the last one's output. */
function emitSubgraph(e: OnnxEmitter, nodes: readonly GraphNode[]): string {
  const names = new Map<GraphNode, string>();
  for (const n of nodes) names.set(n, n.op.onnx(e, n.inputs.map((i) => names.get(i)!)));
  return names.get(nodes[nodes.length - 1])!;
}

const range = (start: number, n: number) => Array.from({ length: n }, (_, k) => start + k);

/**
 * Emits the Dense nodes `dense` (all reading the tensor `x`) as one MatMul; with `cols` (the
 * column map of their input) the request-shared form. Returns each node's output, in order.
 */
export function emitDenseGroup(e: LayerWriter, layout: FeatureLayout, dense: readonly GraphNode[], x: string, cols: FeatureColumns | null): string[] {
  const ops = dense.map((n) => n.op as Dense);
  const widths = ops.map((op) => op.outDim);
  const O = widths.reduce((a, b) => a + b, 0);
  const parts = ops.map((op): WeightPart => ({ w: op.w.data, inDim: op.inDim, outDim: op.outDim, hint: op.w.name }));
  const biasData = new Float32Array(O);
  let off = 0;
  for (const op of ops) {
    biasData.set(op.b.data, off);
    off += op.outDim;
  }
  const bias = e.floatConst(`${ops[0].b.name}.fused`, biasData, [O]);
  const z = (cols && requestShared(e, layout, parts, bias, O, cols)) || e.node('Add', [e.node('MatMul', [x, e.weightRows(parts, [range(0, parts[0].inDim)])[0]]), bias]);
  const outs = ops.length === 1 ? [z] : e.nodeMulti('Split', [z, e.int64Const(widths)], ops.length, { axis: 1 });
  return outs.map((y, i) => (ops[i].act === 'relu' ? e.node('Relu', [y]) : y));
}

/** z = x W + bias of the features row `cols` in the request-shared form, or null when nothing is shared. */
function requestShared(e: LayerWriter, layout: FeatureLayout, parts: readonly WeightPart[], bias: string, O: number, cols: FeatureColumns): string | null {
  const groups = requestGroups(layout);
  const inputs = e.inputs;
  // Per request row: the whole features row of the R request rows (cheap: a few rows), of
  // which each group uses its shared columns.
  const reqInputs = { cat: REQUEST_PREFIX + inputs.cat, multi: inputs.multi.map((m) => REQUEST_PREFIX + m), num: REQUEST_PREFIX + inputs.num };
  // One group: the weight rows are cut in the file. Several: each group needs every row in
  // another arrangement, so the file holds the fused matrix once and the session cuts it.
  let whole: string | null = null;
  const rowsOf = (sets: number[][]): (string | null)[] => {
    if (groups.length === 1) {
      const cut = e.weightRows(parts, sets.filter((c) => c.length > 0));
      return sets.map((c) => (c.length ? cut.shift()! : null));
    }
    whole ??= e.weightRows(parts, [range(0, parts[0].inDim)])[0];
    return sets.map((c) => (c.length ? e.node('Gather', [whole!, e.int64Const(c)], { axis: 0 }) : null));
  };
  const split = groups.map((g) => groupColumns(cols, g.shares));
  if (split.every((g) => g.colsReq.length === 0)) return null;
  const xReq = emitSubgraph(e.withInputs(reqInputs), cols.nodes);
  const reqParts = sharedParts(e, rowsOf, xReq, split);
  if (groups.length === 1) return groupProduct(e, rowsOf, xReq, reqParts[0]!, bias, O, cols, split[0], inputs, groupInputNames(groups[0].name));
  // Rows of each kind gathered, scored by its group, and put back in order (every row is in
  // one group). The inputs get one extra row (a copy of row 0, index N), which the reordering
  // drops: the workers before 2026-12-04 gave it to a group without rows (request-inputs.ts
  // now gives such a group no rows); kept so that they still run every export.
  const first = (t: string) => e.node('Slice', [t, e.int64Const([0]), e.int64Const([1]), e.int64Const([0])]);
  const padded = (t: string) => e.node('Concat', [t, first(t)], { axis: 0 });
  const src = { cat: padded(inputs.cat), multi: inputs.multi.map(padded), num: padded(inputs.num) };
  const rowCount = (t: string) => first(e.node('Shape', [t]));
  const results: string[] = [];
  for (const [k, g] of groups.entries()) {
    const names = groupInputNames(g.name);
    const rows = (t: string) => e.node('Gather', [t, names.rows], { axis: 0 });
    const gi = { cat: rows(src.cat), multi: src.multi.map(rows), num: rows(src.num) };
    const reqPart = reqParts[k];
    results.push(
      reqPart
        ? groupProduct(e, rowsOf, xReq, reqPart, bias, O, cols, split[k], gi, names)
        : e.node('Add', [e.node('MatMul', [emitSubgraph(e.withInputs(gi), cols.nodes), rowsOf([range(0, parts[0].inDim)])[0]!]), bias]),
    );
  }
  // The groups' results side by side hold row rows_<kind>[j] at position j (plus the groups'
  // offsets); `at` inverts that (at[row] = its position; the padding row N is cut off), and one
  // Gather puts every row back: one copy of the [N, O] result rather than one per group.
  const order = e.node('Concat', groups.map((g) => groupInputNames(g.name).rows), { axis: 0 });
  const scalar = (t: string) => e.node('Squeeze', [t, e.int64Const([0])]);
  const positions = e.node('Range', [scalar(e.int64Const([0])), scalar(e.node('Shape', [order])), scalar(e.int64Const([1]))]);
  const at = e.node('ScatterElements', [e.node('Expand', [e.int64Const([0]), rowCount(src.cat)]), order, positions], { axis: 0 });
  const atReal = e.node('Slice', [at, e.int64Const([0]), rowCount(inputs.cat), e.int64Const([0])]);
  return e.node('Gather', [e.node('Concat', results, { axis: 0 }), atReal], { axis: 0 });
}

/** How one group's fields split a features row's columns (`shares`: the group's shared fields). */
interface GroupColumns {
  req: number[];
  cand: number[];
  numCand: FeatureColumns['numerics'];
  /** Columns of the shared part: shared embeddings, their dots, shared numerics. */
  colsReq: number[];
  /** The row's own dots and numerics (its embeddings are embOf(cand)). */
  colsCandRest: number[];
  /** Dots of a shared field with a row's own, candidate-major ([Fc, Fr]). */
  colsCross: number[];
}

function groupColumns(cols: FeatureColumns, shares: (spec: FeatureSpec) => boolean): GroupColumns {
  const { fields, pairColumn } = cols;
  const req = fields.map((f, i) => (shares(f.spec) ? i : -1)).filter((i) => i >= 0);
  const cand = fields.map((f, i) => (shares(f.spec) ? -1 : i)).filter((i) => i >= 0);
  const numReq = cols.numerics.filter((n) => shares(n.spec));
  const numCand = cols.numerics.filter((n) => !numReq.includes(n));
  const pairs = (as: number[], bs: number[], upper: boolean) => {
    const out: number[] = [];
    if (!pairColumn) return out;
    for (const a of as) for (const b of bs) if (!upper || b > a) out.push(pairColumn(Math.min(a, b), Math.max(a, b)));
    return out;
  };
  return {
    req,
    cand,
    numCand,
    colsReq: [...embOf(cols, req), ...pairs(req, req, true), ...numReq.map((n) => n.column)],
    colsCandRest: [...pairs(cand, cand, true), ...numCand.map((n) => n.column)],
    // Candidate-major, so M comes out of one broadcast MatMul in the order the candidate's
    // weight rows need, with no transpose of the [Fc, d, O] product.
    colsCross: cand.flatMap((b) => pairs(req, [b], false)),
  };
}

/** The embedding columns of fields `fs`. */
const embOf = (cols: FeatureColumns, fs: number[]) => fs.flatMap((f) => range(cols.fields[f].start, cols.dim));

/**
 * Each group's shared part x_req W_req of the request rows, [R, O]. With R = 1 these products
 * are matrix-vector ones, bound by reading the weights; groups share most of their columns
 * (user and context), so each column's weight rows are read once: one product per set of
 * groups sharing a column, and each group sums the products of the sets it is in.
 */
function sharedParts(e: LayerWriter, rowsOf: (sets: number[][]) => (string | null)[], xReq: string, split: readonly GroupColumns[]): (string | null)[] {
  const shared = split.map((g) => new Set(g.colsReq));
  // Columns by the groups sharing them ("0,2": groups 0 and 2), in column order.
  const byGroups = new Map<string, { groups: number[]; cols: number[] }>();
  for (const c of [...new Set(split.flatMap((g) => g.colsReq))].sort((a, b) => a - b)) {
    const groups = shared.flatMap((set, g) => (set.has(c) ? [g] : []));
    const key = groups.join(',');
    if (!byGroups.has(key)) byGroups.set(key, { groups, cols: [] });
    byGroups.get(key)!.cols.push(c);
  }
  const sets = [...byGroups.values()];
  const weights = rowsOf(sets.map((s) => s.cols));
  const products = sets.map((s, k) => e.node('MatMul', [e.node('Gather', [xReq, e.int64Const(s.cols)], { axis: 1 }), weights[k]!]));
  return split.map((_, g) => {
    const mine = products.filter((_, k) => sets[k].groups.includes(g));
    return mine.length ? mine.reduce((acc, p) => e.node('Add', [acc, p])) : null;
  });
}

/**
 * z = x W + bias for the rows of one group (inputs `gi`), whose fields split into shared ones
 * (`split`: the same for every row of the group unless a row is listed in the overrides) and
 * the rows' own; `reqPart` is its shared part of the request rows (sharedParts).
 */
function groupProduct(
  e: LayerWriter,
  rowsOf: (sets: number[][]) => (string | null)[],
  xReq: string,
  reqPart: string,
  bias: string,
  O: number,
  cols: FeatureColumns,
  split: GroupColumns,
  gi: OnnxEmitter['inputs'],
  names: GroupInputNames,
): string {
  const { dim: d, fields, pairColumn } = cols;
  const { req, cand, numCand, colsCandRest, colsCross } = split;
  const [wCandEmb, wCandRest, wCross] = rowsOf([embOf(cols, cand), colsCandRest, colsCross]);
  const columns = (t: string, c: number[]) => e.node('Gather', [t, e.int64Const(c)], { axis: 1 });
  const base = names.base;

  const reqPart0 = e.node('Gather', [reqPart, base], { axis: 0 }); // [1, O]
  const vReq = req.length ? columns(xReq, embOf(cols, req)) : null; // [R, Fr * d]

  // Per row: its own embeddings (the embedding ops of the graph, on its columns only), their
  // dots and its numerics.
  const vParts: string[] = [];
  const catCols = cand.filter((f) => fields[f].catColumn >= 0).map((f) => fields[f].catColumn);
  const ge = e.withInputs(gi);
  if (catCols.length) vParts.push(new EmbedFields(cols.table, catCols.length).onnx(e.withInputs({ ...gi, cat: columns(gi.cat, catCols) })));
  for (const f of cand) if (fields[f].multi >= 0) vParts.push(fields[f].source.op.onnx(ge, []));
  const vCand = vParts.length === 0 ? null : vParts.length === 1 ? vParts[0] : e.node('Concat', vParts, { axis: 1 }); // [n, Fc * d]
  const xParts = vCand ? [vCand] : [];
  if (vCand && pairColumn && cand.length > 1) xParts.push(new DotInteraction(cand.length, d).onnx(e, [vCand]));
  if (numCand.length) xParts.push(columns(gi.num, numCand.map((n) => cols.numerics.indexOf(n))));

  const Fr = req.length;
  const Fc = cand.length;
  const cross = vReq && vCand && colsCross.length > 0;
  let zBase: string;
  const shared0 = e.node('Add', [reqPart0, bias]);
  if (!xParts.length) {
    // Nothing of its own: every row of the group is the shared part.
    const n = e.node('Slice', [e.node('Shape', [gi.cat]), e.int64Const([0]), e.int64Const([1])]);
    zBase = e.node('Expand', [shared0, e.node('Concat', [n, e.int64Const([O])], { axis: 0 })]);
  } else {
    const xCand = xParts.length === 1 ? xParts[0] : e.node('Concat', xParts, { axis: 1 });
    let wEmb = wCandEmb;
    if (cross) {
      // M_j = v_0^T W_(., j) for every candidate field j at once: [d, Fr] x [Fc, Fr, O] ->
      // [Fc, d, O], i.e. [Fc * d, O]: the row embeddings' extra weights.
      const wCrossByCand = e.node('Reshape', [wCross!, e.int64Const([Fc, Fr, O])]);
      const v0 = e.node('Reshape', [e.node('Gather', [vReq, base], { axis: 0 }), e.int64Const([Fr, d])]);
      const m = e.node('MatMul', [e.node('Transpose', [v0], { perm: [1, 0] }), wCrossByCand]);
      wEmb = e.node('Add', [wEmb!, e.node('Reshape', [m, e.int64Const([Fc * d, O])])]);
    }
    const wParts = [wEmb, wCandRest].filter((w): w is string => w !== null);
    const wCand = wParts.length === 1 ? wParts[0] : e.node('Concat', wParts, { axis: 0 });
    zBase = e.node('Add', [e.node('MatMul', [xCand, wCand]), shared0]);
  }

  // The listed rows: add the difference between their request row and the base row.
  let upd = e.node('Add', [
    e.node('Gather', [zBase, names.ovrRows], { axis: 0 }),
    e.node('Sub', [e.node('Gather', [reqPart, names.ovrReq], { axis: 0 }), reqPart0]),
  ]);
  if (cross) {
    const delta = e.node('Sub', [e.node('Gather', [vReq, names.ovrReq], { axis: 0 }), e.node('Gather', [vReq, base], { axis: 0 })]);
    const dvT = e.node('Transpose', [e.node('Reshape', [delta, e.int64Const([-1, Fr, d])])], { perm: [0, 2, 1] });
    const vc = e.node('Reshape', [e.node('Gather', [vCand!, names.ovrRows], { axis: 0 }), e.int64Const([-1, Fc, d])]);
    const dots = e.node('Reshape', [e.node('MatMul', [vc, dvT]), e.int64Const([-1, Fc * Fr])]); // candidate-major, as wCross
    upd = e.node('Add', [upd, e.node('MatMul', [dots, wCross!])]);
  }
  const at = e.node('Unsqueeze', [e.node('Cast', [names.ovrRows], { to: DataType.INT64 }), e.int64Const([1])]);
  return e.node('ScatterND', [zBase, at, upd]);
}
