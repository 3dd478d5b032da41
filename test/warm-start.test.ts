// Warm start (--init-from): the parent's fitted specs are reused as they are (or only the
// means / stds refitted), its weights are where training starts, a layout mismatch is a
// one-line error naming the first difference, the parent's test AUC on the new split is the
// one its own evaluation gives, and the manifest records the parent.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { referenceTask } from '../model/data/reference.ts';
import type { DataSource } from '../model/data/source.ts';
import { createJsKernels } from '../model/engine/kernels/index.ts';
import type { Manifest } from '../model/manifest.ts';
import { prepare } from '../model/train/prepare.ts';
import { trainToDir, type RunOptions } from '../model/train/train-to-dir.ts';
import { checkWarmStart, parentTestAuc, readParent, warmFeatures, type Parent } from '../model/train/warm-start.ts';

const cfg = { ...DEFAULT_ARCH_CONFIG, embeddingDim: 8, expertDims: [16, 8], towerDims: [8], experts: 2 };

function shrink(s: DataSource): DataSource {
  return { ...s, features: s.features.map((f) => (f.kind === 'categorical' ? { ...f, buckets: 2048 } : f)) };
}

const oldData = shrink(referenceTask({ rows: 8_000, seed: 3 }));
const newData = shrink(referenceTask({ rows: 8_000, seed: 4 }));
const opts = (out: string): RunOptions => ({
  arch: 'mmoe', cfg, epochs: 2, batchSize: 256, lr: 0.005, seed: 11, shards: 2, weighting: 'fixed', patience: 2, threads: 1, kernels: 'js', out, dataInfo: {},
});

let dir: string;
let parent: Parent;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edge-mtl-warm-'));
  await trainToDir(prepare(oldData), opts(join(dir, 'parent')));
  parent = readParent(join(dir, 'parent'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("the parent's fitted specs are reused unchanged; --refit-stats refits only means and stds", () => {
  assert.deepEqual(warmFeatures(newData, parent, false), parent.manifest.features);
  const refit = warmFeatures(newData, parent, true);
  const fresh = prepare(newData).features;
  let changed = 0;
  refit.forEach((f, i) => {
    const p = parent.manifest.features[i];
    if (f.kind !== 'numeric' || p.kind !== 'numeric') return assert.deepEqual(f, p);
    const g = fresh[i] as typeof f;
    assert.equal(f.mean, g.mean);
    assert.equal(f.std, g.std);
    assert.deepEqual(f.edges, p.edges, 'bin edges stay the parent\'s');
    if (f.mean !== p.mean) changed++;
  });
  assert.ok(changed > 0, 'the new data has other means');
});

test('training starts from the parent weights (a zero learning rate keeps them exactly) and the manifest records the parent', async () => {
  const data = prepare(newData, { numericBins: 0, features: warmFeatures(newData, parent, false) });
  const out = join(dir, 'child');
  const r = await trainToDir(data, { ...opts(out), lr: 0, initialWeights: parent.weights, parent: { version: parent.manifest.version, dir: parent.dir, testAuc: {} } });
  assert.deepEqual(new Uint8Array(readFileSync(join(out, 'weights.bin'))), parent.weights);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
  assert.equal(m.parent?.version, parent.manifest.version);
  assert.deepEqual(m.features, parent.manifest.features);
  // And with a real learning rate the weights move away from the parent's.
  const moved = await trainToDir(data, { ...opts(join(dir, 'moved')), initialWeights: parent.weights });
  assert.notDeepEqual(new Uint8Array(readFileSync(join(dir, 'moved', 'weights.bin'))), parent.weights);
  assert.ok(r.manifest.version !== moved.manifest.version);
});

test("the parent's test AUC on a split is what its own evaluation gives", () => {
  // On the parent's own data the figure must equal the test AUC in its manifest.
  const own = parentTestAuc(createJsKernels(), prepare(oldData, { numericBins: 0, features: parent.manifest.features }), parent);
  for (const [task, auc] of Object.entries(own)) assert.ok(Math.abs(auc - (parent.manifest.metrics[task].auc as number)) < 1e-9, `${task}: ${auc} vs ${parent.manifest.metrics[task].auc}`);
  const other = parentTestAuc(createJsKernels(), prepare(newData, { numericBins: 0, features: parent.manifest.features }), parent);
  assert.notDeepEqual(other, own);
});

test('a mismatch is one line naming the first difference', () => {
  assert.doesNotThrow(() => checkWarmStart(newData, 'mmoe', cfg, parent));
  const buckets = { ...newData, features: newData.features.map((f, i) => (i === 1 && f.kind === 'categorical' ? { ...f, buckets: 999 } : f)) };
  const name = newData.features[1].name;
  assert.throws(() => checkWarmStart(buckets, 'mmoe', cfg, parent), (e: Error) => !e.message.includes('\n') && e.message.includes(`feature ${name}: buckets is 999 in the data, 2048 in the parent`));
  const fewer = { ...newData, features: newData.features.slice(0, -1) };
  assert.throws(() => checkWarmStart(fewer, 'mmoe', cfg, parent), /is in the parent but not in the data/);
  const tasks = { ...newData, tasks: newData.tasks.slice(1) };
  assert.throws(() => checkWarmStart(tasks, 'mmoe', cfg, parent), /tasks are \[/);
  assert.throws(() => checkWarmStart(newData, 'ple', cfg, parent), /architecture is ple, the parent's is mmoe \(pass --arch mmoe\)/);
  assert.throws(() => checkWarmStart(newData, 'mmoe', { ...cfg, embeddingDim: 16 }, parent), /architecture setting embeddingDim is 16, the parent's is 8/);
  // Dropout shapes no weight: a warm start may train with another rate.
  assert.doesNotThrow(() => checkWarmStart(newData, 'mmoe', { ...cfg, dropout: cfg.dropout + 0.3 }, parent));
});

test('a parent written before an architecture setting existed counts as trained with its default', () => {
  // aitmCalibration came with AITM: older manifests lack it.
  const { aitmCalibration: _, ...older } = parent.manifest.architecture.config;
  const old: Parent = { ...parent, manifest: { ...parent.manifest, architecture: { ...parent.manifest.architecture, config: older as typeof cfg } } };
  assert.doesNotThrow(() => checkWarmStart(newData, 'mmoe', cfg, old));
  assert.throws(() => checkWarmStart(newData, 'mmoe', { ...cfg, aitmCalibration: 0 }, old), new RegExp(`architecture setting aitmCalibration is 0, the parent's is ${DEFAULT_ARCH_CONFIG.aitmCalibration}`));
  assert.throws(() => checkWarmStart(newData, 'mmoe', { ...cfg, aitmCalibration: 0 }, parent), new RegExp(`architecture setting aitmCalibration is 0, the parent's is ${DEFAULT_ARCH_CONFIG.aitmCalibration}`));
});
