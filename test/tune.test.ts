// npm run tune's search: the rung schedule, trial 0 = the defaults, deterministic for a seed,
// ranked on validation only; and the CLI writes tune.json and a normal model directory.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_ARCH_CONFIG } from '../model/arch/builder.ts';
import { openDataSource } from '../model/data/index.ts';
import { createWasmKernels, type WasmKernels } from '../model/engine/kernels/wasm.ts';
import { DEFAULT_NUMERIC_BINS, prepare } from '../model/train/prepare.ts';
import { rungSizes, sampleSettings, tune, type TuneOptions } from '../model/train/tune.ts';

const defaults = { lr: 0.002, batchSize: 128, embeddingDim: 16, expertDims: [64, 32], towerDims: [16], embeddingDecay: 0, numericBins: 32 };

/** A small click log (1,500 rows: user, item, price) and its schema in dir. */
function writeLog(dir: string): void {
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
}

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
    writeLog(dir);
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

test('every training run of a search gets its own kernel memory: a search fits in the memory of one run', async () => {
  // Kernel memory is a bump allocator that never frees, so runs sharing one set of kernels
  // would need the sum of their models; each run's own set needs only its own.
  const dir = mkdtempSync(join(tmpdir(), 'tune-memory-'));
  writeLog(dir);
  const data = prepare(openDataSource(`csv:${join(dir, 'log.csv')}`, { schema: join(dir, 'schema.json') }), { numericBins: DEFAULT_NUMERIC_BINS });
  rmSync(dir, { recursive: true, force: true });
  const o: TuneOptions = {
    arch: 'mmoe',
    cfg: DEFAULT_ARCH_CONFIG,
    trials: 3,
    seed: 9,
    threads: 1,
    dataFor: () => data,
    defaults: { lr: 0.002, batchSize: 256, embeddingDim: DEFAULT_ARCH_CONFIG.embeddingDim, expertDims: DEFAULT_ARCH_CONFIG.expertDims, towerDims: DEFAULT_ARCH_CONFIG.towerDims, embeddingDecay: 0, numericBins: DEFAULT_NUMERIC_BINS },
  };
  // Memory for the largest single run (the widest trial settings), measured, plus a margin below two runs.
  const probe: WasmKernels[] = [];
  await tune(async () => {
    const k = await createWasmKernels();
    probe.push(k);
    return k;
  }, o);
  const runs = probe.length;
  assert.equal(runs, rungSizes(3).reduce((a, b) => a + b, 0), 'one set of kernels per training run');
  const pages = Math.max(...probe.map((k) => k.memory.buffer.byteLength / 65536));
  const maximumPages = Math.ceil(pages * 1.3);
  const fresh = () => createWasmKernels({ maximumPages });
  const ok = await tune(fresh, o);
  assert.equal(ok.trials.length, 3);
  // The same search on one shared set of kernels runs out of that memory.
  const shared = await fresh();
  await assert.rejects(
    tune(async () => shared, o),
    /cannot grow|exhausted/,
  );
});
