// exportModelDir and `npm run export`: files written (the serving graph too), manifest records updated (and nothing
// else in it), one-line errors with exit code 1 for missing or corrupt inputs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { buildGraph } from '../model/arch/index.ts';
import { createJsKernels } from '../model/engine/kernels/js.ts';
import { initParams } from '../model/engine/params.ts';
import { Rng } from '../model/engine/rng.ts';
import { MANIFEST_FORMAT, type Manifest } from '../model/manifest.ts';
import { exportModelDir, loadModelDir } from '../model/onnx/export-dir.ts';
import { randomBatch } from '../scripts/bench/random-batch.ts';
import { runOnnx } from '../model/onnx/run.ts';
import { serializeWeights } from '../model/engine/weights-file.ts';
import { tinyConfig, tinyFeatures, tinyLayout, tinyTasks } from './helpers/tiny.ts';

const root = mkdtempSync(join(tmpdir(), 'onnx-export-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

function modelDir(name: string): string {
  const dir = join(root, name);
  const g = buildGraph('esmm', createJsKernels(), tinyLayout, tinyTasks, tinyConfig);
  initParams(g.params(), new Rng(3));
  const weights = serializeWeights(g.params());
  const manifest: Manifest & { extra: unknown } = {
    format: MANIFEST_FORMAT,
    version: 'v-test-123',
    createdAt: '2026-01-01T00:00:00.000Z',
    data: { source: 'none' },
    features: tinyFeatures,
    tasks: tinyTasks,
    architecture: { name: 'esmm', config: tinyConfig },
    training: {},
    files: { weights: { path: 'weights.bin', sha256: sha(weights), bytes: weights.length } },
    metrics: {},
    extra: { kept: true },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'weights.bin'), weights);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return dir;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/export.ts', ...args], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
}

test('exportModelDir writes both models and the serving graph and records them in the manifest', async () => {
  const dir = modelDir('ok');
  const before = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const r = await exportModelDir(dir);
  const after = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.equal(after.version, before.version);
  assert.deepEqual(after.extra, { kept: true });
  assert.deepEqual({ ...after, files: before.files }, before, 'only files changed');
  assert.deepEqual(after.files.weights, before.files.weights);
  for (const [rec, file, q] of [[r.onnx, 'model.onnx', 'fp32'], [r.int8, 'model.int8.onnx', 'int8-weight-only']] as const) {
    const bytes = readFileSync(join(dir, file));
    assert.deepEqual(after.files[file === 'model.onnx' ? 'onnx' : 'int8'], rec);
    assert.deepEqual(rec, { path: file, sha256: sha(bytes), bytes: bytes.length, opset: 15, quantization: q });
  }
  const serving = readFileSync(join(dir, 'model.int8.optimized.onnx'));
  assert.deepEqual(after.files.serving, r.serving);
  assert.deepEqual(r.serving, {
    path: 'model.int8.optimized.onnx',
    sha256: sha(serving),
    bytes: serving.length,
    opset: 15,
    quantization: 'int8-weight-only',
    from: { path: 'model.int8.onnx', sha256: r.int8.sha256 },
    optimizer: 'onnxruntime-node 1.30.0, level extended',
  });
  // The written models run and agree with the checkpoint they came from (the serving graph as the worker runs it: no optimiser).
  const { graph, layout } = loadModelDir(dir);
  const b = randomBatch(layout, 50, 1);
  const out = await runOnnx(new Uint8Array(readFileSync(join(dir, 'model.onnx'))), layout, b, { runtime: 'node' });
  assert.deepEqual(Object.keys(out), graph.outputs.map((o) => o.task));
  const int8 = await runOnnx(new Uint8Array(readFileSync(join(dir, 'model.int8.onnx'))), layout, b, { runtime: 'web' });
  const served = await runOnnx(new Uint8Array(serving), layout, b, { runtime: 'web', preOptimized: true });
  for (const t of Object.keys(int8)) for (let i = 0; i < b.n; i++) assert.ok(Math.abs(int8[t][i] - served[t][i]) <= 1e-5, `${t} row ${i}: ${int8[t][i]} vs ${served[t][i]}`);
  // Re-export: same bytes (deterministic, the serving graph too), so the same records.
  assert.deepEqual(await exportModelDir(dir), r);
});

test('npm run export: success, and one-line errors with exit code 1', () => {
  const ok = cli('--model', modelDir('cli'), '--scheme', 'dynamic');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /model\.int8\.onnx: \d+ bytes, int8-dynamic/);
  assert.match(ok.stdout, /model\.int8\.optimized\.onnx: \d+ bytes, int8-dynamic/);

  const corrupt = modelDir('corrupt');
  writeFileSync(join(corrupt, 'weights.bin'), 'garbage');
  const badJson = modelDir('badjson');
  writeFileSync(join(badJson, 'manifest.json'), '{"format": ');
  const noWeights = modelDir('noweights');
  rmSync(join(noWeights, 'weights.bin'));
  const cases: [string[], RegExp][] = [
    [['--model', join(root, 'missing')], /manifest not found/],
    [['--model', corrupt], /sha256/],
    [['--model', badJson], /not valid JSON/],
    [['--model', noWeights], /weights file not found/],
    [[], /--model is required/],
    [['--model', corrupt, '--scheme', 'int4'], /--scheme must be/],
  ];
  for (const [args, msg] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: exit ${r.status}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
    assert.match(lines[0], /^export: /);
    assert.match(lines[0], msg);
  }
});
