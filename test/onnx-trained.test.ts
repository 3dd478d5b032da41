// Acceptance checks of the ONNX export on a TRAINED model directory (written by
// `npm run train`: manifest.json, weights.bin, metrics.json; model.onnx / model.int8.onnx
// when already exported). Set EDGE_MTL_MODEL_DIR to run them; skipped otherwise.
//
// On 10,000 test rows (the first rows of the manifest's data source test split when that
// source can be re-opened from the manifest, random encoded rows otherwise):
//  - fp32 ONNX in onnxruntime-node and onnxruntime-web vs the trainer's forward: <= 1e-5;
//  - int8 (onnxruntime-web, as served) vs fp32: max abs prob diff and test AUC change;
//  - int8 file <= 30% of fp32; exported files match the manifest records.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import { Workspace } from '../model/engine/workspace.ts';
import { allocBatch, encodeRowInto, type EncodedBatch } from '../model/features/encode.ts';
import type { FeatureLayout } from '../model/features/layout.ts';
import { servedFile, type Manifest, type OnnxFileRecord } from '../model/manifest.ts';
import { auc } from '../model/metrics/index.ts';
import { loadModelDir } from '../model/onnx/export-dir.ts';
import { decodeModel } from '../model/onnx/proto.ts';
import { randomBatch, sliceBatch } from '../scripts/bench/random-batch.ts';
import { runOnnx } from '../model/onnx/run.ts';
import { exportOnnx } from '../model/onnx/writer.ts';

const DIR = process.env.EDGE_MTL_MODEL_DIR;
const ROWS = 10_000;
// Bounds for the int8 twin on the trained model (see the report / writer.ts for observed values).
const INT8_MAX_ABS_DIFF = 0.02;
const INT8_MAX_AUC_DROP = 0.002;

interface TestRows {
  batch: EncodedBatch;
  /** [n, tasks]: 1, 0, or -1 (unlabelled); absent for random rows. */
  labels?: Float32Array;
  origin: string;
}

async function testRows(m: Manifest, layout: FeatureLayout): Promise<TestRows> {
  const d = m.data as { source?: string; name?: string; rows?: number; seed?: number };
  const name = d.source ?? d.name;
  try {
    if (!name) throw new Error('the manifest does not name its data source');
    const { openDataSource } = await import('../model/data/index.ts');
    const src = openDataSource(name, { rows: d.rows, seed: d.seed });
    const srcTasks = src.tasks.map((t) => t.name).join(',');
    if (srcTasks !== m.tasks.map((t) => t.name).join(',')) throw new Error(`source tasks ${srcTasks} differ from the manifest's`);
    const batch = allocBatch(layout, ROWS);
    const T = m.tasks.length;
    const labels = new Float32Array(ROWS * T);
    let n = 0;
    for (const ex of src.examples('test')) {
      encodeRowInto(layout, batch, n, (f) => ex.features[f]);
      for (let t = 0; t < T; t++) labels[n * T + t] = ex.labels[t] ?? -1;
      if (++n === ROWS) break;
    }
    if (n === 0) throw new Error('its test split is empty');
    if (n < ROWS) return { batch: sliceBatch(layout, batch, 0, n), labels: labels.slice(0, n * T), origin: `all ${n} test rows of data source "${name}" (fewer than ${ROWS})` };
    return { batch, labels, origin: `first ${ROWS} test rows of data source "${name}"` };
  } catch (e) {
    return { batch: randomBatch(layout, ROWS, 2024), origin: `${ROWS} random encoded rows (data source not re-opened: ${(e as Error).message})` };
  }
}

if (!DIR) {
  test('ONNX export of a trained model', { skip: 'EDGE_MTL_MODEL_DIR is not set: point it at a directory written by `npm run train` (manifest.json, weights.bin) to run these checks' }, () => {});
} else {
  const { manifest, layout, graph } = loadModelDir(DIR);
  const tasks = graph.outputs.map((o) => o.task);
  const rows = await testRows(manifest, layout);
  const N = rows.batch.n;
  const k = createJsKernels();
  const w = new Workspace(graph, k, layout, N);
  w.batch.cat.set(rows.batch.cat);
  rows.batch.multi.forEach((a, j) => w.batch.multi[j].set(a));
  w.batch.num.set(rows.batch.num);
  w.forward(N);
  const ref = tasks.map((_, t) => w.prob(t).slice());
  console.log(`${DIR}: ${manifest.architecture.name}, tasks ${tasks.join(', ')}; ${rows.origin}`);

  const onDisk = (rec: OnnxFileRecord | undefined): Uint8Array | undefined => {
    if (!rec) return undefined;
    const path = join(DIR, rec.path);
    assert.ok(existsSync(path), `manifest lists ${rec.path} but it is missing`);
    const bytes = new Uint8Array(readFileSync(path));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), rec.sha256, `${rec.path}: sha256 differs from the manifest`);
    assert.equal(bytes.length, rec.bytes);
    return bytes;
  };
  const fp32Fresh = exportOnnx(graph, layout, { quantization: 'fp32' });
  const fp32 = onDisk(manifest.files.onnx) ?? fp32Fresh;
  const int8 = onDisk(manifest.files.int8) ?? exportOnnx(graph, layout, { quantization: 'int8' });
  const maxDiff = (a: Record<string, Float32Array>, b: (t: string, i: number) => number) => {
    let m = 0;
    for (const t of tasks) for (let i = 0; i < N; i++) m = Math.max(m, Math.abs(a[t][i] - b(t, i)));
    return m;
  };

  test('exported files belong to this checkpoint', () => {
    for (const [bytes, rec] of [[fp32, manifest.files.onnx], [int8, manifest.files.int8]] as const) {
      const meta = Object.fromEntries(decodeModel(bytes).metadataProps.map((p) => [p.key, p.value]));
      if (rec) assert.equal(meta.quantization, rec.quantization);
      if (meta.manifest_version !== undefined) assert.equal(meta.manifest_version, manifest.version, 'ONNX file exported from another model version');
    }
    // The fp32 export is deterministic: the file on disk must be what these weights export to.
    assert.ok(Buffer.from(fp32).equals(Buffer.from(exportOnnx(graph, layout, { quantization: 'fp32', metadata: metadataOf(fp32) }))), 'model.onnx is stale');
  });

  for (const runtime of ['node', 'web'] as const) {
    test(`fp32 in onnxruntime-${runtime} matches the trainer's forward on the test rows (<= 1e-5)`, async () => {
      const out = await runOnnx(fp32, layout, rows.batch, { runtime });
      const d = maxDiff(out, (t, i) => ref[tasks.indexOf(t)][i]);
      console.log(`fp32 ${runtime}: max abs diff ${d.toExponential(2)}`);
      assert.ok(d <= 1e-5, `max abs diff ${d}`);
    });
  }

  test('int8 (onnxruntime-web) vs fp32 on the test rows', async () => {
    const out8 = await runOnnx(int8, layout, rows.batch, { runtime: 'web' });
    const out32 = await runOnnx(fp32, layout, rows.batch, { runtime: 'web' });
    const d = maxDiff(out8, (t, i) => out32[t][i]);
    const label = Object.fromEntries(decodeModel(int8).metadataProps.map((p) => [p.key, p.value])).quantization;
    console.log(`${label}: max abs prob diff vs fp32 ${d.toExponential(2)}; size ${int8.length} / ${fp32.length} = ${(int8.length / fp32.length).toFixed(3)}`);
    if (rows.labels) {
      const T = tasks.length;
      tasks.forEach((t, ti) => {
        const y = Float32Array.from({ length: N }, (_, i) => rows.labels![i * T + ti]);
        const a32 = auc(out32[t], y);
        const a8 = auc(out8[t], y);
        console.log(`  ${t}: test AUC fp32 ${a32.toFixed(5)} int8 ${a8.toFixed(5)}`);
        if (Number.isFinite(a32)) assert.ok(a32 - a8 <= INT8_MAX_AUC_DROP, `${t}: AUC ${a32} -> ${a8}`);
      });
    }
    assert.ok(d <= INT8_MAX_ABS_DIFF, `max abs prob diff ${d}`);
    assert.ok(int8.length / fp32.length <= 0.3, `int8 / fp32 size ${int8.length / fp32.length}`);
  });

  test('the serving graph (what an int8 worker bundle serves) gives the int8 model\'s probabilities in onnxruntime-web (<= 1e-5)', { skip: manifest.files.serving ? false : 'the manifest records no serving graph (exported before files.serving)' }, async () => {
    const served = servedFile(manifest.files, 'int8');
    assert.equal(served?.key, 'serving');
    const serving = onDisk(manifest.files.serving)!;
    const out8 = await runOnnx(int8, layout, rows.batch, { runtime: 'web' });
    const outServed = await runOnnx(serving, layout, rows.batch, { runtime: 'web', preOptimized: true });
    const d = maxDiff(outServed, (t, i) => out8[t][i]);
    console.log(`serving graph (${manifest.files.serving!.optimizer}) vs int8, onnxruntime-web: max abs diff ${d.toExponential(2)}`);
    assert.ok(d <= 1e-5, `max abs diff ${d}`);
  });
}

function metadataOf(bytes: Uint8Array): Record<string, string> {
  const all = Object.fromEntries(decodeModel(bytes).metadataProps.map((p) => [p.key, p.value]));
  // Keys the writer always sets itself.
  delete all.quantization;
  delete all.inputs;
  delete all.outputs;
  return all;
}
