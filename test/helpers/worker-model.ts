// A small test model for the worker tests: the synthetic shop's feature names and tasks
// (compact bucket counts), an MMoE built with our engine, seeded random weights, exported to
// int8 ONNX with the project's writer, and a manifest like the trainer's. Deterministic: the
// same seed gives the same bytes (so a cached worker build can be reused).

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ARCH_CONFIG, type ArchConfig } from '../../model/arch/builder.ts';
import { buildGraph, type ArchName } from '../../model/arch/index.ts';
import { createJsKernels } from '../../model/engine/kernels/js.ts';
import { initParams } from '../../model/engine/params.ts';
import { Rng } from '../../model/engine/rng.ts';
import { layoutOf, type FeatureLayout } from '../../model/features/layout.ts';
import { CANDIDATE_KIND_FEATURE, type FeatureSpec, type TaskSpec } from '../../model/features/spec.ts';
import { MANIFEST_FORMAT, type Manifest } from '../../model/manifest.ts';
import { exportOnnx, OPSET } from '../../model/onnx/writer.ts';
import { quantizationLabel, type ExportOptions } from '../../model/onnx/export-options.ts';
import { SERVING_FILE, servingRecord } from '../../model/onnx/export-dir.ts';
import { optimizeForServing } from '../../model/onnx/optimize.ts';

export const testFeatures: FeatureSpec[] = [
  { name: 'user_id', entity: 'user', kind: 'categorical', buckets: 64 },
  { name: 'user_age_band', entity: 'user', kind: 'categorical', buckets: 20 },
  { name: 'user_gender', entity: 'user', kind: 'categorical', buckets: 10 },
  { name: 'user_recent_categories', entity: 'user', kind: 'multi', buckets: 84, maxLen: 5, separator: '|' },
  { name: 'user_price_sensitivity', entity: 'user', kind: 'numeric', transform: 'identity', mean: 0.5, std: 0.25 },
  { name: 'hour', entity: 'context', kind: 'categorical', buckets: 120 },
  { name: 'device', entity: 'context', kind: 'categorical', buckets: 10 },
  CANDIDATE_KIND_FEATURE,
  { name: 'item_id', entity: 'item', kind: 'categorical', buckets: 256 },
  // A fitted vocabulary and quantile bins, so that the worker tests cover both encodings.
  { name: 'item_category', entity: 'item', kind: 'categorical', buckets: 65, values: ['c3', 'c7', 'c1', 'c12'] },
  { name: 'item_price', entity: 'item', kind: 'numeric', transform: 'log1p', mean: 3.2, std: 1.1, edges: [5, 12, 25, 60, 150] },
  { name: 'item_rating', entity: 'item', kind: 'numeric', transform: 'identity', mean: 4.1, std: 0.6 },
  // A derived match feature (model/features/match.ts), so that the worker computes one.
  { name: 'item_category_in_user_recent_categories', entity: 'item', kind: 'numeric', transform: 'identity', mean: 0.2, std: 0.3, edges: [0.1, 0.3, 0.6], match: { list: 'user_recent_categories', key: 'item_category' } },
  { name: 'coupon_id', entity: 'coupon', kind: 'categorical', buckets: 64 },
  { name: 'coupon_kind', entity: 'coupon', kind: 'categorical', buckets: 10 },
  { name: 'coupon_discount', entity: 'coupon', kind: 'numeric', transform: 'identity', mean: 0.15, std: 0.08 },
];

export const testTasks: TaskSpec[] = [
  { name: 'click', appliesTo: 'item' },
  { name: 'cart', appliesTo: 'item', parent: 'click' },
  { name: 'purchase', appliesTo: 'item', parent: 'click' },
  { name: 'redeem', appliesTo: 'coupon' },
];

export const testArch: ArchConfig = { ...DEFAULT_ARCH_CONFIG, embeddingDim: 8, expertDims: [24, 16], towerDims: [8], experts: 3 };
export const testLayout: FeatureLayout = layoutOf(testFeatures);

export interface TestModel {
  dir: string;
  manifest: Manifest;
  onnx: Uint8Array;
  layout: FeatureLayout;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function buildTestModelBytes(seed = 7, opts: ExportOptions = { quantization: 'int8' }, arch: ArchName = 'mmoe'): Uint8Array {
  const graph = buildGraph(arch, createJsKernels(), testLayout, testTasks, testArch);
  const params = graph.params();
  const rng = new Rng(seed);
  initParams(params, rng);
  // Larger embeddings and non-zero biases, so rows differ clearly and probabilities spread.
  for (const t of params.tables) for (let i = t.dim; i < t.data.length; i++) t.data[i] = rng.normal() * 0.6;
  for (const d of params.dense) if (d.init.kind !== 'glorot') for (let i = 0; i < d.size; i++) d.data[i] = rng.normal() * 0.3;
  return exportOnnx(graph, testLayout, opts);
}

/** Writes DIR/manifest.json and DIR/model.int8.onnx. */
export function writeTestModel(dir: string, seed = 7): TestModel {
  mkdirSync(dir, { recursive: true });
  const opts: ExportOptions = { quantization: 'int8' };
  const onnx = buildTestModelBytes(seed, opts);
  const manifest = testManifest(onnx, seed, 'mmoe', opts);
  writeFileSync(join(dir, 'model.int8.onnx'), onnx);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, manifest, onnx, layout: testLayout };
}

/**
 * Adds the serving graph to a test model directory as exportModelDir writes it
 * (DIR/model.int8.optimized.onnx, files.serving; `from` overrides the record of its source).
 * Returns the serving graph's bytes.
 */
export async function addServingGraph(m: TestModel, from?: { path: string; sha256: string }): Promise<Uint8Array> {
  const serving = await optimizeForServing(m.onnx);
  writeFileSync(join(m.dir, SERVING_FILE), serving);
  const rec = await servingRecord(m.manifest.files.int8!, serving);
  m.manifest.files.serving = from ? { ...rec, from } : rec;
  writeFileSync(join(m.dir, 'manifest.json'), JSON.stringify(m.manifest, null, 2));
  return serving;
}

/** The manifest of an int8 test model with these bytes (the worker checks their sha256). */
export function testManifest(onnx: Uint8Array, seed: number, arch: ArchName, opts: ExportOptions): Manifest {
  const hash = sha256(onnx);
  return {
    format: MANIFEST_FORMAT,
    version: `test-${hash.slice(0, 12)}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    data: { name: 'worker-test', seed },
    features: testFeatures,
    tasks: testTasks,
    architecture: { name: arch, config: testArch },
    training: {},
    files: {
      weights: { path: 'weights.bin', sha256: '', bytes: 0 },
      int8: { path: 'model.int8.onnx', sha256: hash, bytes: onnx.byteLength, opset: OPSET, quantization: quantizationLabel(opts) },
    },
    metrics: {
      click: { auc: 0.71, logloss: 0.31 },
      cart: { auc: 0.69, logloss: 0.12 },
      purchase: { auc: 0.73, logloss: 0.08 },
      redeem: { auc: 0.66, logloss: null },
    },
  };
}
