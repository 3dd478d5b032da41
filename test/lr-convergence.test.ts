// `--arch lr` is the floor of every comparison table, so it must reach the optimum of its
// convex loss: trained with the default budget it must score what a logistic regression
// fitted to convergence (Newton's method on the same one-hot design) scores, within 0.002 AUC.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import type { DataSource, Example, Split } from '../model/data/source.ts';
import { createKernels } from '../model/engine/kernels/index.ts';
import { Rng } from '../model/engine/rng.ts';
import { auc, column } from '../model/metrics/index.ts';
import { chooseBudget } from '../model/train/budget.ts';
import type { EncodedSplit } from '../model/train/dataset.ts';
import { evaluateGraph } from '../model/train/evaluate.ts';
import { prepare } from '../model/train/prepare.ts';
import { train } from '../model/train/trainer.ts';

const LEVELS = [8, 12, 5];

/** A logistic ground truth over three categoricals and two numerics (one skewed). */
function toySource(): DataSource {
  const rng = new Rng(5);
  const effects = LEVELS.map((k) => Array.from({ length: k }, () => rng.normal() * 0.8));
  const rows: Record<Split, Example[]> = { train: [], valid: [], test: [] };
  for (let i = 0; i < 8000; i++) {
    const c = LEVELS.map((k) => rng.u32() % k);
    const x1 = rng.normal();
    const x2 = Math.exp(rng.normal());
    const logit = -0.7 + c.reduce((a, v, f) => a + effects[f][v], 0) + 0.9 * x1 - 0.4 * Math.log1p(x2);
    const y = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const split: Split = i < 6000 ? 'train' : i < 7000 ? 'valid' : 'test';
    rows[split].push({ features: { a: `a${c[0]}`, b: `b${c[1]}`, c: `c${c[2]}`, x1, x2 }, labels: [y], kind: 'item', group: String(i), time: i });
  }
  return {
    name: 'toy-logistic',
    features: [
      { name: 'a', entity: 'user', kind: 'categorical', buckets: 997 },
      { name: 'b', entity: 'item', kind: 'categorical', buckets: 997 },
      { name: 'c', entity: 'context', kind: 'categorical', buckets: 997 },
      { name: 'x1', entity: 'item', kind: 'numeric', transform: 'identity', mean: 0, std: 1 },
      { name: 'x2', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 0, std: 1 },
    ],
    tasks: [{ name: 'click', appliesTo: 'item' }],
    examples: (s) => rows[s],
    describe: () => ({}),
  };
}

/** The design matrix of the encoded rows: one-hot of every used embedding row, the numerics, 1. */
function design(split: EncodedSplit, width: number, D: number, columns: Map<number, number>): Float64Array[] {
  return Array.from({ length: split.n }, (_, i) => {
    const x = new Float64Array(columns.size + D + 1);
    for (let c = 0; c < width; c++) {
      const j = columns.get(split.batch.cat[i * width + c]);
      if (j !== undefined) x[j] = 1;
    }
    for (let d = 0; d < D; d++) x[columns.size + d] = split.batch.num[i * D + d];
    x[columns.size + D] = 1;
    return x;
  });
}

/** Newton's method (IRLS) with a tiny ridge (the one-hot blocks are collinear with the intercept). */
function newtonLogistic(X: Float64Array[], y: Float32Array, iterations = 30): Float64Array {
  const p = X[0].length;
  const w = new Float64Array(p);
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(p);
    const H = Array.from({ length: p }, () => new Float64Array(p));
    for (let i = 0; i < X.length; i++) {
      const x = X[i];
      let z = 0;
      for (let j = 0; j < p; j++) z += w[j] * x[j];
      const q = 1 / (1 + Math.exp(-z));
      const s = q * (1 - q);
      for (let j = 0; j < p; j++) {
        if (!x[j]) continue;
        g[j] += (q - y[i]) * x[j];
        for (let k = 0; k < p; k++) if (x[k]) H[j][k] += s * x[j] * x[k];
      }
    }
    for (let j = 0; j < p; j++) {
      g[j] += 1e-3 * w[j];
      H[j][j] += 1e-3;
    }
    // Solve H d = g by Gaussian elimination (p is a few dozen).
    const A = H.map((r, j) => [...r, g[j]]);
    for (let c = 0; c < p; c++) {
      let piv = c;
      for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
      [A[c], A[piv]] = [A[piv], A[c]];
      for (let r = 0; r < p; r++) {
        if (r === c) continue;
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= p; k++) A[r][k] -= f * A[c][k];
      }
    }
    for (let j = 0; j < p; j++) w[j] -= A[j][p] / A[j][j];
  }
  return w;
}

test('lr with the default budget reaches the test AUC of a converged logistic regression (within 0.002)', async () => {
  const data = prepare(toySource(), { numericBins: 0 });
  const { train: tr, valid, test: te } = data.splits;
  const width = data.layout.catWidth;
  const D = data.layout.numeric.length;
  const columns = new Map<number, number>();
  for (const r of tr.batch.cat) if (!columns.has(r)) columns.set(r, columns.size);
  const w = newtonLogistic(design(tr, width, D, columns), column(tr.labels, 1, 0));
  const refTest = design(te, width, D, columns).map((x) => 1 / (1 + Math.exp(-x.reduce((a, v, j) => a + v * w[j], 0))));
  const refAuc = auc(Float32Array.from(refTest), column(te.labels, 1, 0));

  const k = await createKernels('wasm-simd');
  const budget = chooseBudget(tr.n);
  const r = await train(k, { layout: data.layout, tasks: data.tasks, train: tr, valid }, { arch: 'lr', cfg: DEFAULT_ARCH_CONFIG, ...budget, lr: 0.002, seed: 1, shards: 2, weighting: 'fixed', threads: 1 });
  const ours = evaluateGraph(k, r.graph, data.layout, data.tasks, valid, te).metrics.click.test.auc;
  assert.ok(refAuc > 0.7, `reference AUC ${refAuc}`);
  assert.ok(Math.abs(ours - refAuc) <= 0.002, `lr ${ours.toFixed(4)} vs converged ${refAuc.toFixed(4)}`);
});
