// Metrics against hand-computed cases (the arithmetic is written out next to each expectation)
// and against brute-force definitions on random data with many ties.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  auc,
  bestThreshold,
  calibration,
  classificationAt,
  gauc,
  logloss,
  taskReport,
} from '../model/metrics/index.ts';

const f32 = (xs: number[]) => new Float32Array(xs);
const f64 = (xs: number[]) => new Float64Array(xs);
const i32 = (xs: number[]) => new Int32Array(xs);
const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

/** Deterministic PRNG (mulberry32) so a failing random case can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** AUC by its definition: over all positive-negative pairs, 1 if pos > neg, 1/2 if equal. */
function pairwiseAuc(pred: ArrayLike<number>, label: ArrayLike<number>): number {
  let credit = 0;
  let pairs = 0;
  for (let i = 0; i < label.length; i++) {
    if (label[i] !== 1) continue;
    for (let j = 0; j < label.length; j++) {
      if (label[j] !== 0) continue;
      pairs++;
      credit += pred[i] > pred[j] ? 1 : pred[i] === pred[j] ? 0.5 : 0;
    }
  }
  return pairs === 0 ? NaN : credit / pairs;
}

// ---------------------------------------------------------------- AUC

test('auc: no ties', () => {
  // positives {0.35, 0.8}, negatives {0.1, 0.4}:
  // 0.35 > 0.1 (1), 0.35 < 0.4 (0), 0.8 > 0.1 (1), 0.8 > 0.4 (1) -> 3 / 4
  assert.equal(auc(f32([0.1, 0.4, 0.35, 0.8]), f32([0, 0, 1, 1])), 0.75);
});

test('auc: a tied positive-negative pair earns 1/2', () => {
  // positives {0.5, 0.9}, negatives {0.2, 0.5}:
  // 0.5 vs 0.2 -> 1, 0.5 vs 0.5 -> 1/2, 0.9 vs both -> 2; total 3.5 / 4 = 0.875.
  // Mid-ranks: 0.2 -> 1, 0.5 -> 2.5, 0.5 -> 2.5, 0.9 -> 4; U = (2.5 + 4) - 2*3/2 = 3.5. Same.
  assert.equal(auc(f64([0.2, 0.5, 0.5, 0.9]), f32([0, 1, 0, 1])), 0.875);
});

test('auc: all predictions tied -> 0.5; perfect -> 1; inverted -> 0', () => {
  assert.equal(auc(f32([0.3, 0.3, 0.3, 0.3]), f32([1, 0, 0, 1])), 0.5);
  assert.equal(auc(f32([0.9, 0.1, 0.2]), f32([1, 0, 0])), 1);
  assert.equal(auc(f32([0.1, 0.9, 0.8]), f32([1, 0, 0])), 0);
});

test('auc: one class only (or nothing labelled) -> NaN', () => {
  assert.ok(Number.isNaN(auc(f32([0.1, 0.9]), f32([1, 1]))));
  assert.ok(Number.isNaN(auc(f32([0.1, 0.9]), f32([0, 0]))));
  assert.ok(Number.isNaN(auc(f32([0.1, 0.9, 0.5]), f32([1, -1, -1]))));
  assert.ok(Number.isNaN(auc(f32([]), f32([]))));
});

test('auc: masked rows are ignored whatever their prediction', () => {
  const label = f32([0, 0, 1, 1, -1, -1]);
  // Same labelled rows as the 0.75 case; the masked rows would change the answer if counted
  // (as a positive at 0.99 or a negative at 0.0 they add winning pairs).
  assert.equal(auc(f32([0.1, 0.4, 0.35, 0.8, 0.99, 0.0]), label), 0.75);
  assert.equal(auc(f32([0.1, 0.4, 0.35, 0.8, 0.0, 0.99]), label), 0.75);
  // Any label other than 0/1 is masked, not only -1.
  assert.equal(auc(f32([0.1, 0.4, 0.35, 0.8, 0.99, 0.0]), f32([0, 0, 1, 1, 2, NaN])), 0.75);
});

test('auc equals the O(n^2) pairwise definition on random rows with many ties', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed);
    const n = 200;
    const pred = new Float32Array(n);
    const label = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      pred[i] = Math.floor(r() * 11) / 10; // only 11 distinct values -> many ties
      const u = r();
      label[i] = u < 0.1 ? -1 : u < 0.45 ? 1 : 0;
    }
    close(auc(pred, label), pairwiseAuc(pred, label));
  }
});

test('metrics reject mismatched lengths and NaN predictions on labelled rows', () => {
  assert.throws(() => auc(f32([0.1, 0.2]), f32([1])), RangeError);
  assert.throws(() => auc(f32([NaN, 0.2]), f32([1, 0])), RangeError);
  assert.throws(() => gauc(f32([0.1, 0.2]), f32([1, 0]), i32([0])), RangeError);
  // A NaN on a masked row is fine: the row does not exist for the metric.
  assert.equal(auc(f32([NaN, 0.2, 0.1]), f32([-1, 1, 0])), 1);
});

// ---------------------------------------------------------------- GAUC

// Rows interleaved across groups on purpose (the grouping must not rely on input order).
//   group 0: pred 0.9 (+), 0.2 (-), 0.6 (-)            -> 0.9 beats both: AUC 2/2 = 1, n = 3
//   group 1: pred 0.3 (+), 0.7 (-), 0.5 (+), 0.1 (-), 0.5 (-), plus a masked row at 0.99
//            0.3: beats 0.1 -> 1;  0.5: beats 0.1 -> 1, ties 0.5 -> 1/2, loses to 0.7
//            AUC = 2.5 / 6 = 5/12, n = 5 (the masked row does not count)
//   group 2: two positives only -> no AUC, skipped
// GAUC = (3 * 1 + 5 * 5/12) / (3 + 5) = (36/12 + 25/12) / 8 = 61/96
const gPred = f32([0.9, 0.3, 0.8, 0.7, 0.2, 0.5, 0.99, 0.1, 0.6, 0.4, 0.5]);
const gLabel = f32([1, 1, 1, 0, 0, 1, -1, 0, 0, 1, 0]);
const gGroup = [0, 1, 2, 1, 0, 1, 1, 1, 0, 2, 1];

test('gauc: weighted by labelled rows, single-class groups excluded', () => {
  close(gauc(gPred, gLabel, i32(gGroup)), 61 / 96);
  // Differs from the global AUC, so the test would catch gauc falling back to auc.
  assert.notEqual(auc(gPred, gLabel), 61 / 96);
});

test('gauc: sparse or negative group keys give the same result as dense ones', () => {
  // Range ~2e9 forces the sorted-distinct-keys path instead of key - min.
  const remap: Record<number, number> = { 0: 2_000_000_000, 1: -2_000_000_000, 2: 7 };
  close(gauc(gPred, gLabel, i32(gGroup.map((g) => remap[g]))), 61 / 96);
});

test('gauc: NaN when no group holds both classes', () => {
  assert.ok(Number.isNaN(gauc(f32([0.1, 0.9, 0.4]), f32([1, 0, -1]), i32([0, 1, 0]))));
  assert.ok(Number.isNaN(gauc(f32([0.1]), f32([-1]), i32([0]))));
});

test('gauc equals the weighted mean of per-group pairwise AUC on random data', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = rng(100 + seed);
    const n = 300;
    const pred = new Float64Array(n);
    const label = new Float32Array(n);
    const group = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      pred[i] = Math.floor(r() * 6) / 5;
      const u = r();
      label[i] = u < 0.15 ? -1 : u < 0.4 ? 1 : 0;
      group[i] = Math.floor(r() * 25);
    }
    let weighted = 0;
    let weight = 0;
    for (let g = 0; g < 25; g++) {
      const rows = [...group.keys()].filter((i) => group[i] === g);
      const a = pairwiseAuc(rows.map((i) => pred[i]), rows.map((i) => label[i]));
      if (Number.isNaN(a)) continue;
      const w = rows.filter((i) => label[i] === 0 || label[i] === 1).length;
      weighted += w * a;
      weight += w;
    }
    close(gauc(pred, label, group), weighted / weight);
  }
});

// ---------------------------------------------------------------- logloss

test('logloss: by hand, with clipping of 0 and 1', () => {
  // (0.9, y=1): -ln 0.9          = 0.105360515657826
  // (0.2, y=0): -ln 0.8          = 0.223143551314210
  // (0.0, y=1): -ln(1e-7)        = 16.118095650958320  (0 clipped up to 1e-7, not Infinity)
  // (1.0, y=1): -ln(1 - 1e-7)    = 0.000000100000005   (1 clipped down to 1 - 1e-7)
  // (0.5, masked): ignored
  // mean = 16.446599818 / 4 = 4.111649954...
  const expected = (0.105360515657826 + 0.22314355131421 + 16.11809565095832 + 1.00000005e-7) / 4;
  close(logloss(f64([0.9, 0.2, 0, 1, 0.5]), f32([1, 0, 1, 1, -1])), expected, 1e-12);
  // A confident wrong 1 for a negative costs the same clipped 16.118..., finite.
  close(logloss(f64([1]), f32([0])), 16.11809565095832, 1e-6);
  assert.ok(Number.isNaN(logloss(f64([0.3]), f32([-1]))));
});

// ---------------------------------------------------------------- threshold and confusion

test('bestThreshold: maximises F1 over distinct predictions', () => {
  // pred  0.9 0.8 0.7 0.6 0.5 0.4, label 1 0 1 1 0 0 (3 positives); F1 = 2tp / (2tp + fp + fn)
  //   t=0.9: tp1 fp0 fn2 -> 2/4 = 0.5
  //   t=0.8: tp1 fp1 fn2 -> 2/5 = 0.4
  //   t=0.7: tp2 fp1 fn1 -> 4/6 = 0.667
  //   t=0.6: tp3 fp1 fn0 -> 6/7 = 0.857   <- best
  //   t=0.5: tp3 fp2 fn0 -> 6/8 = 0.75
  //   t=0.4: tp3 fp3 fn0 -> 6/9 = 0.667
  const pred = f64([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);
  const label = f32([1, 0, 1, 1, 0, 0]);
  assert.equal(bestThreshold(pred, label), 0.6);
  assert.deepEqual(classificationAt(pred, label, 0.6), {
    accuracy: 5 / 6, precision: 3 / 4, recall: 1, f1: 6 / 7, tp: 3, fp: 1, tn: 2, fn: 0,
  });
});

test('bestThreshold: equal F1 keeps the highest threshold; tied predictions move together', () => {
  // pred 0.9 0.5 0.3 0.2, label 1 0 0 1:
  //   t=0.9: tp1 fp0 fn1 -> 2/3;  t=0.5: 2/4;  t=0.3: 2/5;  t=0.2: tp2 fp2 fn0 -> 4/6 = 2/3
  // 0.9 and 0.2 tie at 2/3: the policy picks 0.9.
  assert.equal(bestThreshold(f64([0.9, 0.5, 0.3, 0.2]), f32([1, 0, 0, 1])), 0.9);
  // pred 0.7 0.7 0.3, label 1 0 1: t=0.7 admits both 0.7 rows (pred >= t): tp1 fp1 fn1 -> 0.5;
  // t=0.3: tp2 fp1 fn0 -> 0.8. The 0.7 row pair cannot be split by any threshold.
  assert.equal(bestThreshold(f64([0.7, 0.7, 0.3]), f32([1, 0, 1])), 0.3);
  assert.deepEqual(classificationAt(f64([0.7, 0.7, 0.3]), f32([1, 0, 1]), 0.7), {
    accuracy: 1 / 3, precision: 1 / 2, recall: 1 / 2, f1: 1 / 2, tp: 1, fp: 1, tn: 0, fn: 1,
  });
});

test('bestThreshold: masked rows ignored; only negatives -> NaN; only positives -> lowest pred', () => {
  // A masked row at 0.95 would otherwise be the first candidate.
  assert.equal(bestThreshold(f64([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.95]), f32([1, 0, 1, 1, 0, 0, -1])), 0.6);
  assert.ok(Number.isNaN(bestThreshold(f64([0.2, 0.8]), f32([0, 0]))));
  assert.equal(bestThreshold(f64([0.2, 0.8]), f32([1, 1])), 0.2); // everything positive: F1 = 1
});

test('bestThreshold returned from Float32 predictions reproduces its F1 on the same array', () => {
  // Float32 0.6 is 0.60000002384..., the threshold must be that value, not 0.6.
  const pred = f32([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);
  const label = f32([1, 0, 1, 1, 0, 0]);
  const t = bestThreshold(pred, label);
  assert.equal(t, Math.fround(0.6));
  assert.equal(classificationAt(pred, label, t).tp, 3);
});

test('classificationAt: nothing predicted positive -> precision 0, F1 0; masked rows ignored', () => {
  // threshold 0.95 above every labelled pred: tp0 fp0, fn2, tn1; the masked 0.99 row is not a fp.
  assert.deepEqual(classificationAt(f64([0.7, 0.7, 0.3, 0.99]), f32([1, 0, 1, -1]), 0.95), {
    accuracy: 1 / 3, precision: 0, recall: 0, f1: 0, tp: 0, fp: 0, tn: 1, fn: 2,
  });
  // No labelled positive and nothing predicted positive: recall and F1 are 0, not NaN.
  const none = classificationAt(f64([0.1, 0.2]), f32([0, 0]), 0.5);
  assert.equal(none.recall, 0);
  assert.equal(none.f1, 0);
  assert.equal(none.accuracy, 1);
});

// ---------------------------------------------------------------- calibration

test('calibration: ECE by hand with 10 bins', () => {
  // pred 0.05 0.15 0.12 0.85 0.95 0.55, label 0 0 1 1 1 0 (n = 6)
  //   bin 0 [0.0,0.1): {0.05}       mean 0.05,  observed 0   -> |gap| 0.05,  weight 1/6
  //   bin 1 [0.1,0.2): {0.15, 0.12} mean 0.135, observed 0.5 -> |gap| 0.365, weight 2/6
  //   bin 5 [0.5,0.6): {0.55}       mean 0.55,  observed 0   -> |gap| 0.55,  weight 1/6
  //   bin 8 [0.8,0.9): {0.85}       mean 0.85,  observed 1   -> |gap| 0.15,  weight 1/6
  //   bin 9 [0.9,1.0]: {0.95}       mean 0.95,  observed 1   -> |gap| 0.05,  weight 1/6
  // ECE = (0.05 + 2*0.365 + 0.55 + 0.15 + 0.05) / 6 = 1.53 / 6 = 0.255
  // meanPred = 2.67 / 6 = 0.445, observedRate = 3 / 6 = 0.5
  const c = calibration(f64([0.05, 0.15, 0.12, 0.85, 0.95, 0.55, 0.5]), f32([0, 0, 1, 1, 1, 0, -1]));
  close(c.ece, 0.255);
  close(c.meanPred, 0.445);
  assert.equal(c.observedRate, 0.5);
  assert.equal(c.n, 6);
  assert.deepEqual(c.bins.map((b) => b.count), [1, 2, 0, 0, 0, 1, 0, 0, 1, 1]);
  close(c.bins[1].meanPred, 0.135);
  assert.equal(c.bins[1].observed, 0.5);
  assert.ok(Number.isNaN(c.bins[2].meanPred) && Number.isNaN(c.bins[2].observed));
  assert.equal(c.bins[9].lo, 0.9);
  assert.equal(c.bins[9].hi, 1);
});

test('calibration: bin edges (lower edge inclusive, 1 in the last bin)', () => {
  // bins = 2: pred 0 and 0.2 -> bin 0 (mean 0.1, observed 0, gap 0.1);
  //           pred 0.5 and 1 -> bin 1 (mean 0.75, observed 1, gap 0.25)
  // ECE = (2*0.1 + 2*0.25) / 4 = 0.175
  const c = calibration(f64([0, 0.5, 1, 0.2]), f32([0, 1, 1, 0]), 2);
  assert.deepEqual(c.bins.map((b) => b.count), [2, 2]);
  close(c.ece, 0.175);
  assert.throws(() => calibration(f64([0.5]), f32([1]), 0), RangeError);
});

// ---------------------------------------------------------------- task report

test('taskReport: threshold chosen on validation, applied to test', () => {
  // Validation is the bestThreshold case above: threshold 0.6.
  const validPred = f64([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);
  const validLabel = f32([1, 0, 1, 1, 0, 0]);
  // Test: pred 0.65 (+), 0.55 (+), 0.3 (-), 0.9 (-), plus a masked row, one user.
  //   at 0.6: 0.65 tp, 0.55 fn, 0.3 tn, 0.9 fp -> accuracy 2/4, precision 1/2, recall 1/2, F1 1/2
  //   (choosing on test instead would pick 0.55 with F1 4/5: the test below would fail)
  //   AUC: 0.65 beats 0.3, loses to 0.9; 0.55 beats 0.3, loses to 0.9 -> 2/4; GAUC (one user) 0.5
  //   logloss = (-ln 0.65 - ln 0.55 - ln 0.7 - ln 0.1) / 4
  //   ECE (10 bins, one row each): (|0.65-1| + |0.55-1| + |0.3-0| + |0.9-0|) / 4 = 2.0 / 4 = 0.5
  //   mean_pred = 2.4 / 4 = 0.6, observed_rate = 0.5
  const r = taskReport(validPred, validLabel, f64([0.65, 0.55, 0.3, 0.9, 0.2]), f32([1, 1, 0, 0, -1]), i32([3, 3, 3, 3, 3]));
  assert.deepEqual(Object.keys(r).sort(), [
    'accuracy', 'accuracy_05', 'auc', 'ece', 'f1', 'gauc', 'logloss', 'mean_pred', 'n', 'observed_rate', 'positives',
    'precision', 'recall', 'threshold',
  ]);
  assert.equal(r.threshold, 0.6);
  assert.equal(r.accuracy, 0.5);
  // At 0.5: 0.65 tp, 0.55 tp, 0.3 tn, 0.9 fp -> 3/4.
  assert.equal(r.accuracy_05, 0.75);
  assert.equal(r.precision, 0.5);
  assert.equal(r.recall, 0.5);
  assert.equal(r.f1, 0.5);
  assert.equal(r.auc, 0.5);
  assert.equal(r.gauc, 0.5);
  close(r.logloss, -(Math.log(0.65) + Math.log(0.55) + Math.log(0.7) + Math.log(0.1)) / 4);
  close(r.ece, 0.5);
  close(r.mean_pred, 0.6);
  assert.equal(r.observed_rate, 0.5);
  assert.equal(r.n, 4);
  assert.equal(r.positives, 2);
  assert.ok(Number.isNaN(taskReport(validPred, validLabel, f64([0.1, 0.9]), f32([0, 1])).gauc));
});
