// npm run tune's search: the rung schedule, trial 0 = the defaults, deterministic for a seed,
// ranked on validation only; and the CLI writes tune.json and a normal model directory.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rungSizes, sampleSettings } from '../model/train/tune.ts';

const defaults = { lr: 0.002, batchSize: 128, embeddingDim: 16, expertDims: [64, 32], towerDims: [16], embeddingDecay: 0, numericBins: 32 };

test('rungs: a third survives each rung; the last rung keeps a few on the full budget', () => {
  assert.deepEqual(rungSizes(24), [24, 8, 2]);
  assert.deepEqual(rungSizes(6), [6, 2]);
  assert.deepEqual(rungSizes(2), [2, 1]);
  assert.deepEqual(rungSizes(1), [1]);
});

test('settings: trial 0 is the defaults, the rest are drawn from the seed', () => {
  const a = sampleSettings(defaults, 8, 3);
  assert.deepEqual(a[0], defaults);
  assert.deepEqual(sampleSettings(defaults, 8, 3), a);
  assert.notDeepEqual(sampleSettings(defaults, 8, 4), a);
  for (const s of a) {
    assert.ok(s.lr >= 3e-4 && s.lr <= 1e-2);
    assert.ok([32, 64, 128, 256].includes(s.batchSize), String(s.batchSize));
  }
});

test('npm run tune on a CSV: tune.json with every trial, DIR/best a model directory, the same for the same seed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tune-'));
  try {
    const lines = ['user,item,price,click'];
    for (let i = 0; i < 1500; i++) {
      const price = (i * 37) % 200;
      const click = (i % 7 < 3) !== price > 120 ? 1 : 0;
      lines.push(`u${i % 50},i${i % 31},${price},${click}`);
    }
    writeFileSync(join(dir, 'log.csv'), lines.join('\n') + '\n');
    writeFileSync(
      join(dir, 'schema.json'),
      JSON.stringify({
        columns: [
          { name: 'user', role: 'categorical', entity: 'user', buckets: 101 },
          { name: 'item', role: 'categorical', entity: 'item', buckets: 101 },
          { name: 'price', role: 'numeric', entity: 'item' },
          { name: 'click', role: 'label', task: 'click' },
        ],
      }),
    );
    const run = (out: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/tune.ts', '--data', `csv:${join(dir, 'log.csv')}`, '--schema', join(dir, 'schema.json'), '--trials', '3', '--threads', '1', '--no-export', '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    run(join(dir, 'a'));
    run(join(dir, 'b'));
    const a = JSON.parse(readFileSync(join(dir, 'a', 'tune.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'b', 'tune.json'), 'utf8'));
    assert.equal(a.trials.length, 3);
    assert.deepEqual(a.trials[0].settings.lr, 0.002);
    const strip = (t: { rungs: { seconds: number }[] }[]) => t.map((x) => ({ ...x, rungs: x.rungs.map((r) => ({ ...r, seconds: 0 })) }));
    assert.deepEqual(strip(a.trials), strip(b.trials));
    assert.equal(a.best.id, b.best.id);
    // The best trial scored highest on its last rung; test AUC only for it.
    const last = (t: { rungs: { score: number }[] }) => t.rungs[t.rungs.length - 1].score;
    const finalists = a.trials.filter((t: { rungs: unknown[] }) => t.rungs.length === 2);
    assert.equal(finalists.length, 1);
    assert.equal(a.best.id, finalists[0].id);
    assert.ok(a.trials.every((t: { rungs: { score: number }[] }) => t.rungs.length === 1 || last(t) >= 0));
    assert.ok(a.best.test_auc.click > 0.5);
    assert.ok(existsSync(join(dir, 'a', 'best', 'manifest.json')) && existsSync(join(dir, 'a', 'best', 'metrics.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
