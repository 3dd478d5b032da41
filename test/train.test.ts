// The training loop: reproducible to the byte (same seed, any thread count), masked labels
// train nothing, it learns, and uncertainty weighting moves the task weights.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { referenceTask } from '../model/data/reference.ts';
import type { DataSource } from '../model/data/source.ts';
import { createJsKernels, createKernels } from '../model/engine/kernels/index.ts';
import { partRange } from '../model/engine/optimizer.ts';
import { serializeWeights } from '../model/engine/weights-file.ts';
import { evaluateGraph } from '../model/train/evaluate.ts';
import { prepare } from '../model/train/prepare.ts';
import { train, type TrainOptions } from '../model/train/trainer.ts';

const cfg = { ...DEFAULT_ARCH_CONFIG, embeddingDim: 8, expertDims: [16, 8], towerDims: [8], experts: 2 };
const small = prepare(shrink(referenceTask({ rows: 12_000, seed: 3 })));

/** The reference task with small hash tables, so tests allocate little. */
function shrink(s: DataSource): DataSource {
  return { ...s, features: s.features.map((f) => (f.kind === 'categorical' ? { ...f, buckets: 4096 } : f)) };
}

const base: TrainOptions = { arch: 'mmoe', cfg, epochs: 2, batchSize: 256, lr: 0.005, seed: 11, shards: 2, weighting: 'fixed', patience: 2, threads: 1 };

async function weightsOf(o: Partial<TrainOptions>, kind: 'js' | 'wasm-simd' = 'wasm-simd') {
  const k = kind === 'js' ? createJsKernels() : await createKernels('wasm-simd');
  const r = await train(k, { ...small, train: small.splits.train, valid: small.splits.valid }, { ...base, ...o });
  return { bytes: serializeWeights(r.graph.params()), r, k };
}

test('same seed gives byte-identical weights; 1 and 2 threads agree; another seed differs', async () => {
  const a = await weightsOf({});
  const b = await weightsOf({});
  const c = await weightsOf({ threads: 2 });
  const d = await weightsOf({ seed: 12 });
  assert.deepEqual(a.bytes, b.bytes);
  assert.deepEqual(a.bytes, c.bytes);
  assert.notDeepEqual(a.bytes, d.bytes);
});

test('the dense update splits every parameter into slices of whole SIMD lanes that cover it once, as evenly as 4-float steps allow', () => {
  for (let size = 0; size <= 70; size++)
    for (let parts = 1; parts <= 5; parts++) {
      const seen = new Uint8Array(size);
      const lens: number[] = [];
      for (let part = 0; part < parts; part++) {
        const [lo, hi] = partRange(size, part, parts);
        assert.ok(lo <= hi && hi <= size, `size ${size} part ${part}/${parts}: [${lo}, ${hi})`);
        if (hi > lo) assert.equal(lo % 4, 0, `size ${size} part ${part}/${parts} starts at ${lo}`);
        for (let j = lo; j < hi; j++) seen[j]++;
        lens.push(hi - lo);
      }
      assert.ok(seen.every((c) => c === 1), `size ${size}, ${parts} parts: every element exactly once`);
      assert.ok(Math.max(...lens) <= Math.ceil(size / parts / 4) * 4, `size ${size}, ${parts} parts: ${lens}`);
    }
  assert.deepEqual(partRange(8448, 0, 2), [0, 4224]);
  assert.deepEqual(partRange(8448, 1, 2), [4224, 8448]);
});

test('at a fixed shard count the thread count changes no bit (4 shards: 1, 3 and 8 threads); the shard count is a setting', async () => {
  const one = await weightsOf({ shards: 4, threads: 1 });
  const three = await weightsOf({ shards: 4, threads: 3 });
  const many = await weightsOf({ shards: 4, threads: 8 });
  assert.deepEqual(one.bytes, three.bytes);
  assert.deepEqual(one.bytes, many.bytes);
  assert.deepEqual(one.r.history.map((h) => h.validAuc), three.r.history.map((h) => h.validAuc));
  // Another cut sums the gradients in another order: float rounding differs, learning does not.
  const two = await weightsOf({ shards: 2, threads: 1 });
  assert.notDeepEqual(one.bytes, two.bytes);
  const last = (r: typeof one) => r.r.history[r.r.history.length - 1].validAuc;
  last(one).forEach((auc, t) => assert.ok(Math.abs(auc - last(two)[t]) < 1e-3, `task ${t}: ${auc} vs ${last(two)[t]}`));
  await assert.rejects(weightsOf({ shards: 300 }), /--shards 300 is more than the batch size 256/);
});

test('dropout: the masks depend on the seed, the shard and the step, not on the thread count; validation drops nothing', async () => {
  const drop = { cfg: { ...cfg, dropout: 0.2 }, epochs: 1, shards: 4 };
  const one = await weightsOf({ ...drop, threads: 1 });
  const three = await weightsOf({ ...drop, threads: 3 });
  assert.deepEqual(one.bytes, three.bytes);
  const plain = await weightsOf({ epochs: 1, shards: 4 });
  assert.notDeepEqual(one.bytes, plain.bytes);
  // Validation predicts without dropout: the kept pass's AUCs are the kept weights' prediction.
  const kept = one.r.history.find((h) => h.epoch === one.r.bestEpoch)!;
  const m = evaluateGraph(one.k, one.r.graph, small.layout, small.tasks, small.splits.valid, small.splits.test).metrics;
  small.tasks.forEach((t, i) => assert.ok(Math.abs(m[t.name].valid.auc - kept.validAuc[i]) < 1e-9, `${t.name}: ${m[t.name].valid.auc} vs ${kept.validAuc[i]}`));
});

for (const weighting of ['gradnorm', 'pcgrad'] as const) {
  for (const arch of ['mmoe', 'aitm'] as const) {
    test(`${weighting} on ${arch}: same seed gives byte-identical weights with 1 and 2 threads, and differs from fixed weights`, async () => {
      const a = await weightsOf({ weighting, arch, epochs: 1 });
      const c = await weightsOf({ weighting, arch, epochs: 1, threads: 2 });
      const fixed = await weightsOf({ arch, epochs: 1 });
      assert.deepEqual(a.bytes, c.bytes);
      assert.deepEqual(a.r.history, c.r.history.map((h, i) => ({ ...h, seconds: a.r.history[i].seconds })));
      assert.notDeepEqual(a.bytes, fixed.bytes);
      for (const h of a.r.history) for (const l of [h.trainLoss, ...h.validAuc, ...h.taskWeights]) assert.ok(Number.isFinite(l), `${weighting} ${arch}: ${JSON.stringify(h)}`);
    });
  }
}

test('training learns: test AUC above chance on every task, and above the initial model', async () => {
  const trained = await weightsOf({ epochs: 3 });
  const untrained = await weightsOf({ epochs: 1, lr: 1e-9 });
  const m = evaluateGraph(trained.k, trained.r.graph, small.layout, small.tasks, small.splits.valid, small.splits.test).metrics;
  const m0 = evaluateGraph(untrained.k, untrained.r.graph, small.layout, small.tasks, small.splits.valid, small.splits.test).metrics;
  for (const t of small.tasks) {
    assert.ok(m[t.name].test.auc > 0.55, `${t.name}: AUC ${m[t.name].test.auc}`);
    assert.ok(m[t.name].test.auc > m0[t.name].test.auc + 0.03, `${t.name}: ${m[t.name].test.auc} vs untrained ${m0[t.name].test.auc}`);
    assert.ok(Number.isFinite(m[t.name].test.logloss));
  }
});

test('a task whose labels are all masked trains nothing (single-task networks are separate)', async () => {
  const masked = { ...small, splits: { ...small.splits, train: { ...small.splits.train, labels: small.splits.train.labels.slice() } } };
  const T = small.tasks.length;
  for (let i = 2; i < masked.splits.train.labels.length; i += T) masked.splits.train.labels[i] = -1; // task t2
  const k = createJsKernels();
  const opts = { ...base, arch: 'single' as const, epochs: 1 };
  const init = await train(k, { ...masked, train: masked.splits.train, valid: masked.splits.valid }, { ...opts, lr: 0 });
  const after = await train(k, { ...masked, train: masked.splits.train, valid: masked.splits.valid }, opts);
  const p0 = init.graph.params();
  const p1 = after.graph.params();
  for (let i = 0; i < p0.dense.length; i++) {
    const same = p0.dense[i].data.every((x, j) => x === p1.dense[i].data[j]);
    assert.equal(same, p0.dense[i].name.startsWith('t2'), `${p0.dense[i].name} ${same ? 'unchanged' : 'changed'}`);
  }
});

test('uncertainty weighting learns a weight per task, finite and no longer all 1', async () => {
  const { r } = await weightsOf({ weighting: 'uncertainty', epochs: 1 });
  assert.equal(r.taskWeights.length, 3);
  for (const w of r.taskWeights) assert.ok(Number.isFinite(w) && w > 0);
  assert.ok(r.taskWeights.some((w) => Math.abs(w - 1) > 0.05), `weights ${r.taskWeights}`);
});

test('GradNorm learns weights that sum to the number of tasks, recorded at every validation pass', async () => {
  const { r } = await weightsOf({ weighting: 'gradnorm', epochs: 1 });
  assert.equal(r.history.length, 4);
  for (const h of [...r.history.map((x) => x.taskWeights), r.taskWeights]) {
    assert.ok(Math.abs(h.reduce((a, b) => a + b, 0) - 3) < 1e-9, `weights ${h}`);
    for (const w of h) assert.ok(w > 0);
  }
  assert.ok(r.taskWeights.some((w) => Math.abs(w - 1) > 0.05), `weights ${r.taskWeights}`);
  assert.notDeepEqual(r.history[0].taskWeights, r.history[3].taskWeights);
});
