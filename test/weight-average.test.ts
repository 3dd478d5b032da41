// The moving average of the weights (model/train/weight-average.ts): the average by hand, the
// swap in and out around an evaluation, and in training: the same bytes with 1 and 2 threads,
// and the validated / kept weights are the average, not the last step's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { referenceTask } from '../model/data/reference.ts';
import { createKernels } from '../model/engine/kernels/index.ts';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import { paramEntries, type Params } from '../model/engine/params.ts';
import { serializeWeights } from '../model/engine/weights-file.ts';
import { prepare } from '../model/train/prepare.ts';
import { train, type TrainOptions } from '../model/train/trainer.ts';
import { AVERAGE_EVERY, WeightAverage } from '../model/train/weight-average.ts';

const js = createJsKernels();

/** A Params holding one dense parameter of two values (all the average reads). */
function oneParam(values: number[]): Params {
  const data = Float32Array.from(values);
  return { dense: [{ name: 'w', shape: [values.length], data, size: values.length }], tables: [] } as unknown as Params;
}

test('the average by hand: the first fold copies, then the decay ramps up to (1 - 1/window)^every', () => {
  const p = oneParam([1, -2]);
  const w = p.dense[0].data;
  const avg = new WeightAverage(js, 10);
  const decay = 0.9 ** AVERAGE_EVERY;
  avg.observe(p, 1); // not a folding step: ignored
  w.set([4, 0]);
  avg.observe(p, AVERAGE_EVERY); // first fold: the average is these weights
  w.set([8, 2]);
  avg.observe(p, 2 * AVERAGE_EVERY); // b = min(decay, 3 / 12)
  const b2 = Math.min(decay, 3 / 12);
  const expect = [b2 * 4 + (1 - b2) * 8, b2 * 0 + (1 - b2) * 2];
  w.set([0, 0]);
  for (let u = 3; u <= 40; u++) {
    avg.observe(p, u * AVERAGE_EVERY);
    const b = Math.min(decay, (1 + u) / (10 + u));
    expect[0] *= b;
    expect[1] *= b;
  }
  w.set([5, 5]); // the current weights, which the evaluation must not see and must get back
  const seen = avg.withAverage(p, () => Array.from(w));
  seen.forEach((x, i) => assert.ok(Math.abs(x - expect[i]) < 1e-5, `${x} vs ${expect[i]}`));
  assert.ok(decay < (1 + 40) / (10 + 40), 'the ramp has ended by update 40');
  assert.deepEqual(Array.from(w), [5, 5]);
  assert.throws(() => avg.withAverage(p, () => { throw new Error('boom'); }), /boom/);
  assert.deepEqual(Array.from(w), [5, 5], 'put back when the evaluation throws');
  assert.throws(() => new WeightAverage(js, 0.5), /window of at least 1 step/);
});

test('the span the budget line promises: with a long window the average covers about a ninth of the steps so far', () => {
  for (const steps of [4_000, 40_000]) {
    const p = oneParam([0]);
    const w = p.dense[0].data;
    const avg = new WeightAverage(js, 1e9);
    for (let s = AVERAGE_EVERY; s < steps; s += AVERAGE_EVERY) avg.observe(p, s);
    w[0] = 1;
    avg.observe(p, steps);
    // After zeros, one fold of 1 leaves its own weight 1 - b in the average: the span in steps
    // (the e-folding length) is AVERAGE_EVERY / (1 - b).
    const weight = avg.withAverage(p, () => w[0]);
    const span = AVERAGE_EVERY / weight;
    assert.ok(Math.abs(span / (steps / 9) - 1) < 0.05, `span ${span} steps after ${steps} steps`);
  }
});

test('before its first fold the average is the current weights', () => {
  const p = oneParam([3, 4]);
  assert.deepEqual(new WeightAverage(js, 100).withAverage(p, () => Array.from(p.dense[0].data)), [3, 4]);
});

const small = prepare(referenceTask({ rows: 8_000, seed: 5 }));
const base: TrainOptions = {
  arch: 'mmoe',
  cfg: { ...DEFAULT_ARCH_CONFIG, embeddingDim: 8, expertDims: [16, 8], towerDims: [8], experts: 2 },
  epochs: 2,
  batchSize: 256,
  lr: 0.005,
  seed: 3,
  shards: 2,
  weighting: 'fixed',
  patience: 5,
  evalEvery: 8,
  threads: 1,
};

async function run(o: Partial<TrainOptions>) {
  const k = await createKernels('wasm-simd');
  const r = await train(k, { ...small, train: small.splits.train, valid: small.splits.valid }, { ...base, ...o });
  return { r, bytes: serializeWeights(r.graph.params()), params: paramEntries(r.graph.params()) };
}

test('training with an average: 1 and 2 threads give the same bytes; the kept weights are not the raw ones', async () => {
  const one = await run({ averageSteps: 30 });
  const two = await run({ averageSteps: 30, threads: 2 });
  const raw = await run({});
  assert.deepEqual(one.bytes, two.bytes);
  assert.deepEqual(one.r.history.map((h) => h.validAuc), two.r.history.map((h) => h.validAuc));
  assert.notDeepEqual(one.bytes, raw.bytes);
  // The raw run scores the same weights trajectory without the average: its passes differ.
  assert.notDeepEqual(one.r.history.map((h) => h.validAuc), raw.r.history.map((h) => h.validAuc));
  for (const h of one.r.history) for (const a of h.validAuc) assert.ok(Number.isFinite(a), JSON.stringify(h));
  // It learns: the best pass of the averaged run is well above chance on every task.
  const best = one.r.history.reduce((a, h) => (h.validAuc.reduce((x, y) => x + y) > a.validAuc.reduce((x, y) => x + y) ? h : a));
  for (const a of best.validAuc) assert.ok(a > 0.55, JSON.stringify(best));
});
