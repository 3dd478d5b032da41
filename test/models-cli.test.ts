// `npm run models`: wrong usage is a one-line error before anything is touched, and the
// wrangler-backed store (wrangler r2 object get / put --local) reads back what it wrote and
// reports a missing key as absent, in a local state directory of its own.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../scripts/build-worker.ts';
import { wranglerStore } from '../scripts/models/wrangler-store.ts';

const state = mkdtempSync(join(tmpdir(), 'edge-mtl-models-cli-'));
after(() => rmSync(state, { recursive: true, force: true }));

function models(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'models.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('usage errors: one line, exit code 1', () => {
  for (const [args, msg] of [
    [['bogus'], /unknown command bogus/],
    [['publish'], /publish needs a model directory/],
    [['list', 'extra'], /list takes no argument/],
    [['list', '--percent', '5'], /--percent goes with activate/],
    [['activate', 'v1', '--percent', '150', '--local'], /--percent must be a number in \(0, 100\]/],
    [['list', '--persist-to', state], /--persist-to goes with --local/],
  ] as const) {
    const r = models(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.match(models('--help').stdout, /rollback/);
});

test('the local wrangler store: a missing key is null, a put object reads back byte for byte', async () => {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  const store = wranglerStore({ bucket: 'edge-mtl-models', local: true, persistTo: state });
  assert.equal(await store.get('routing.json'), null);
  const bytes = new Uint8Array(300).map((_, i) => (i * 37) & 0xff);
  await store.put('models/v1/model.int8.onnx', bytes, 'application/octet-stream');
  assert.deepEqual(await store.get('models/v1/model.int8.onnx'), bytes);
  const r = models('list', '--local', '--persist-to', state);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /no routing document: the bundled model serves/);
});
