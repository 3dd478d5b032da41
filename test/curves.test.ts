// ROC points and reliability bins against hand-computed cases, and the ROC curve's area
// against the tie-aware AUC on random data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../model/engine/rng.ts';
import { auc, reliabilityBins, rocPoints } from '../model/metrics/index.ts';

const f32 = (xs: number[]) => new Float32Array(xs);
const close = (actual: number, expected: number, tol = 1e-6) => assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

test('rocPoints: one point per distinct prediction, highest threshold first', () => {
  // positives {0.9, 0.4}, negatives {0.7, 0.2}; P = N = 2.
  // t=0.9: tp 1 fp 0 -> (0, .5); t=0.7: fp 1 -> (.5, .5); t=0.4: tp 2 -> (.5, 1); t=0.2: (1, 1).
  const pts = rocPoints(f32([0.9, 0.7, 0.4, 0.2]), f32([1, 0, 1, 0]));
  assert.deepEqual(
    pts.map((p) => [p.fpr, p.tpr]),
    [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]],
  );
  assert.equal(pts[0].threshold, null);
  close(pts[1].threshold!, 0.9);
  close(pts[4].threshold!, 0.2);
});

test('rocPoints: tied rows enter together and masked rows are ignored', () => {
  // 0.5 holds one positive and one negative: one diagonal step from (0, .5) to (.5, 1).
  // The masked row (-1) at 0.99 would otherwise come first.
  const pts = rocPoints(f32([0.8, 0.5, 0.5, 0.1, 0.99]), f32([1, 1, 0, 0, -1]));
  assert.deepEqual(
    pts.map((p) => [p.fpr, p.tpr]),
    [[0, 0], [0, 0.5], [0.5, 1], [1, 1]],
  );
});

test('rocPoints: empty when a class is missing; maxPoints is checked', () => {
  assert.deepEqual(rocPoints(f32([0.1, 0.2]), f32([1, 1])), []);
  assert.throws(() => rocPoints(f32([0.1]), f32([1]), 0), /maxPoints/);
});

const trapezoid = (pts: { fpr: number; tpr: number }[]) => pts.slice(1).reduce((s, p, k) => s + ((p.fpr - pts[k].fpr) * (p.tpr + pts[k].tpr)) / 2, 0);

test('rocPoints: full curve area equals AUC; downsampled keeps the ends, few points, small error', () => {
  const rng = new Rng(3);
  const r = () => rng.next();
  const n = 20_000;
  const pred = new Float32Array(n);
  const label = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    label[i] = r() < 0.1 ? 1 : 0;
    // Rounded to 3 decimals: many ties.
    pred[i] = Math.round(Math.min(1, Math.max(0, 0.3 * label[i] + 0.7 * r())) * 1000) / 1000;
  }
  const exact = auc(pred, label);
  const full = rocPoints(pred, label, 1e9);
  close(trapezoid(full), exact, 1e-9);
  const small = rocPoints(pred, label, 100);
  assert.ok(small.length <= 201 && small.length >= 100, `${small.length} points`);
  assert.deepEqual([small[0].fpr, small[0].tpr], [0, 0]);
  assert.deepEqual([small.at(-1)!.fpr, small.at(-1)!.tpr], [1, 1]);
  // Dropping vertices of a monotone curve moves its area by at most about one step's worth.
  close(trapezoid(small), exact, 0.005);
  for (let k = 1; k < small.length; k++) assert.ok(small[k].fpr >= small[k - 1].fpr && small[k].tpr >= small[k - 1].tpr);
});

test('reliabilityBins: equal-count bins by prediction with mean prediction and observed rate', () => {
  // Sorted: 0.1(0) 0.2(0) 0.3(1) | 0.6(0) 0.8(1) 0.9(1); 6 rows, 2 bins of 3.
  // bin 0: mean (0.1+0.2+0.3)/3 = 0.2, observed 1/3; bin 1: mean (0.6+0.8+0.9)/3 = 0.7667, observed 2/3.
  const bins = reliabilityBins(f32([0.9, 0.1, 0.6, 0.3, 0.2, 0.8, 0.5]), f32([1, 0, 0, 1, 0, 1, -1]), 2);
  assert.equal(bins.length, 2);
  assert.deepEqual(bins.map((b) => b.count), [3, 3]);
  close(bins[0].meanPred, 0.2);
  close(bins[0].observed, 1 / 3);
  close(bins[0].lo, 0.1);
  close(bins[0].hi, 0.3);
  close(bins[1].meanPred, (0.6 + 0.8 + 0.9) / 3);
  close(bins[1].observed, 2 / 3);
});

test('reliabilityBins: uneven counts differ by one; fewer bins than asked when rows are few', () => {
  // 5 rows into 2 bins: cuts at floor(5/2) = 2 -> counts 2 and 3.
  assert.deepEqual(reliabilityBins(f32([0.1, 0.2, 0.3, 0.4, 0.5]), f32([0, 0, 0, 1, 1]), 2).map((b) => b.count), [2, 3]);
  assert.equal(reliabilityBins(f32([0.1, 0.2]), f32([0, 1]), 10).length, 2);
  assert.deepEqual(reliabilityBins(f32([0.3]), f32([-1]), 4), []);
  assert.throws(() => reliabilityBins(f32([0.1]), f32([1]), 0), /bins/);
});
