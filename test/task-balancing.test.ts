// Per-task gradients for GradNorm and PCGrad: the per-task passes add up to the ordinary
// backward, the plan picks the shared (and the last shared) parameters, the shards' vectors
// are gathered and written back without losing a row, and the two methods' arithmetic on
// hand-computed cases.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { buildGraph, type ArchName } from '../model/arch/index.ts';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import { initParams, type EmbeddingTable } from '../model/engine/params.ts';
import { Rng } from '../model/engine/rng.ts';
import { taskPassPlan } from '../model/engine/task-passes.ts';
import { Workspace } from '../model/engine/workspace.ts';
import { gradnormGradient } from '../model/train/gradnorm.ts';
import { projectedSum } from '../model/train/pcgrad.ts';
import { TaskGradients } from '../model/train/task-gradients.ts';
import { fillRandom, tinyConfig, tinyLayout, tinyTasks } from './helpers/tiny.ts';

const k = createJsKernels();
const cfg = { ...tinyConfig, aitmCalibration: 2 };
const T = tinyTasks.length;

function model(arch: ArchName) {
  const graph = buildGraph(arch, k, tinyLayout, tinyTasks, cfg);
  initParams(graph.params(), new Rng(3));
  for (const p of graph.params().dense) if (p.init.kind === 'zeros') for (let i = 0; i < p.size; i++) p.data[i] = 0.1 * Math.sin(i + 1);
  return graph;
}

function near(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 1e-6 + 1e-5 * Math.max(Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`);
}

/** Row gradients of a table as a map row -> values (summed over the given shards). */
function rows(ws: Workspace[], t: EmbeddingTable): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const w of ws) {
    const g = w.sparseGrad(t);
    for (let r = 0; r < g.count; r++) {
      const row = g.touched[r];
      const acc = out.get(row) ?? new Array<number>(t.dim).fill(0);
      for (let j = 0; j < t.dim; j++) acc[j] += g.grad[row * t.dim + j];
      out.set(row, acc);
    }
  }
  return out;
}

for (const arch of ['shared-bottom', 'mmoe', 'ple', 'esmm', 'aitm'] as ArchName[]) {
  test(`${arch}: the per-task passes add up to the gradient of the summed loss`, () => {
    const graph = model(arch);
    const n = 7;
    const plain = new Workspace(graph, k, tinyLayout, n);
    const split = new Workspace(graph, k, tinyLayout, n, 'shared');
    const last = new Workspace(graph, k, tinyLayout, n, 'last-shared');
    for (const w of [plain, split, last]) {
      fillRandom(w, n, 5);
      w.forward(n);
      w.backward();
    }
    const plan = split.plan!;
    assert.ok(plan.dense.length + plan.tables.length > 0);
    for (let t = 0; t < T; t++) near(split.lossSum[t], plain.lossSum[t], `loss ${t}`);
    for (const p of graph.params().dense) {
      const perTask = split.taskDense.get(p);
      for (let i = 0; i < p.size; i++) {
        let s = 0;
        if (perTask) for (let t = 0; t < T; t++) s += perTask[t * p.size + i];
        near(perTask ? s : split.denseGrad(p)[i], plain.denseGrad(p)[i], `${arch} ${p.name}[${i}]`);
        assert.equal(last.denseGrad(p)[i], plain.denseGrad(p)[i], 'GradNorm keeps the plain backward');
      }
    }
    for (const tb of plan.tables) {
      const want = rows([plain], tb);
      const g = split.sparseGrad(tb);
      const { values, counts } = split.taskSparse.get(tb)!;
      const cap = g.touched.length;
      for (const [row, v] of want) {
        const r = Array.from(g.touched.subarray(0, g.count)).indexOf(row);
        for (let j = 0; j < tb.dim; j++) {
          let s = 0;
          for (let t = 0; t < T; t++) if (r < counts[t]) s += values[(t * cap + r) * tb.dim + j];
          near(s, v[j], `${arch} ${tb.name} row ${row}[${j}]`);
        }
      }
    }
  });
}

test('the plan: shared parameters, and the last shared layer GradNorm measures', () => {
  const names = (arch: ArchName) => taskPassPlan(model(arch), 'last-shared')!.dense.map((p) => p.name);
  assert.deepEqual(names('shared-bottom'), ['bottom.1.w']);
  assert.deepEqual(names('mmoe'), ['expert0.1.w', 'expert1.1.w']);
  assert.deepEqual(names('ple'), ['l1.shared0.0.w', 'l1.shared1.0.w']);
  // ESMM and AITM: redeem shares only the embeddings with the funnel tasks, so they are W.
  for (const arch of ['esmm', 'aitm'] as ArchName[]) {
    const plan = taskPassPlan(model(arch), 'last-shared')!;
    assert.deepEqual([plan.dense.length, plan.tables.map((t) => t.name)], [0, ['emb']], arch);
  }
  // Without redeem, the funnel's trunk: p(click) multiplies into purchase (ESMM); AITM
  // transfers click's tower output (the calibrator adds a loss term, not a shared layer).
  const funnel = tinyTasks.slice(0, 2);
  const last = (arch: ArchName, c = cfg) => taskPassPlan(buildGraph(arch, k, tinyLayout, funnel, c), 'last-shared')!.dense.map((p) => p.name);
  assert.deepEqual(last('esmm'), ['click.out.w']);
  assert.deepEqual(last('aitm'), ['click.tower.1.w']);
  assert.deepEqual(last('aitm', { ...cfg, aitmCalibration: 0 }), ['click.tower.1.w']);
  const shared = taskPassPlan(model('aitm'), 'shared')!;
  assert.deepEqual(shared.tables.map((t) => t.name), ['emb']);
  assert.ok(shared.dense.length > 0 && shared.dense.every((p) => p.name.startsWith('click.')), shared.dense.map((p) => p.name).join());
  for (const arch of ['single', 'lr'] as ArchName[]) assert.equal(taskPassPlan(model(arch), 'shared'), null, `${arch} shares nothing`);
});

test('two shards: gathered task vectors, written back as their sum, are the two shards\' ordinary gradient', () => {
  const graph = model('mmoe');
  const n = 5;
  const plain = [0, 1].map(() => new Workspace(graph, k, tinyLayout, n));
  const split = [0, 1].map(() => new Workspace(graph, k, tinyLayout, n, 'shared'));
  [plain, split].forEach((ws) =>
    ws.forEach((w, s) => {
      fillRandom(w, n, 20 + s);
      w.forward(n);
      w.backward();
    }),
  );
  const g = new TaskGradients(split);
  g.gather();
  const sum = new Float64Array(g.length);
  for (const v of g.vectors) for (let i = 0; i < g.length; i++) sum[i] += v[i];
  g.write(sum);
  for (const p of graph.params().dense) {
    for (let i = 0; i < p.size; i++) near(split[0].denseGrad(p)[i] + split[1].denseGrad(p)[i], plain[0].denseGrad(p)[i] + plain[1].denseGrad(p)[i], `${p.name}[${i}]`);
  }
  const t = graph.params().tables[0];
  const want = rows(plain, t);
  const got = rows(split, t);
  assert.equal(split[1].sparseGrad(t).count, 0, 'everything moved to shard 0');
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [row, v] of want) v.forEach((x, j) => near(got.get(row)![j], x, `row ${row}[${j}]`));
});

test('PCGrad: conflicting gradients lose their component along each other (hand-computed)', () => {
  // g1 = (1, 0), g2 = (-1, 1): g1.g2 = -1. g1' = g1 + g2 / 2 = (0.5, 0.5); g2' = g2 + g1 = (0, 1).
  const v = [new Float64Array([1, 0]), new Float64Array([-1, 1])];
  const sum = new Float64Array(2);
  const projections = [0, 0];
  projectedSum(v, 2, sum, new Float64Array(2), () => {}, new Int32Array([0, 1]), projections);
  assert.deepEqual([...sum], [0.5, 1.5]);
  assert.deepEqual(projections, [1, 1]);
  // No conflict: the plain sum, no projection.
  const w = [new Float64Array([1, 0]), new Float64Array([1, 1])];
  projectedSum(w, 2, sum, new Float64Array(2), () => {}, new Int32Array([0, 1]), projections);
  assert.deepEqual([...sum], [2, 1]);
  assert.deepEqual(projections, [1, 1]);
  // Three tasks, g1 = (1, 0), g2 = (-1, 1), g3 = (-1, -1), each projected in the order 1, 2, 3.
  // g1' : g1 . g2 = -1 -> g1 + g2 / 2 = (0.5, 0.5); (0.5, 0.5) . g3 = -1 -> + g3 / 2 = (0, 0).
  const three = [new Float64Array([1, 0]), new Float64Array([-1, 1]), new Float64Array([-1, -1])];
  projectedSum(three, 2, sum, new Float64Array(2), () => {}, new Int32Array([0, 1, 2]), [0, 0, 0]);
  // g2' : g2 . g1 = -1 -> g2 + g1 = (0, 1); (0, 1) . g3 = -1 -> + g3 / 2 = (-0.5, 0.5).
  // g3' : g3 . g1 = -1 -> g3 + g1 = (0, -1); (0, -1) . g2 = -1 -> + g2 / 2 = (-0.5, -0.5).
  assert.deepEqual([...sum], [0 - 0.5 - 0.5, 0 + 0.5 - 0.5]);
});

test('GradNorm: the gradient pushes each weighted norm toward mean norm x relative rate^alpha (hand-computed)', () => {
  // Equal training rates: target = mean norm 1.5 for both; task 0 (norm 2) is pushed down by
  // its unweighted norm 2 / w, task 1 (norm 1) up by 1 / w.
  assert.deepEqual(gradnormGradient([1, 1], [2, 1], [0.5, 0.5], 1.5), [2, -1]);
  // Task 1 trains slower (ratio 0.9 vs 0.3): r = (0.5, 1.5), targets 1.5 * r^1 = (0.75, 2.25).
  assert.deepEqual(gradnormGradient([2, 1], [1, 2], [0.3, 0.9], 1), [0.5, -2]);
  // alpha = 0: targets are the mean norm, whatever the rates.
  assert.deepEqual(gradnormGradient([1, 1], [1, 3], [0.1, 0.9], 0), [-1, 3]);
});

test('CLI: a wrong weighting, GradNorm alpha or calibration weight is a one-line error naming the flag', () => {
  const run = (...flags: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--data', 'synthetic', '--no-export', ...flags], { encoding: 'utf8', timeout: 60_000 });
  const cases: [string[], string][] = [
    [['--weighting', 'gradnrom'], 'error: --weighting must be one of fixed, uncertainty, gradnorm, pcgrad'],
    [['--weighting', 'gradnorm', '--gradnorm-alpha=-1'], 'error: --gradnorm-alpha must be a number >= 0, got "-1"'],
    [['--arch', 'aitm', '--aitm-calibration', 'much'], 'error: --aitm-calibration must be a number >= 0, got "much"'],
  ];
  for (const [flags, message] of cases) {
    const r = run(...flags);
    assert.equal(r.status, 1, flags.join(' '));
    assert.equal(r.stderr.trim(), message);
  }
});
