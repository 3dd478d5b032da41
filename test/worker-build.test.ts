// npm run build:worker refuses a model that does not match its manifest or that onnxruntime
// cannot load, before bundling: one line on stderr, exit code 1, nothing written.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildWorker, checkModelFiles, ROOT } from '../scripts/build-worker.ts';
import { addServingGraph, writeTestModel } from './helpers/worker-model.ts';

const scratch = mkdtempSync(join(tmpdir(), 'edge-mtl-build-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function modelDir(name: string, edit: (onnx: Uint8Array, manifest: { files: { int8: { sha256: string; bytes: number } } }) => Uint8Array): string {
  const dir = join(scratch, name);
  const m = writeTestModel(dir);
  const manifest = JSON.parse(JSON.stringify(m.manifest));
  const onnx = edit(m.onnx, manifest);
  writeFileSync(join(dir, 'model.int8.onnx'), onnx);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('build:worker checks the model before bundling', () => {
  test('the intact test model passes', async () => {
    await checkModelFiles(modelDir('good', (b) => b), false);
  });

  test('a truncated model.int8.onnx is refused (size)', async () => {
    const dir = modelDir('truncated', (b) => b.subarray(0, b.byteLength >> 1));
    await assert.rejects(buildWorker({ modelDir: dir, outDir: join(scratch, 'out-truncated') }), /has \d+ bytes, the manifest says \d+/);
    assert.ok(!existsSync(join(scratch, 'out-truncated', 'index.js')), 'nothing bundled');
  });

  test('same size, other bytes: refused (sha256)', async () => {
    const dir = modelDir('flipped', (b) => {
      const c = new Uint8Array(b);
      c[c.length >> 1] ^= 0xff;
      return c;
    });
    await assert.rejects(checkModelFiles(dir, false), /sha256 [0-9a-f]{64} does not match the manifest/);
  });

  test('bytes matching a rewritten manifest but not a model: refused by onnxruntime', async () => {
    const dir = modelDir('garbage', (_b, manifest) => {
      const g = new Uint8Array(4096).map((_, i) => (i * 131 + 7) & 0xff);
      manifest.files.int8.bytes = g.byteLength;
      manifest.files.int8.sha256 = createHash('sha256').update(g).digest('hex');
      return g;
    });
    await assert.rejects(checkModelFiles(dir, false), /onnxruntime cannot load it/);
  });

  test('the command: one line on stderr, exit code 1', () => {
    const dir = modelDir('cli', (b) => b.subarray(0, 1000));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-worker.ts'), '--model', dir, '--outdir', join(scratch, 'out-cli')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^error: .*model\.int8\.onnx has 1000 bytes/);
    assert.ok(readFileSync(join(dir, 'manifest.json')).length > 0);
  });
});

describe('build:worker bundles the serving graph when the export wrote one', () => {
  /** The test model plus its serving graph and files.serving record (what exportModelDir writes). */
  async function withServing(name: string, from?: { path: string; sha256: string }): Promise<{ dir: string; serving: Uint8Array }> {
    const m = writeTestModel(join(scratch, name));
    return { dir: m.dir, serving: await addServingGraph(m, from) };
  }

  test('files.serving is what the int8 bundle holds (fp32 still model.onnx\'s record)', async () => {
    const { dir, serving } = await withServing('serving');
    const served = await checkModelFiles(dir, false);
    assert.equal(served.key, 'serving');
    const built = await buildWorker({ modelDir: dir, outDir: join(scratch, 'out-serving') });
    const data = built.modules.filter((m) => m.type === 'Data');
    assert.equal(data.length, 1, data.map((m) => m.path).join(', '));
    assert.ok(Buffer.from(readFileSync(data[0].path)).equals(Buffer.from(serving)), 'the bundled ONNX module is not the serving graph');
  });

  test('a serving graph optimised from another int8 file is refused (the int8 model was replaced after the export)', async () => {
    const { dir } = await withServing('stale', { path: 'model.int8.onnx', sha256: '0'.repeat(64) });
    await assert.rejects(checkModelFiles(dir, false), /files\.serving .* was optimised from model\.int8\.onnx sha256 0{64}, not from files\.int8 .*re-export the model/);
  });
});
