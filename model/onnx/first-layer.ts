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
// fields (user, context, and the other kinds' fields, absent on its rows); else the user and
// context. Of a kind group's shared fields, the other kinds' fields and `candidate_kind` are
// the same on every row of the group, whatever the request (isConstantOn): every term made of
// them alone, or of one of them and a user or context field through their dot, has weights
// computed here from the group's constant row (constantRow), which the session folds into
// constants, so a request multiplies only its user and context fields (in the default model 9
// of a group's 20 shared fields). Every row of a group is scored with the group's base request
// row, which holds the constant row's values; the rows listed in its overrides then get the
// exact difference to their own request row added (every shared column, once per distinct
// request row, and the dots with their own fields) and are written back with ScatterND; kind
// groups are gathered, and their results put back in row order by one Gather. The weights are
// the same values as the per-row graph's (rows of the one fused matrix, int8 per-column scales
// untouched), so only float rounding differs.

import type { OnnxEmitter } from '../engine/onnx-emitter.ts';
import type { GraphNode } from '../engine/graph.ts';
import type { Dense } from '../engine/ops/dense.ts';
import { EmbedFields } from '../engine/ops/embed.ts';
import { DotInteraction } from '../engine/ops/interaction.ts';
import type { FeatureColumns } from './feature-columns.ts';
import { DataType } from './proto.ts';
import type { EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { FeatureSpec } from '../features/spec.ts';
import { constantRow, groupInputNames, isConstantOn, REQUEST_PREFIX, requestGroups, type GroupInputNames } from './request-inputs.ts';

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
  const wholeWeights = groups.length === 1 ? null : () => (whole ??= e.weightRows(parts, [range(0, parts[0].inDim)])[0]);
  const rowsOf = (sets: number[][]): (string | null)[] => {
    if (!wholeWeights) {
      const cut = e.weightRows(parts, sets.filter((c) => c.length > 0));
      return sets.map((c) => (c.length ? cut.shift()! : null));
    }
    return sets.map((c) => (c.length ? e.node('Gather', [wholeWeights(), e.int64Const(c)], { axis: 0 }) : null));
  };
  const split = groups.map((g) => groupColumns(cols, g.shares, (s) => isConstantOn(g, s)));
  if (split.every((g) => g.colsReq.length === 0)) return null;
  const xReq = emitSubgraph(e.withInputs(reqInputs), cols.nodes);
  // The features row of each group's constant row (constants: the session folds them).
  const xConst = groups.map((g, k) => (split[k].consts.length ? emitSubgraph(e.withInputs(constantInputs(e, layout, constantRow(layout, g))), cols.nodes) : null));
  const product = (k: number, gi: OnnxEmitter['inputs']) =>
    groupProduct(e, rowsOf, wholeWeights, xReq, xConst[k], bias, O, cols, split[k], gi, groupInputNames(groups[k].name));
  if (groups.length === 1) return product(0, inputs);
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
    results.push(
      split[k].colsReq.length
        ? product(k, gi)
        : e.node('Add', [e.node('MatMul', [emitSubgraph(e.withInputs(gi), cols.nodes), wholeWeights!()]), bias]),
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

/**
 * How one group's fields split a features row's columns (`shares`: the group's shared fields,
 * of which `constant` ones are the same on all its rows, the others vary per request).
 */
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
  /** The shared fields that vary per request, and those constant on the group's rows. */
  vars: number[];
  consts: number[];
  /** The shared part's columns of the varying fields alone: their embeddings, dots, numerics. */
  colsVar: number[];
  /** ... of the constant fields alone. */
  colsConst: number[];
  /** Dots of a constant field with a varying one, varying-major ([Fv, Fk]). */
  colsVarConst: number[];
  /** Dots of a varying / constant shared field with a row's own, candidate-major ([Fc, Fv] / [Fc, Fk]). */
  colsCrossVar: number[];
  colsCrossConst: number[];
  /** colsReq without colsVar: what a row with its own request row adds to the varying part. */
  colsConstRel: number[];
}

function groupColumns(cols: FeatureColumns, shares: (spec: FeatureSpec) => boolean, constant: (spec: FeatureSpec) => boolean): GroupColumns {
  const { fields, pairColumn } = cols;
  const req = fields.map((f, i) => (shares(f.spec) ? i : -1)).filter((i) => i >= 0);
  const cand = fields.map((f, i) => (shares(f.spec) ? -1 : i)).filter((i) => i >= 0);
  const numReq = cols.numerics.filter((n) => shares(n.spec));
  const numCand = cols.numerics.filter((n) => !numReq.includes(n));
  const vars = req.filter((f) => !constant(fields[f].spec));
  const consts = req.filter((f) => constant(fields[f].spec));
  const numVar = numReq.filter((n) => !constant(n.spec));
  const numConst = numReq.filter((n) => constant(n.spec));
  const pairs = (as: number[], bs: number[], upper: boolean) => {
    const out: number[] = [];
    if (!pairColumn) return out;
    for (const a of as) for (const b of bs) if (!upper || b > a) out.push(pairColumn(Math.min(a, b), Math.max(a, b)));
    return out;
  };
  const colsReq = [...embOf(cols, req), ...pairs(req, req, true), ...numReq.map((n) => n.column)];
  const colsVar = [...embOf(cols, vars), ...pairs(vars, vars, true), ...numVar.map((n) => n.column)];
  return {
    req,
    cand,
    numCand,
    colsReq,
    colsCandRest: [...pairs(cand, cand, true), ...numCand.map((n) => n.column)],
    // Candidate-major, so M comes out of one broadcast MatMul in the order the candidate's
    // weight rows need, with no transpose of the [Fc, d, O] product.
    colsCross: cand.flatMap((b) => pairs(req, [b], false)),
    vars,
    consts,
    colsVar,
    colsConst: [...embOf(cols, consts), ...pairs(consts, consts, true), ...numConst.map((n) => n.column)],
    colsVarConst: vars.flatMap((a) => pairs(consts, [a], false)),
    colsCrossVar: cand.flatMap((b) => pairs(vars, [b], false)),
    colsCrossConst: cand.flatMap((b) => pairs(consts, [b], false)),
    colsConstRel: colsReq.filter((c) => !colsVar.includes(c)),
  };
}

/** A constant row (constantRow) as the inputs of a features row: [1, width] constants. */
function constantInputs(e: LayerWriter, layout: FeatureLayout, row: EncodedBatch): OnnxEmitter['inputs'] {
  const ints = (data: Int32Array) => e.node('Reshape', [e.int32Const([...data]), e.int64Const([1, data.length])]);
  return { cat: ints(row.cat), multi: row.multi.map(ints), num: e.floatConst('constant_row.num', row.num, [1, row.num.length]) };
}

/**
 * sum_a v_a W_(a, j) for every field j at once: v [1, Fa * d] (fields a), w the dot columns'
 * weight rows j-major ([Fj * Fa, O]) -> [Fj * d, O], the extra weights of the j embeddings.
 * As one broadcast MatMul: [d, Fa] x [Fj, Fa, O] -> [Fj, d, O].
 */
function dotWeights(e: LayerWriter, v: string, w: string, Fj: number, Fa: number, d: number, O: number): string {
  const byJ = e.node('Reshape', [w, e.int64Const([Fj, Fa, O])]);
  const vT = e.node('Transpose', [e.node('Reshape', [v, e.int64Const([Fa, d])])], { perm: [1, 0] });
  return e.node('Reshape', [e.node('MatMul', [vT, byJ]), e.int64Const([Fj * d, O])]);
}

/** The embedding columns of fields `fs`. */
const embOf = (cols: FeatureColumns, fs: number[]) => fs.flatMap((f) => range(cols.fields[f].start, cols.dim));

/**
 * z = x W + bias for the rows of one group (inputs `gi`), whose fields split into shared ones
 * (`split`: the same for every row of the group unless a row is listed in the overrides) and
 * the rows' own. The shared fields split again into those that vary per request (user,
 * context) and those constant on the group's rows (isConstantOn): every term of the base row's
 * shared part and of M that involves only constant fields, or is linear in a varying field
 * through a dot with a constant one, has constant weights, which the session folds: only the
 * varying fields are multiplied per request. That holds because the base request row holds the
 * constant row's values (requestFeedsOf); the listed rows, whose request rows may not, are
 * corrected with every shared column.
 */
function groupProduct(
  e: LayerWriter,
  rowsOf: (sets: number[][]) => (string | null)[],
  wholeWeights: (() => string) | null,
  xReq: string,
  xConst: string | null,
  bias: string,
  O: number,
  cols: FeatureColumns,
  split: GroupColumns,
  gi: OnnxEmitter['inputs'],
  names: GroupInputNames,
): string {
  const { dim: d, fields, pairColumn } = cols;
  const { req, cand, numCand, colsCandRest, colsCross, vars, consts } = split;
  const varEmb = embOf(cols, vars);
  const varRest = split.colsVar.slice(varEmb.length); // colsVar: the embeddings first
  const [wCandEmb, wCandRest, wCross, wConst, wVarConst, wCrossVar, wCrossConst, wVarEmb, wVarRest, wReqAll] = rowsOf([
    embOf(cols, cand),
    colsCandRest,
    colsCross,
    split.colsConst,
    split.colsVarConst,
    split.colsCrossVar,
    split.colsCrossConst,
    varEmb,
    varRest,
    consts.length && !wholeWeights ? split.colsReq : [], // without constant fields, colsReq = colsVar
  ]);
  const columns = (t: string, c: number[]) => e.node('Gather', [t, e.int64Const(c)], { axis: 1 });
  const base = names.base;
  const xBase = e.node('Gather', [xReq, base], { axis: 0 }); // [1, width]
  const vConst = xConst && consts.length ? columns(xConst, embOf(cols, consts)) : null; // [1, Fk * d], constant

  // The base row's shared part [1, O]: the varying fields' product, whose embeddings' weights
  // take in the dots with the constant fields (v_var times constant weights), and the constant
  // fields' own part, a constant added to the bias. All weights here are constants.
  const constSum = xConst && wConst ? e.node('Add', [bias, e.node('MatMul', [columns(xConst, split.colsConst), wConst])]) : bias;
  const wVarEmbAll = wVarEmb && vConst && wVarConst ? e.node('Add', [wVarEmb, dotWeights(e, vConst, wVarConst, vars.length, consts.length, d, O)]) : wVarEmb;
  const wVarParts = [wVarEmbAll, wVarRest].filter((w): w is string => w !== null);
  const wVar = wVarParts.length > 1 ? e.node('Concat', wVarParts, { axis: 0 }) : (wVarParts[0] ?? null);
  const shared0 = wVar ? e.node('Add', [e.node('MatMul', [columns(xBase, split.colsVar), wVar]), constSum]) : constSum; // the bias included

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
  const vReq = Fr ? columns(xReq, embOf(cols, req)) : null; // [R, Fr * d]
  const cross = vReq && vCand && colsCross.length > 0;
  let zBase: string;
  if (!xParts.length) {
    // Nothing of its own: every row of the group is the shared part.
    const n = e.node('Slice', [e.node('Shape', [gi.cat]), e.int64Const([0]), e.int64Const([1])]);
    zBase = e.node('Expand', [shared0, e.node('Concat', [n, e.int64Const([O])], { axis: 0 })]);
  } else {
    const xCand = xParts.length === 1 ? xParts[0] : e.node('Concat', xParts, { axis: 1 });
    let wEmb = wCandEmb!;
    if (cross) {
      // M_j = sum_a v_a W_(a, j) over the shared fields a, for every candidate field j: the
      // row embeddings' extra weights, the constant fields' share folded into them.
      if (vConst && wCrossConst) wEmb = e.node('Add', [wEmb, dotWeights(e, vConst, wCrossConst, Fc, consts.length, d, O)]);
      if (wCrossVar) wEmb = e.node('Add', [wEmb, dotWeights(e, columns(xBase, embOf(cols, vars)), wCrossVar, Fc, vars.length, d, O)]);
    }
    const wParts = [wEmb, wCandRest].filter((w): w is string => w !== null);
    const wCand = wParts.length === 1 ? wParts[0] : e.node('Concat', wParts, { axis: 0 });
    zBase = e.node('Add', [e.node('MatMul', [xCand, wCand]), shared0]);
  }

  // The listed rows: add the difference between their request row's shared part (with every
  // shared column: its constant fields may differ) and the base row's, computed once per
  // distinct request row among them (many listed rows may see one).
  const ovrReq = names.ovrReq;
  const [uniq, , inverse] = e.nodeMulti('Unique', [e.node('Cast', [ovrReq], { to: DataType.INT64 })], 4, { sorted: 0 });
  const xOwn = e.node('Gather', [xReq, uniq], { axis: 0 });
  let ownRows: string;
  if (consts.length && wholeWeights) {
    // Their whole rows, the group's own columns zeroed, times the one fused matrix: no copy
    // of these weight rows per group in the file.
    const mask = new Float32Array(cols.width);
    for (const c of split.colsReq) mask[c] = 1;
    ownRows = e.node('MatMul', [e.node('Mul', [xOwn, e.floatConst(`shared_columns.${names.base}`, mask, [cols.width])]), wholeWeights()]);
  } else ownRows = e.node('MatMul', [columns(xOwn, split.colsReq), wReqAll ?? wVar!]);
  const own = e.node('Gather', [e.node('Add', [ownRows, bias]), inverse], { axis: 0 });
  let upd = e.node('Add', [e.node('Gather', [zBase, names.ovrRows], { axis: 0 }), e.node('Sub', [own, shared0])]);
  if (cross) {
    const delta = e.node('Sub', [e.node('Gather', [vReq, ovrReq], { axis: 0 }), e.node('Gather', [vReq, base], { axis: 0 })]);
    const dvT = e.node('Transpose', [e.node('Reshape', [delta, e.int64Const([-1, Fr, d])])], { perm: [0, 2, 1] });
    const vc = e.node('Reshape', [e.node('Gather', [vCand!, names.ovrRows], { axis: 0 }), e.int64Const([-1, Fc, d])]);
    const dots = e.node('Reshape', [e.node('MatMul', [vc, dvT]), e.int64Const([-1, Fc * Fr])]); // candidate-major, as wCross
    upd = e.node('Add', [upd, e.node('MatMul', [dots, wCross!])]);
  }
  const at = e.node('Unsqueeze', [e.node('Cast', [names.ovrRows], { to: DataType.INT64 }), e.int64Const([1])]);
  return e.node('ScatterND', [zBase, at, upd]);
}
