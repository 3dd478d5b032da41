// ONNX export: every architecture's exported model, run in onnxruntime-node and in
// onnxruntime-web (wasm, as at the edge), against the trainer's own forward pass; batch-size
// independence; the int8 twins' accuracy and size; the model's declared interface. The
// errors each test bounds are reported as test diagnostics (in the reporter's output).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_ARCH_CONFIG, type ArchConfig } from '../model/arch/builder.ts';
import { ARCHITECTURES, buildGraph, type ArchName } from '../model/arch/index.ts';
import type { Graph } from '../model/engine/graph.ts';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import { initParams } from '../model/engine/params.ts';
import { Rng } from '../model/engine/rng.ts';
import { Workspace } from '../model/engine/workspace.ts';
import type { EncodedBatch } from '../model/features/encode.ts';
import { layoutOf, type FeatureLayout } from '../model/features/layout.ts';
import type { FeatureSpec, TaskSpec } from '../model/features/spec.ts';
import { inputSpecs } from '../model/onnx/inputs.ts';
import { constantRow, isConstantOn, requestColumns, requestFeedsOf, requestGroups, requestInputSpecs } from '../model/onnx/request-inputs.ts';
import { DataType, decodeModel, type ValueInfoProto } from '../model/onnx/proto.ts';
import { fromFloat16Bits, quantizeTable, toFloat16Bits } from '../model/onnx/quantize.ts';
import { randomBatch, sliceBatch } from '../scripts/bench/random-batch.ts';
import { assembleBatch, type ServingCandidate } from '../model/serving/assemble.ts';
import { CANDIDATE_KIND_FEATURE } from '../model/features/spec.ts';
import { createRunner, runOnnx, type OrtRuntime } from '../model/onnx/run.ts';
import { exportOnnx, OPSET } from '../model/onnx/writer.ts';
import { optimizeForServing } from '../model/onnx/optimize.ts';
import { DEFAULT_INT8_SCHEME, type Int8Scheme } from '../model/onnx/export-options.ts';

const k = createJsKernels();
const RUNTIMES: OrtRuntime[] = ['node', 'web'];
const SCHEMES: Int8Scheme[] = ['weight-only', 'dynamic'];
const ROWS = 2000;

const features: FeatureSpec[] = [
  { name: 'user', entity: 'user', kind: 'categorical', buckets: 61 },
  { name: 'item', entity: 'item', kind: 'categorical', buckets: 97 },
  { name: 'hour', entity: 'context', kind: 'categorical', buckets: 24 },
  { name: 'recent', entity: 'user', kind: 'multi', buckets: 40, maxLen: 4, separator: '|' },
  { name: 'tags', entity: 'item', kind: 'multi', buckets: 13, maxLen: 2, separator: '|' },
  { name: 'price', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 0, std: 1, edges: [1, 5, 20, 100] },
  { name: 'rating', entity: 'item', kind: 'numeric', transform: 'identity', mean: 0, std: 1 },
  { name: 'age', entity: 'user', kind: 'numeric', transform: 'identity', mean: 0, std: 1 },
];
const layout = layoutOf(features);
const tasks: TaskSpec[] = [
  { name: 'click', appliesTo: 'item' },
  { name: 'purchase', appliesTo: 'item', parent: 'click' },
  { name: 'redeem', appliesTo: 'coupon' },
];
const cfg: ArchConfig = { ...DEFAULT_ARCH_CONFIG, embeddingDim: 4, expertDims: [12, 8], towerDims: [6], experts: 3, taskExperts: 1, levels: 2 };

/** A model with initialised weights, rows that differ (tables scaled up) and non-zero biases. */
function randomModel(arch: ArchName, seed: number, l: FeatureLayout = layout, c: ArchConfig = cfg): Graph {
  const g = buildGraph(arch, k, l, tasks, c);
  const p = g.params();
  const rng = new Rng(seed);
  initParams(p, rng);
  for (const t of p.tables) for (let i = t.dim; i < t.data.length; i++) t.data[i] = rng.normal() * 0.5;
  for (const d of p.dense) if (d.init.kind === 'zeros') for (let i = 0; i < d.size; i++) d.data[i] = rng.normal() * 0.1;
  return g;
}

/** The trainer's probabilities: Workspace.forward + prob(t). */
function reference(g: Graph, batch: EncodedBatch, l: FeatureLayout = layout): Float32Array[] {
  const w = new Workspace(g, k, l, batch.n);
  w.batch.cat.set(batch.cat);
  batch.multi.forEach((m, j) => w.batch.multi[j].set(m));
  w.batch.num.set(batch.num);
  w.forward(batch.n);
  return g.outputs.map((_, t) => w.prob(t).slice());
}

function maxDiff(g: Graph, a: Float32Array[], b: Record<string, Float32Array>): number {
  let m = 0;
  g.outputs.forEach((o, t) => {
    const x = b[o.task];
    assert.equal(x.length, a[t].length, `${o.task}: output length`);
    for (let i = 0; i < x.length; i++) {
      assert.ok(Number.isFinite(x[i]), `${o.task}[${i}] is ${x[i]}`);
      m = Math.max(m, Math.abs(a[t][i] - x[i]));
    }
  });
  return m;
}

const batch = randomBatch(layout, ROWS, 7);

/**
 * Rows of one request: every row gets row 0's per-request values (user, context), except,
 * with `overrides`, that share of rows, which gets another row's value for one per-request
 * column (a candidate overriding a context or user feature).
 */
function requestBatch(l: FeatureLayout, n: number, seed: number, overrides: number): EncodedBatch {
  const b = randomBatch(l, n, seed);
  const cols = requestColumns(l);
  const C = l.catWidth;
  const D = l.numeric.length;
  const rng = new Rng(seed + 1);
  for (let i = 1; i < n; i++) {
    const from = rng.next() < overrides ? 1 + (rng.u32() % (n - 1)) : 0;
    const which = rng.u32() % (cols.cat.length + cols.num.length + cols.multi.length);
    const src = (k: number) => (k === which ? from : 0);
    cols.cat.forEach((c, k) => (b.cat[i * C + c] = b.cat[src(k) * C + c]));
    cols.num.forEach((d, k) => (b.num[i * D + d] = b.num[src(cols.cat.length + k) * D + d]));
    cols.multi.forEach((m, k) => {
      const L = l.multi[m].maxLen;
      const f = src(cols.cat.length + cols.num.length + k);
      b.multi[m].copyWithin(i * L, f * L, f * L + L);
    });
  }
  return b;
}

/** Max abs difference between two runs' probabilities (same tasks, same rows). */
function runDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let m = 0;
  for (const t of Object.keys(a)) {
    assert.equal(a[t].length, b[t].length);
    for (let i = 0; i < a[t].length; i++) m = Math.max(m, Math.abs(a[t][i] - b[t][i]));
  }
  return m;
}

const REQUEST_BATCHES: [string, EncodedBatch][] = [
  ['one request, no override', requestBatch(layout, 500, 31, 0)],
  ['one request, 10% of the candidates override a user / context value', requestBatch(layout, 500, 32, 0.1)],
  ['training rows (every row its own user and context)', sliceBatch(layout, batch, 0, 500)],
];

test('the random rows cover padded slots and all-padding rows', () => {
  const L = layout.multi[0].maxLen;
  let allPad = 0;
  let padBetween = 0;
  for (let i = 0; i < ROWS; i++) {
    const row = batch.multi[0].subarray(i * L, i * L + L);
    if (row.every((x) => x === 0)) allPad++;
    if (row.some((x, s) => x === 0 && row.slice(s).some((y) => y !== 0))) padBetween++;
  }
  assert.ok(allPad > 100 && padBetween > 100, `all-padding rows ${allPad}, rows with padding before a value ${padBetween}`);
});

for (const arch of Object.keys(ARCHITECTURES) as ArchName[]) {
  describe(`onnx export: ${arch}`, () => {
    const g = randomModel(arch, 11);
    const ref = reference(g, batch);
    const fp32 = exportOnnx(g, layout, { quantization: 'fp32' });

    for (const runtime of RUNTIMES) {
      test(`fp32 in onnxruntime-${runtime} matches the trainer's forward on ${ROWS} rows (<= 1e-5)`, async (ctx) => {
        const d = maxDiff(g, ref, await runOnnx(fp32, layout, batch, { runtime }));
        ctx.diagnostic(`${arch} fp32 ${runtime}: ${d.toExponential(2)}`);
        assert.ok(d <= 1e-5, `max abs diff ${d}`);
      });

      test(`onnxruntime-${runtime}: batch of 1 and batch of 1000 give the same answers`, async (ctx) => {
        const r = await createRunner(fp32, layout, { runtime });
        try {
          const big = await r.run(sliceBatch(layout, batch, 0, 1000));
          let m = 0;
          for (let i = 0; i < 1000; i++) {
            const one = await r.run(sliceBatch(layout, batch, i, i + 1));
            for (const t of r.outputNames) m = Math.max(m, Math.abs(one[t][0] - big[t][i]));
          }
          ctx.diagnostic(`${arch} batch1-vs-1000 ${runtime}: ${m.toExponential(2)}`);
          assert.ok(m <= 1e-6, `max abs diff ${m}`);
        } finally {
          await r.release();
        }
      });
    }

    for (const q of ['fp32', 'int8'] as const) {
      test(`${q}: the request-shared export gives the per-row graph's probabilities (<= 1e-5)`, async (ctx) => {
        const perRow = exportOnnx(g, layout, { quantization: q, sharing: 'per-row' });
        const shared = exportOnnx(g, layout, { quantization: q, sharing: 'request' });
        assert.ok(decodeModel(shared).graph.node.some((n) => n.opType === 'ScatterND'), 'the request-shared form was not emitted');
        for (const runtime of RUNTIMES) {
          for (const [label, b] of REQUEST_BATCHES) {
            const d = runDiff(await runOnnx(perRow, layout, b, { runtime }), await runOnnx(shared, layout, b, { runtime }));
            ctx.diagnostic(`${arch} ${q} ${runtime} ${label}: ${d.toExponential(2)}`);
            assert.ok(d <= 1e-5, `${runtime}, ${label}: max abs diff ${d}`);
          }
        }
      });
    }

    for (const scheme of SCHEMES) {
      test(`int8 ${scheme} stays close to fp32 (onnxruntime-web)`, async (ctx) => {
        const int8 = exportOnnx(g, layout, { quantization: 'int8', scheme });
        const d = maxDiff(g, ref, await runOnnx(int8, layout, batch, { runtime: 'web' }));
        ctx.diagnostic(`${arch} int8-${scheme} web: ${d.toExponential(2)}`);
        // Observed on these random models: weight-only <= 4.7e-3, dynamic <= 1.2e-2 (trained
        // models: weight-only 2e-3 to 8e-3, dynamic 2e-2 to 5e-2; see writer.ts).
        assert.ok(d > 0, 'int8 should differ from fp32 at all');
        assert.ok(d <= (scheme === 'dynamic' ? 0.03 : 0.01), `max abs prob diff ${d}`);
      });

      test(`int8 ${scheme}: the serving graph (onnxruntime's optimised int8 model, run without optimisers as the worker runs it) gives the int8 model's probabilities (<= 1e-5)`, async (ctx) => {
        const int8 = exportOnnx(g, layout, { quantization: 'int8', scheme });
        const serving = await optimizeForServing(int8);
        const ops = (m: Uint8Array) => decodeModel(m).graph.node.map((n) => n.opType);
        ctx.diagnostic(`${arch} int8-${scheme}: ${ops(int8).length} nodes exported, ${ops(serving).length} in the serving graph`);
        assert.ok(ops(serving).length < ops(int8).length, 'the optimisers changed nothing');
        // The weights' DequantizeLinear is folded into float initializers once, at export.
        if (scheme === 'weight-only') assert.ok(!ops(serving).includes('DequantizeLinear'), 'a DequantizeLinear is left in the serving graph');
        for (const runtime of RUNTIMES) {
          for (const [label, b] of REQUEST_BATCHES) {
            const d = runDiff(await runOnnx(int8, layout, b, { runtime }), await runOnnx(serving, layout, b, { runtime, preOptimized: true }));
            ctx.diagnostic(`${arch} int8-${scheme} serving vs int8, ${runtime} ${label}: ${d.toExponential(2)}`);
            assert.ok(d <= 1e-5, `${runtime}, ${label}: max abs diff ${d}`);
          }
        }
      });
    }
  });
}

// With `candidate_kind` in the layout, rows are grouped by kind: an item row shares all but
// its item fields with the other items of its request (first-layer.ts, request-inputs.ts).
const kindLayout = layoutOf([
  { name: 'user', entity: 'user', kind: 'categorical', buckets: 61 },
  { name: 'age', entity: 'user', kind: 'numeric', transform: 'identity', mean: 30, std: 10, edges: [20, 30, 45] },
  { name: 'recent', entity: 'user', kind: 'multi', buckets: 40, maxLen: 4, separator: '|' },
  { name: 'hour', entity: 'context', kind: 'categorical', buckets: 24 },
  CANDIDATE_KIND_FEATURE,
  { name: 'item', entity: 'item', kind: 'categorical', buckets: 97 },
  { name: 'tags', entity: 'item', kind: 'multi', buckets: 13, maxLen: 2, separator: '|' },
  { name: 'price', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 2, std: 1, edges: [1, 5, 20, 100] },
  { name: 'coupon', entity: 'coupon', kind: 'categorical', buckets: 31 },
  { name: 'discount', entity: 'coupon', kind: 'numeric', transform: 'identity', mean: 0.2, std: 0.1 },
]);

/** A /v1/score request encoded as the worker encodes it; `hourOverrides`: share of items with their own hour. */
function servedBatch(nItems: number, nCoupons: number, hourOverrides: number, seed: number): EncodedBatch {
  const rng = new Rng(seed);
  const candidates: ServingCandidate[] = [];
  for (let i = 0; i < nItems; i++) {
    const features: Record<string, string | number | string[]> = { item: `i${rng.u32() % 200}`, tags: [`t${rng.u32() % 9}`], price: rng.next() * 80 };
    if (rng.next() < hourOverrides) features.hour = rng.u32() % 24;
    candidates.push({ id: `i${i}`, kind: 'item', features });
  }
  for (let i = 0; i < nCoupons; i++) candidates.push({ id: `c${i}`, kind: 'coupon', features: { coupon: `c${rng.u32() % 50}`, discount: rng.next() * 0.5 } });
  return assembleBatch(kindLayout, { userId: 'u7', user: { age: 33, recent: ['a', 'b', 'c'] }, context: { hour: 20 }, candidates });
}

const KIND_BATCHES: [string, EncodedBatch][] = [
  ['items and coupons', servedBatch(120, 30, 0, 41)],
  ['items and coupons, 10% of the items override the hour', servedBatch(120, 30, 0.1, 42)],
  ['items only', servedBatch(60, 0, 0.1, 43)],
  ['coupons only', servedBatch(0, 25, 0, 44)],
  ['one item', servedBatch(1, 0, 0, 45)],
  ['training rows', randomBatch(kindLayout, 300, 46)],
];

test('kind groups: a served request has one request row per kind, the hour overrides their own; empty groups and no overrides are empty lists', () => {
  const f = requestFeedsOf(kindLayout, servedBatch(12, 3, 0, 1));
  assert.equal(f.requests, 2);
  assert.deepEqual([...f.tensors.rows_item.data], [...Array(12).keys()]);
  assert.deepEqual([...f.tensors.rows_coupon.data], [12, 13, 14]);
  assert.equal(f.overrides, 0);
  for (const k of ['ovr_rows_item', 'ovr_req_item', 'ovr_rows_coupon', 'ovr_req_coupon']) assert.deepEqual(f.tensors[k].dims, [0], k);
  const g = requestFeedsOf(kindLayout, servedBatch(0, 3, 0, 1));
  assert.deepEqual(g.tensors.rows_item.dims, [0], 'an empty group has no rows');
  assert.equal(g.requests, 1, 'and no request row of its own');
  assert.deepEqual([...g.tensors.base_item.data, ...g.tensors.base_coupon.data], [0, 0]);
  const h = requestFeedsOf(kindLayout, servedBatch(40, 0, 0.2, 3));
  assert.ok(h.overrides > 1 && h.requests >= 2, `${h.overrides} overrides, ${h.requests} request rows`);
  assert.deepEqual(h.tensors.rows_coupon.dims, [0]);
  assert.equal(h.tensors.ovr_rows_item.data.length, h.overrides);
});

test("kind groups: each group's base request row holds its constant fields' values; rows that do not (training rows) are all corrected from a base row of its own", () => {
  const C = kindLayout.catWidth;
  const D = kindLayout.numeric.length;
  const baseHoldsConstants = (f: ReturnType<typeof requestFeedsOf>) => {
    for (const g of requestGroups(kindLayout)) {
      const b = f.tensors[`base_${g.name}`].data[0];
      const want = constantRow(kindLayout, g);
      const cols = requestColumns(kindLayout, (s) => isConstantOn(g, s));
      assert.ok(cols.cat.length > 0 && cols.num.length > 0, `group ${g.name} has constant fields`);
      for (const c of cols.cat) assert.equal(f.tensors.req_cat.data[b * C + c], want.cat[c], `${g.name}: cat column ${c}`);
      for (const d of cols.num) assert.equal(f.tensors.req_num.data[b * D + d], want.num[d], `${g.name}: num column ${d}`);
    }
  };
  // A served request: the base is one of the request's rows (no row of its own, nothing corrected).
  const served = requestFeedsOf(kindLayout, servedBatch(12, 3, 0, 1));
  assert.deepEqual([served.requests, served.overrides], [2, 0]);
  baseHoldsConstants(served);
  // Random rows carry other kinds' fields and stray kinds: no row holds a group's constants.
  const rows = requestFeedsOf(kindLayout, randomBatch(kindLayout, 300, 46));
  baseHoldsConstants(rows);
  assert.equal(rows.overrides, 300, 'every row is corrected');
});

for (const arch of Object.keys(ARCHITECTURES) as ArchName[]) {
  test(`${arch}, kind groups: the request-shared export gives the per-row graph's probabilities (<= 1e-5)`, async (ctx) => {
    const g = randomModel(arch, 13, kindLayout);
    for (const q of ['fp32', 'int8'] as const) {
      const perRow = exportOnnx(g, kindLayout, { quantization: q, sharing: 'per-row' });
      const shared = exportOnnx(g, kindLayout, { quantization: q, sharing: 'request' });
      assert.ok(decodeModel(shared).graph.input.some((v) => v.name === 'rows_coupon'));
      for (const runtime of RUNTIMES) {
        for (const [label, b] of KIND_BATCHES) {
          const d = runDiff(await runOnnx(perRow, kindLayout, b, { runtime }), await runOnnx(shared, kindLayout, b, { runtime }));
          ctx.diagnostic(`${arch} ${q} ${runtime} ${label}: ${d.toExponential(2)}`);
          assert.ok(d <= 1e-5, `${q} ${runtime}, ${label}: max abs diff ${d}`);
        }
      }
    }
  });
}

test('int8 weight-only scores each row on its own (batch of 1 = batch of 1000); dynamic does not', async (ctx) => {
  const g = randomModel('mmoe', 21);
  for (const scheme of SCHEMES) {
    const r = await createRunner(exportOnnx(g, layout, { quantization: 'int8', scheme }), layout, { runtime: 'web' });
    try {
      const big = await r.run(sliceBatch(layout, batch, 0, 1000));
      let m = 0;
      for (let i = 0; i < 1000; i++) {
        const one = await r.run(sliceBatch(layout, batch, i, i + 1));
        for (const t of r.outputNames) m = Math.max(m, Math.abs(one[t][0] - big[t][i]));
      }
      ctx.diagnostic(`mmoe int8-${scheme} batch1-vs-1000 web: ${m.toExponential(2)}`);
      // DynamicQuantizeLinear takes one scale per batch: a row's answer depends on its batch.
      if (scheme === 'weight-only') assert.ok(m <= 1e-6, `max abs diff ${m}`);
      else assert.ok(m > 1e-6, 'dynamic quantization unexpectedly batch-independent');
    } finally {
      await r.release();
    }
  }
});

test('request inputs: one request row and empty override lists without overrides; each distinct override its own row', () => {
  const none = requestFeedsOf(layout, requestBatch(layout, 50, 5, 0));
  assert.equal(none.requests, 1);
  assert.deepEqual([...none.tensors.base_all.data], [0]);
  assert.deepEqual([none.tensors.ovr_rows.dims, none.tensors.ovr_req.dims], [[0], [0]]);
  const b = requestBatch(layout, 50, 5, 0);
  const C = layout.catWidth;
  const userCol = requestColumns(layout).cat[0];
  // Row 0 itself overrides (the majority is row 1's), rows 7 and 9 share another value.
  b.cat[userCol] = b.cat[userCol] + 1;
  b.cat[7 * C + userCol] = b.cat[9 * C + userCol] = b.cat[C + userCol] + 2;
  const f = requestFeedsOf(layout, b);
  assert.equal(f.requests, 3);
  assert.deepEqual([...f.tensors.ovr_rows.data], [0, 7, 9]);
  assert.deepEqual([...f.tensors.ovr_req.data], [0, 2, 2]);
  assert.deepEqual([...f.tensors.base_all.data], [1], 'the majority (row 1 on) is the base');
  assert.equal(f.tensors.req_cat.data[C + userCol], b.cat[C + userCol]);
  assert.deepEqual(f.tensors.req_cat.dims, [3, C]);
  assert.deepEqual(Object.keys(f.tensors), requestInputSpecs(layout).map((s) => s.name));
});

test('dense layers reading one input are one MatMul (MMoE: 3 experts and 3 gates)', () => {
  const mmoe = decodeModel(exportOnnx(randomModel('mmoe', 2), layout, { quantization: 'fp32', sharing: 'per-row' }));
  assert.equal(mmoe.graph.node.filter((n) => n.opType === 'Split').length, 1);
  // 1 fused first layer + 3 second expert layers + 3 x 2 tower layers + 3 batched gate mixes
  // + the dot interactions' Gram matrix (unfused: 6 first-layer MatMuls instead of 1).
  assert.equal(mmoe.graph.node.filter((n) => n.opType === 'MatMul').length, 1 + 3 + 6 + 3 + 1);
});

test('int8 file size on a model with a big table is <= 30% of fp32', (ctx) => {
  const big = layoutOf([
    { name: 'user_id', entity: 'user', kind: 'categorical', buckets: 60_000 },
    { name: 'item_id', entity: 'item', kind: 'categorical', buckets: 40_000 },
    { name: 'hour', entity: 'context', kind: 'categorical', buckets: 24 },
    { name: 'recent', entity: 'user', kind: 'multi', buckets: 100, maxLen: 5, separator: '|' },
    { name: 'price', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 0, std: 1 },
  ]);
  for (const arch of ['mmoe', 'lr'] as ArchName[]) {
    const g = randomModel(arch, 3, big, DEFAULT_ARCH_CONFIG);
    const fp32 = exportOnnx(g, big, { quantization: 'fp32' }).length;
    for (const scheme of SCHEMES) {
      const ratio = exportOnnx(g, big, { quantization: 'int8', scheme }).length / fp32;
      ctx.diagnostic(`${arch} size ratio int8-${scheme}: ${ratio.toFixed(4)} of ${fp32} bytes`);
      assert.ok(ratio <= 0.3, `${arch} ${scheme}: int8 / fp32 = ${ratio}`);
    }
  }
});

test('the model declares opset 15, the documented inputs and one [N, 1] output per task', () => {
  const g = randomModel('mmoe', 5);
  for (const [q, scheme] of [['fp32', undefined], ['int8', 'dynamic'], ['int8', 'weight-only']] as const) {
    const m = decodeModel(exportOnnx(g, layout, { quantization: q, scheme }));
    assert.deepEqual(
      m.opsetImport.map((o) => [o.domain ?? '', Number(o.version)]),
      [['', OPSET]],
    );
    const graph = m.graph;
    const dims = (v: ValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    const type = (s: { type: string }) => (s.type === 'int32' ? DataType.INT32 : DataType.FLOAT);
    assert.deepEqual(graph.input.map((v) => [v.name, v.type!.tensorType!.elemType, dims(v)]), [
      ...inputSpecs(layout).map((s) => [s.name, type(s), ['N', s.width]]),
      // The default int8 scheme and fp32 are request-shared; the dynamic scheme is per-row.
      ...(scheme === 'dynamic' ? [] : requestInputSpecs(layout).map((s) => [s.name, type(s), s.rank === 2 ? ['R', s.width] : s.name.startsWith('base_') ? [1] : [`len_${s.name}`]])),
    ]);
    assert.deepEqual(graph.input.map((v) => v.name).slice(0, 4), ['cat', 'multi_recent', 'multi_tags', 'num']);
    if (scheme !== 'dynamic') assert.deepEqual(graph.input.map((v) => v.name).slice(4), ['req_cat', 'req_multi_recent', 'req_multi_tags', 'req_num', 'base_all', 'ovr_rows', 'ovr_req']);
    assert.deepEqual(
      graph.output.map((v) => [v.name, v.type!.tensorType!.elemType, dims(v)]),
      tasks.map((t) => [t.name, DataType.FLOAT, ['N', 1]]),
    );
    // Unique node names; every tensor produced once; every node input exists.
    const nodeNames = graph.node.map((n) => n.name);
    assert.equal(new Set(nodeNames).size, nodeNames.length);
    const produced = [...graph.input.map((v) => v.name), ...graph.initializer.map((t) => t.name), ...graph.node.flatMap((n) => n.output!)];
    assert.equal(new Set(produced).size, produced.length, 'a tensor name is produced twice');
    const known = new Set(produced);
    for (const n of graph.node) for (const i of n.input!) assert.ok(i === '' || known.has(i), `${n.name} reads unknown ${i}`);
    const ops = new Set(graph.node.map((n) => n.opType));
    if (q === 'fp32') assert.ok(!ops.has('DequantizeLinear') && !ops.has('MatMulInteger'));
    if (scheme === 'dynamic') assert.ok(ops.has('MatMulInteger') && ops.has('DynamicQuantizeLinear'));
    if (scheme === 'weight-only') assert.ok(ops.has('DequantizeLinear') && !ops.has('MatMulInteger'));
    const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta.quantization, q === 'fp32' ? 'fp32' : `int8-${scheme}`);
    assert.equal(meta.sharing, scheme === 'dynamic' ? 'per-row' : 'request');
  }
  assert.equal(DEFAULT_INT8_SCHEME, 'weight-only');
});

test('aitm exports only ONNX op types the other architectures (and so the served runtime) already use', () => {
  const opTypes = (arch: ArchName) => new Set(decodeModel(exportOnnx(randomModel(arch, 2), layout, { quantization: 'int8' })).graph.node.map((n) => n.opType));
  const others = new Set((Object.keys(ARCHITECTURES) as ArchName[]).filter((a) => a !== 'aitm').flatMap((a) => [...opTypes(a)]));
  const aitm = opTypes('aitm');
  assert.ok(aitm.has('ReduceSum') && aitm.has('Softmax'));
  assert.deepEqual([...aitm].filter((t) => !others.has(t)), []);
});

test('dropout is training-only: a graph with it exports the bytes of the same weights without it', () => {
  for (const arch of ['mmoe', 'aitm'] as ArchName[]) {
    const plain = exportOnnx(randomModel(arch, 13), layout, { quantization: 'int8' });
    const dropped = exportOnnx(randomModel(arch, 13, layout, { ...cfg, dropout: 0.25 }), layout, { quantization: 'int8' });
    assert.deepEqual(dropped, plain, arch);
  }
});

test('export is deterministic (same weights, same bytes)', () => {
  const g = randomModel('ple', 9);
  assert.deepEqual(exportOnnx(g, layout, { quantization: 'int8' }), exportOnnx(g, layout, { quantization: 'int8' }));
  assert.deepEqual(exportOnnx(g, layout, { quantization: 'fp32' }), exportOnnx(g, layout, { quantization: 'fp32' }));
});

test('inputs a layout leaves empty are still declared and accepted (no categorical field, no numerics)', async () => {
  const l = layoutOf([{ name: 'recent', entity: 'user', kind: 'multi', buckets: 30, maxLen: 3, separator: '|' }]);
  const g = randomModel('shared-bottom', 4, l);
  const b = randomBatch(l, 300, 2);
  const ref = reference(g, b, l);
  const bytes = exportOnnx(g, l, { quantization: 'fp32' });
  assert.deepEqual(decodeModel(bytes).graph.input.map((v) => v.name).slice(0, 3), ['cat', 'multi_recent', 'num']);
  for (const runtime of RUNTIMES) assert.ok(maxDiff(g, ref, await runOnnx(bytes, l, b, { runtime })) <= 1e-5);
});

test('a task named like an input is refused', () => {
  const g = buildGraph('lr', k, layout, [{ name: 'num', appliesTo: 'item' }], cfg);
  assert.throws(() => exportOnnx(g, layout, { quantization: 'fp32' }), /collides/);
});

test('float16 scales and per-row table quantization', () => {
  for (const x of [0, 1, -2.5, 65504, 6.1035156e-5, 5.96e-8, 1e-3, 0.1, 1 / 3]) {
    const back = fromFloat16Bits(toFloat16Bits(x));
    assert.ok(Math.abs(back - x) <= Math.max(Math.abs(x) * 2 ** -11, 2 ** -25), `${x} -> ${back}`);
  }
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
  assert.equal(toFloat16Bits(1e6), 0x7c00);
  const rng = new Rng(1);
  const dim = 16;
  const data = Float32Array.from({ length: 50 * dim }, (_, i) => (i < dim ? 0 : rng.normal() * (1 + (i % 7))));
  const q = quantizeTable(data, 50, dim);
  assert.equal(q.rowsPerScale, 1);
  assert.equal(q.scales[0], 0, 'padding row: zero scale');
  for (let r = 1; r < 50; r++) {
    let amax = 0;
    for (let j = 0; j < dim; j++) amax = Math.max(amax, Math.abs(data[r * dim + j]));
    const s = fromFloat16Bits(q.scales[r]);
    for (let j = 0; j < dim; j++) assert.ok(Math.abs(q.q[r * dim + j] * s - data[r * dim + j]) <= s * 0.5 + amax * 1e-3);
  }
  assert.equal(quantizeTable(new Float32Array(40), 40, 1).rowsPerScale, 16);
});
