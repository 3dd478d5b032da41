// npm run train as a user meets it: the budget line and what the manifest records, flags that
// take 0, --seeds statistics, and the loud refusals (esmm without a funnel, a task that a
// split cannot score).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'train-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function table(name: string, rows: number, label: (i: number) => string, extra = ''): { data: string; schema: string } {
  const lines = [`user,price,click${extra ? ',' + extra : ''}`];
  for (let i = 0; i < rows; i++) lines.push(`u${i % 40},${(i * 13) % 97},${label(i)}${extra ? ',' + (i % 10 < 8 ? 'train' : i % 10 === 8 ? 'valid' : 'test') : ''}`);
  const data = join(dir, `${name}.csv`);
  writeFileSync(data, lines.join('\n') + '\n');
  const schema = join(dir, `${name}.schema.json`);
  const columns: object[] = [
    { name: 'user', role: 'categorical', entity: 'user', buckets: 101 },
    { name: 'price', role: 'numeric', entity: 'item' },
    { name: 'click', role: 'label', task: 'click' },
  ];
  if (extra) columns.push({ name: extra, role: 'split' });
  writeFileSync(schema, JSON.stringify({ columns }));
  return { data, schema };
}

function train(t: { data: string; schema: string }, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--data', `csv:${t.data}`, '--schema', t.schema, '--threads', '1', '--emb-dim', '4', '--no-export', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ok = table('ok', 2000, (i) => ((i % 40 < 15) !== (i * 13) % 97 > 60 ? '1' : '0'));

test('the budget is printed before training and recorded in the manifest; given settings win', () => {
  const out = join(dir, 'budget');
  const r = train(ok, '--arch', 'lr', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /1,565 training rows: batch 32, up to 62 epochs \(3,038 steps\), validation every 49 steps, patience 10 evaluations/);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.equal(m.training.batchSize, 32);
  assert.equal(m.training.evalEvery, 49);
  assert.equal(m.training.budget, 'defaults from 1565 training rows');
  assert.ok(m.training.steps > 0 && m.training.steps <= 3038);
  // Batch 32: one shard by default (one per 256 rows), recorded with the threads.
  assert.match(r.err, /1 shard per batch \(default: one per 256 rows\), 1 thread\n/);
  assert.equal(m.training.shards, 1);
  // The memory budget is printed with how it was chosen; 1,565 rows fit it, so nothing streams.
  assert.match(r.err, /memory budget of the training split: [\d.]+ [MG]iB \(default: 25% of [\d.]+ [MG]iB RAM\)\n/);
  assert.deepEqual(m.training.trainSplit, { streamed: false });
  assert.match(train(ok, '--memory-budget', 'lots').err, /--memory-budget must be a size such as 512M, 2G or a byte count, got "lots"/);
  assert.equal(m.training.threads, 1);
  // Node 20 included: training turns relaxed SIMD on, so the fused build runs, and says so.
  assert.match(r.err, /kernels: wasm-simd, fused multiply-adds \(relaxed SIMD\)\n/);
  assert.equal(m.training.kernelBuild, 'relaxed-simd');
  const given = train(ok, '--arch', 'lr', '--out', join(dir, 'given'), '--epochs', '2', '--batch-size', '64', '--emb-decay', '0');
  assert.equal(given.code, 0, given.err);
  assert.match(given.err, /batch 64, up to 2 epochs \(50 steps\).*\(given: batchSize, epochs\)/);
  assert.match(given.err, /warning: only 50 optimizer steps/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'given', 'manifest.json'), 'utf8')).training.budget, 'defaults from 1565 training rows; given: batchSize, epochs');
  assert.match(train(ok, '--emb-decay=-1').err, /--emb-decay must be a number >= 0/);
  const sharded = train(ok, '--arch', 'lr', '--out', join(dir, 'sharded'), '--epochs', '1', '--shards', '3');
  assert.equal(sharded.code, 0, sharded.err);
  assert.equal(JSON.parse(readFileSync(join(dir, 'sharded', 'manifest.json'), 'utf8')).training.shards, 3);
  assert.match(train(ok, '--shards', '64').err, /--shards 64 is more than the batch size 32/);
});

test('--seeds 2: per-seed directories and comparison.json with mean and sd per task', () => {
  const out = join(dir, 'seeds');
  const r = train(ok, '--arch', 'lr', '--seeds', '2', '--epochs', '3', '--out', out);
  assert.equal(r.code, 0, r.err);
  const c = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
  assert.deepEqual(c.seeds, [42, 43]);
  const t = c.rows[0].tasks.click;
  const a = [42, 43].map((s) => JSON.parse(readFileSync(join(out, `seed-${s}`, 'metrics.json'), 'utf8')).click.test.auc);
  assert.deepEqual(t.test_auc, a);
  assert.ok(Math.abs(t.test_auc_mean - (a[0] + a[1]) / 2) < 1e-12);
  assert.ok(Math.abs(t.test_auc_sd - Math.abs(a[0] - a[1]) / Math.SQRT2) < 1e-12);
  assert.match(r.out, /test AUC, 2 seeds/);
});

test('esmm without a parent task is an error; --arch all leaves it out and says so', () => {
  const r = train(ok, '--arch', 'esmm', '--out', join(dir, 'esmm'));
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: --arch esmm needs tasks with a "parent"/m);
  const all = train(ok, '--arch', 'all', '--epochs', '1', '--out', join(dir, 'all'));
  assert.equal(all.code, 0, all.err);
  assert.match(all.err, /esmm left out/);
  const c = JSON.parse(readFileSync(join(dir, 'all', 'comparison.json'), 'utf8'));
  assert.deepEqual(c.rows.map((x: { arch: string }) => x.arch), ['single', 'shared-bottom', 'mmoe', 'ple', 'aitm', 'lr']);
});

test('a split in which a task has no positive label is an error naming split and task', () => {
  // Every test row (i % 10 == 9) is negative.
  const t = table('nopos', 1000, (i) => (i % 10 === 9 ? '0' : String(Math.floor(i / 10) % 2)), 'split');
  const r = train(t, '--arch', 'lr', '--out', join(dir, 'nopos'));
  assert.equal(r.code, 1);
  assert.match(r.err, /task "click" has no positive label in the test split \(0 positive, 100 negative of 100 rows\): it cannot be scored/);
});
