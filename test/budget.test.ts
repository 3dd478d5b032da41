// The training budget chosen from the data size, the learning-rate schedule, early stopping
// counted in validation passes, and the statistics over seeds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseBudget, describeBudget, fewStepsWarning, lrFactor, stepsPerEpoch } from '../model/train/budget.ts';
import { EarlyStopping } from '../model/train/early-stop.ts';
import { mean, sd } from '../model/metrics/index.ts';
import { pairedDiff, tCritical95 } from '../model/train/seeds.ts';

test('budget: small data gets small batches, many epochs and patience in evaluations; large data keeps batch 512', () => {
  const uci = chooseBudget(10_136);
  assert.deepEqual(uci, { batchSize: 128, epochs: 38, evalEvery: 80, patience: 10, warmupSteps: 61, minLrFactor: 0.1, decaySteps: 2939, averageSteps: 80 });
  assert.equal(stepsPerEpoch(10_136, 128), 80);
  const big = chooseBudget(1_200_000);
  assert.equal(big.batchSize, 512);
  assert.equal(big.epochs, 3); // 2,344 steps an epoch: the floor of 3 epochs applies
  assert.equal(big.evalEvery, 586); // a quarter epoch
  assert.equal(big.patience, 2);
  assert.equal(big.warmupSteps, 141);
  assert.equal(big.decaySteps, 3000 - 141); // the rate is low before the second pass over the data
  const tiny = chooseBudget(100);
  assert.equal(tiny.batchSize, 32);
  assert.equal(tiny.epochs, 200);
  assert.equal(tiny.evalEvery, 4); // one epoch
  // Every budget reaches the target of steps unless the epoch cap stops it.
  for (const n of [500, 3_000, 30_000, 200_000]) {
    const b = chooseBudget(n);
    assert.ok(stepsPerEpoch(n, b.batchSize) * b.epochs >= 3000, `${n} rows`);
    assert.ok(b.batchSize >= 32 && b.batchSize <= 512 && (b.batchSize & (b.batchSize - 1)) === 0);
  }
});

test('budget: explicit settings win, and are the only ones changed', () => {
  const b = chooseBudget(10_136, { batchSize: 512, epochs: 3 });
  assert.equal(b.batchSize, 512);
  assert.equal(b.epochs, 3);
  assert.equal(b.evalEvery, 20); // min(one epoch of 20 steps, 100)
  assert.equal(chooseBudget(10_136, { patience: 1, evalEvery: 7, warmupSteps: 0 }).patience, 1);
  // The weight average spans one validation interval unless given; 0 turns it off.
  assert.equal(chooseBudget(10_136, { evalEvery: 7 }).averageSteps, 7);
  assert.equal(chooseBudget(10_136, { averageSteps: 0 }).averageSteps, 0);
  assert.match(describeBudget(10_136, chooseBudget(10_136)), /weights averaged over 80 steps \(at most a ninth of the steps so far\)$/);
  assert.match(describeBudget(10_136, chooseBudget(10_136, { averageSteps: 0 })), /no weight average$/);
  assert.match(describeBudget(10_136, chooseBudget(10_136)), /^10,136 training rows: batch 128, up to 38 epochs \(3,040 steps\), validation every 80 steps, patience 10 evaluations/);
  assert.equal(fewStepsWarning(10_136, chooseBudget(10_136)), null);
  assert.match(fewStepsWarning(100, chooseBudget(100, { batchSize: 512, epochs: 3 }))!, /only 3 optimizer steps/);
});

test('learning-rate schedule: linear warm-up, cosine from 1 to the floor, then the floor', () => {
  const o = { warmupSteps: 9, minLrFactor: 0.1, decaySteps: 100 };
  assert.equal(lrFactor(1, o), 0.1);
  assert.equal(lrFactor(9, o), 0.9);
  assert.ok(Math.abs(lrFactor(10, o) - (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI / 100)))) < 1e-12);
  assert.ok(Math.abs(lrFactor(59, o) - 0.55) < 1e-12); // half way: (1 + 0.1) / 2
  assert.ok(Math.abs(lrFactor(109, o) - 0.1) < 1e-12);
  assert.ok(Math.abs(lrFactor(500, o) - 0.1) < 1e-12);
  assert.equal(lrFactor(5, { warmupSteps: 0, minLrFactor: 1, decaySteps: 100 }), 1); // constant
});

test('early stopping counts validation passes since the best one', () => {
  const s = new EarlyStopping(2);
  assert.equal(s.observe(0.6), true);
  assert.equal(s.observe(0.7), true);
  assert.equal(s.observe(0.65), false);
  assert.equal(s.shouldStop, false);
  assert.equal(s.observe(0.7), false); // equal is no improvement
  assert.equal(s.shouldStop, true);
  assert.equal(s.bestScore, 0.7);
  assert.throws(() => s.observe(NaN), /cannot be scored/);
  assert.throws(() => new EarlyStopping(0), /patience/);
});

test('seed statistics: mean, sample sd and the paired t-test by hand', () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.ok(Math.abs(sd([1, 2, 3, 6])! - Math.sqrt(14 / 3)) < 1e-12);
  assert.equal(sd([5]), null);
  assert.equal(tCritical95(2), 4.303);
  // Differences 0.010, 0.012, 0.011: mean 0.011, sd 0.001, t = 0.011 / (0.001 / sqrt 3) = 19 > 4.303.
  const real = pairedDiff([0.81, 0.812, 0.811], [0.8, 0.8, 0.8]);
  assert.ok(Math.abs(real.mean - 0.011) < 1e-12 && Math.abs(real.sd! - 0.001) < 1e-9 && real.significant);
  // Differences +0.01, -0.008, +0.004: mean 0.002, sd ~0.0092: t ~0.38, not significant.
  const noise = pairedDiff([0.81, 0.792, 0.804], [0.8, 0.8, 0.8]);
  assert.equal(noise.significant, false);
  assert.equal(pairedDiff([0.9], [0.8]).significant, false); // one seed says nothing
  assert.throws(() => pairedDiff([0.9, 0.8], [0.8]), /same seeds/);
});
