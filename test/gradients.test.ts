// Finite-difference gradient checks: every layer on its own, then every architecture end to
// end through the masked loss. Central differences in float32 with a relative tolerance.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArchConfig } from '../model/arch/builder.ts';
import { ARCHITECTURES, buildGraph, type ArchName } from '../model/arch/index.ts';
import type { BackwardCtx, Op } from '../model/engine/graph.ts';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import { Concat } from '../model/engine/ops/concat.ts';
import { Dense } from '../model/engine/ops/dense.ts';
import { Dropout } from '../model/engine/ops/dropout.ts';
import { Multiply, Sigmoid } from '../model/engine/ops/elementwise.ts';
import { EmbedFields } from '../model/engine/ops/embed.ts';
import { DotInteraction } from '../model/engine/ops/interaction.ts';
import { MixExperts } from '../model/engine/ops/mix.ts';
import { MeanPool } from '../model/engine/ops/pool.ts';
import { RowDot } from '../model/engine/ops/row-dot.ts';
import { Softmax } from '../model/engine/ops/softmax.ts';
import { DenseParam, EmbeddingTable, initParams } from '../model/engine/params.ts';
import { Rng } from '../model/engine/rng.ts';
import { SparseGrad } from '../model/engine/sparse-grad.ts';
import { Workspace } from '../model/engine/workspace.ts';
import { fillRandom, tinyConfig, tinyLayout, tinyTasks } from './helpers/tiny.ts';

const k = createJsKernels();
// Large enough for float32 round-off; steps that cross a ReLU kink are detected below.
const EPS = 1e-3;

function close(analytic: number, numeric: number, what: string): void {
  const err = Math.abs(analytic - numeric);
  assert.ok(err <= 2e-3 + 3e-2 * Math.max(Math.abs(analytic), Math.abs(numeric)), `${what}: analytic ${analytic} vs numeric ${numeric}`);
}

/** Numeric derivative of f() with respect to x[i] (restores x[i]). */
function fd(x: Float32Array, i: number, f: () => number): number {
  const x0 = x[i];
  x[i] = x0 + EPS;
  const up = f();
  x[i] = x0 - EPS;
  const down = f();
  x[i] = x0;
  return (up - down) / (2 * EPS);
}

function randomFill(a: Float32Array, rng: Rng, scale = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Checks one op: L = sum(r * out) for a random r; inputs, dense params and embedding rows. */
function checkOp(op: Op, inDims: number[], outDim: number, n: number, seed: number, batch = tinyBatch(n, seed), noise: number | null = null) {
  const rng = new Rng(seed);
  const ins = inDims.map((d) => randomFill(new Float32Array(n * d), rng));
  const r = randomFill(new Float32Array(n * outDim), rng);
  const out = new Float32Array(n * outDim);
  const grads = new Map(op.dense.map((p) => [p, new Float32Array(p.size)]));
  const sparse = new Map(op.tables.map((t) => [t, new SparseGrad(t.rows, t.dim, 1000, k)]));
  const ctx: BackwardCtx = { k, n, batch, noise, denseGrad: (p) => grads.get(p)!, sparseGrad: (t) => sparse.get(t)! };
  const loss = () => {
    op.forward(ctx, ins, out);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += r[i] * out[i];
    return s;
  };
  loss();
  const dIns = inDims.map((d) => new Float32Array(n * d));
  op.backward(ctx, ins, out.slice(), r.slice(), dIns);
  ins.forEach((x, j) => {
    for (let i = 0; i < x.length; i++) close(dIns[j][i], fd(x, i, loss), `${op.type} input ${j}[${i}]`);
  });
  for (const [p, g] of grads) for (let i = 0; i < p.size; i++) close(g[i], fd(p.data, i, loss), `${op.type} ${p.name}[${i}]`);
  for (const [t, g] of sparse) {
    assert.ok(g.count > 0, `${op.type}: no embedding row touched`);
    for (let row = 1; row < t.rows; row++) {
      for (let j = 0; j < t.dim; j++) {
        const a = g.has(row) ? g.grad[row * t.dim + j] : 0;
        close(a, fd(t.data, row * t.dim + j, loss), `${op.type} table row ${row}[${j}]`);
      }
    }
  }
}

function tinyBatch(n: number, seed: number) {
  const w = new Workspace(buildGraph('lr', k, tinyLayout, tinyTasks, tinyConfig), k, tinyLayout, n);
  fillRandom(w, n, seed);
  return w.batch;
}

function param(name: string, shape: number[], seed: number): DenseParam {
  const p = new DenseParam(name, shape, { kind: 'zeros' }, k);
  randomFill(p.data, new Rng(seed), 0.5);
  return p;
}

function table(seed: number): EmbeddingTable {
  const t = new EmbeddingTable('emb', tinyLayout.tableRows, 3, 0.5, k);
  initParams({ dense: [], tables: [t] }, new Rng(seed));
  return t;
}

test('dense layer gradients (linear and relu)', () => {
  checkOp(new Dense(param('w', [4, 3], 1), param('b', [3], 2), 4, 3, 'linear'), [4], 3, 5, 10);
  checkOp(new Dense(param('w', [4, 3], 3), param('b', [3], 4), 4, 3, 'relu'), [4], 3, 5, 11);
});

test('softmax, sigmoid, multiply, concat, mixture-of-experts, dot-interaction gradients', () => {
  checkOp(new Softmax(4), [4], 4, 3, 12);
  checkOp(new Sigmoid(2), [2], 2, 4, 13);
  checkOp(new Multiply(2), [2, 2], 2, 4, 14);
  checkOp(new Concat([2, 3, 1]), [2, 3, 1], 6, 3, 15);
  checkOp(new MixExperts(3, 2), [3, 2, 2, 2], 2, 4, 16);
  checkOp(new DotInteraction(4, 3), [12], 6, 3, 17);
  checkOp(new RowDot(3, 0.7), [3, 3], 1, 4, 18);
});

test('dropout: a training pass zeroes about rate of the activations and scales the rest by 1 / (1 - rate); prediction passes through; gradients checked', () => {
  // With a fixed noise word the mask is fixed, so finite differences see a linear map.
  checkOp(new Dropout(8, 0.3, 0), [8], 8, 6, 24, undefined, 0x1234abcd);
  checkOp(new Dropout(8, 0.3, 0), [8], 8, 6, 25);
  const n = 500;
  const width = 40;
  const x = new Float32Array(n * width).fill(2);
  const run = (op: Dropout, noise: number | null) => {
    const out = new Float32Array(n * width);
    op.forward({ k, n, batch: tinyBatch(1, 1), noise }, [x], out);
    return out;
  };
  const op = new Dropout(width, 0.3, 0);
  const a = run(op, 7);
  const dropped = a.filter((v) => v === 0).length / a.length;
  // 20,000 draws: the share's sd is 0.0032.
  assert.ok(Math.abs(dropped - 0.3) < 0.015, `dropped ${dropped}`);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 2 / 0.7) < 1e-6), 'kept values are scaled by 1 / (1 - rate)');
  const overlap = (b: Float32Array) => a.filter((v, i) => v === 0 && b[i] === 0).length / a.length;
  // Another step's word, or another layer (salt), draws an independent mask: ~0.09 dropped in both.
  for (const b of [run(op, 8), run(new Dropout(width, 0.3, 1), 7)]) assert.ok(Math.abs(overlap(b) - 0.09) < 0.015, `overlap ${overlap(b)}`);
  assert.deepEqual(run(op, 7), a, 'the same word gives the same mask');
  assert.deepEqual(run(op, null), x, 'prediction drops nothing');
  assert.deepEqual(run(new Dropout(width, 0, 0), 7), x, 'rate 0 drops nothing');
  assert.throws(() => new Dropout(4, 1, 0), /dropout rate must be in \[0, 1\)/);
});

test('embedding gather and mean-pool gradients reach exactly the touched rows', () => {
  checkOp(new EmbedFields(table(20), tinyLayout.categorical.length), [], tinyLayout.categorical.length * 3, 4, 21);
  checkOp(new MeanPool(table(22), 0, 3), [], 3, 5, 23);
});

/** Finite differences of the whole masked loss (with any order penalties) against backward. */
/** `step` >= 1: a training pass of that step (its dropout masks, the same in every pass of the check). */
function checkArch(arch: ArchName, cfg: ArchConfig = tinyConfig, step = 0): Workspace {
  const graph = buildGraph(arch, k, tinyLayout, tinyTasks, cfg);
  const n = 6;
  const w = new Workspace(graph, k, tinyLayout, n);
  initParams(graph.params(), new Rng(5));
  for (const t of graph.params().tables) randomFill(t.data.subarray(t.dim), new Rng(6), 0.5);
  // Non-zero biases: with zero biases a dead ReLU layer feeds the next one exactly 0, a kink
  // where finite differences and the (sub)gradient legitimately disagree.
  for (const p of graph.params().dense) if (p.init.kind === 'zeros') randomFill(p.data, new Rng(9), 0.1);
  fillRandom(w, n, 7);
  const T = tinyTasks.length;
  const loss = () => {
    w.forward(n, step);
    w.backward();
    let s = 0;
    for (let t = 0; t < T; t++) s += w.taskScale[t] * w.lossSum[t];
    return s;
  };
  loss();
  const dense = graph.params().dense.map((p) => w.denseGrad(p).slice());
  const tables = graph.params().tables.map((t) => {
    const g = w.sparseGrad(t);
    const full = new Float32Array(t.rows * t.dim);
    for (let i = 0; i < g.count; i++) {
      const r = g.touched[i];
      full.set(g.grad.subarray(r * t.dim, (r + 1) * t.dim), r * t.dim);
    }
    return full;
  });
  const rng = new Rng(8);
  let checked = 0;
  let kinks = 0;
  // A step that crosses a ReLU kink gives a difference quotient that changes with the step
  // size; such coordinates are skipped (and counted), every other one must match.
  // Detected by one-sided differences that disagree (a smooth function has the same slope
  // on both sides at this step size).
  const check = (analytic: number, x: Float32Array, i: number, what: string) => {
    const x0 = x[i];
    const f0 = loss();
    x[i] = x0 + EPS;
    const up = loss();
    x[i] = x0 - EPS;
    const down = loss();
    x[i] = x0;
    const right = (up - f0) / EPS;
    const left = (f0 - down) / EPS;
    if (Math.abs(right - left) > 1e-3 + 0.05 * Math.max(Math.abs(right), Math.abs(left))) {
      kinks++;
      return;
    }
    checked++;
    close(analytic, (up - down) / (2 * EPS), what);
  };
  graph.params().dense.forEach((p, pi) => {
    for (let c = 0; c < Math.min(p.size, 6); c++) {
      const i = rng.u32() % p.size;
      check(dense[pi][i], p.data, i, `${arch} ${p.name}[${i}]`);
    }
  });
  graph.params().tables.forEach((t, ti) => {
    for (let c = 0; c < 12; c++) {
      const i = t.dim + (rng.u32() % (t.data.length - t.dim));
      check(tables[ti][i], t.data, i, `${arch} ${t.name}[${i}]`);
    }
  });
  assert.ok(kinks <= 0.1 * (checked + kinks), `${arch}: ${kinks} of ${checked + kinks} coordinates sat on a kink`);
  return w;
}

for (const arch of Object.keys(ARCHITECTURES) as ArchName[]) {
  test(`${arch}: end-to-end gradient of the masked multi-task loss`, () => {
    checkArch(arch);
  });
}

for (const arch of ['mmoe', 'aitm', 'shared-bottom'] as ArchName[]) {
  test(`${arch} with dropout: gradient of a training pass; prediction is the plain graph's, training passes differ by step`, () => {
    const cfg = { ...tinyConfig, dropout: 0.3 };
    const w = checkArch(arch, cfg, 3);
    const graph = w.graph;
    assert.ok(graph.nodes.some((nd) => nd.op instanceof Dropout), 'no dropout layer in the graph');
    const probs = (step: number) => {
      w.forward(w.n, step);
      return graph.outputs.map((_, t) => w.prob(t).slice());
    };
    const predicted = probs(0);
    assert.notDeepEqual(probs(3), predicted, 'a training pass drops activations');
    assert.notDeepEqual(probs(4), probs(3), 'each step draws its own masks');
    // The same weights in the graph without dropout predict the same.
    const plain = new Workspace(buildGraph(arch, k, tinyLayout, tinyTasks, tinyConfig), k, tinyLayout, w.n);
    plain.graph.params().dense.forEach((p, i) => p.data.set(graph.params().dense[i].data));
    plain.graph.params().tables.forEach((t, i) => t.data.set(graph.params().tables[i].data));
    plain.batch.cat.set(w.batch.cat);
    w.batch.multi.forEach((m, j) => plain.batch.multi[j].set(m));
    plain.batch.num.set(w.batch.num);
    plain.forward(w.n);
    assert.deepEqual(graph.outputs.map((_, t) => plain.prob(t).slice()), predicted);
  });
}

test('aitm: the calibrator adds weight * max(p(purchase) - p(click), 0) to purchase on its labelled rows, gradient checked', () => {
  const weight = 3;
  const w = checkArch('aitm', { ...tinyConfig, aitmCalibration: weight });
  const T = tinyTasks.length;
  const [click, purchase] = [0, 1];
  let bce = 0;
  let penalty = 0;
  const pc = w.prob(click);
  const pp = w.prob(purchase);
  for (let i = 0; i < w.n; i++) {
    const y = w.labels[i * T + purchase];
    if (y < 0) continue;
    bce -= y > 0 ? Math.log(pp[i]) : Math.log(1 - pp[i]);
    penalty += weight * Math.max(pp[i] - pc[i], 0);
  }
  assert.ok(penalty > 0, 'the random model should violate the funnel order on some row');
  assert.ok(Math.abs(w.lossSum[purchase] - (bce + penalty)) < 1e-4, `purchase loss ${w.lossSum[purchase]} vs bce ${bce} + penalty ${penalty}`);
  // Without the calibrator the graph declares no penalty.
  assert.equal(buildGraph('aitm', k, tinyLayout, tinyTasks, { ...tinyConfig, aitmCalibration: 0 }).penalties.length, 0);
  assert.deepEqual(buildGraph('aitm', k, tinyLayout, tinyTasks, tinyConfig).penalties, [{ child: 'purchase', parent: 'click', weight: tinyConfig.aitmCalibration }]);
});
