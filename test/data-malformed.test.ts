// Malformed input: every bad row is counted under its reason (truncated line, bad number, wrong
// delimiter, label 2, bad time, unbalanced quote), nothing crashes, nothing turns into NaN; and
// through the real CLI a file above --max-bad-share stops with a one-line error while one
// below it trains.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkBadShare } from '../model/data/bad-rows.ts';
import { csvSource } from '../model/data/csv/source.ts';
import { parseSchema } from '../model/data/schema.ts';
import { REPO_ROOT } from '../model/data/shared.ts';
import { prepare } from '../model/train/prepare.ts';

const dir = mkdtempSync(join(tmpdir(), 'data-malformed-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SCHEMA = {
  columns: [
    { name: 'user', role: 'categorical', entity: 'user', buckets: 64, group: true },
    { name: 'item', role: 'categorical', entity: 'item', buckets: 64 },
    { name: 'price', role: 'numeric', entity: 'item', transform: 'log1p' },
    { name: 'ts', role: 'time', unit: 's' },
    { name: 'click', role: 'label', appliesTo: 'item' },
  ],
};
const schemaPath = join(dir, 'schema.json');
writeFileSync(schemaPath, JSON.stringify(SCHEMA));

const BAD_LINES = [
  'u1,i1,3.5', // truncated
  'u1,i1,abc,100,1', // not a number
  'u1;i1;3;100;1', // wrong delimiter
  'u1,i1,3,100,2', // label 2
  'u1,i1,3,yesterday,1', // unparsable time
];
const EXPECTED = { wrong_column_count: 3, 'bad_number:price': 1, 'bad_label:click': 1, 'bad_time:ts': 1, unterminated_quote: 1 };

/** `good` valid rows with the five bad lines spread in, an unbalanced quote and a cut-off last line. */
function malformed(good: number): string {
  const lines = ['user,item,price,ts,click'];
  const every = Math.floor(good / BAD_LINES.length);
  for (let i = 0; i < good; i++) {
    if (i % every === 1 && i < every * BAD_LINES.length) lines.push(BAD_LINES[Math.floor(i / every)]);
    const price = i % 9 === 0 ? '' : String((i * 37) % 50);
    lines.push(`u${i % 23},i${i % 41},${price},${1000 + i},${(i * 37) % 50 > 30 ? 1 : 0}`);
  }
  lines.push('"u9,i1,3,2000,1');
  return lines.join('\n') + '\nu1,i1';
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('each kind of bad row is counted under its reason, with its first line; good rows survive', () => {
  const p = write('bad.csv', malformed(200));
  const s = csvSource(p, parseSchema(SCHEMA));
  assert.deepEqual(s.badRows, EXPECTED);
  assert.equal(s.rowsRead, 200 + 7);
  const lines = readFileSync(p, 'utf8').split('\n');
  for (const [reason, line] of Object.entries(s.badRowLines)) {
    assert.ok(line >= 2 && line <= lines.length, `${reason} at ${line}`);
  }
  assert.equal(lines[s.badRowLines['bad_label:click'] - 1], 'u1,i1,3,100,2');
  assert.equal(lines[s.badRowLines['bad_number:price'] - 1], 'u1,i1,abc,100,1');
  const data = prepare(s);
  assert.equal(data.splits.train.n + data.splits.valid.n + data.splits.test.n, 200);
  for (const sp of ['train', 'valid', 'test'] as const) {
    assert.ok(data.splits[sp].batch.num.every(Number.isFinite), `${sp}: no NaN inputs`);
    assert.ok(data.splits[sp].labels.every((y) => y === 0 || y === 1), `${sp}: labels 0/1`);
  }
  const price = data.features.find((f) => f.name === 'price')!;
  assert.ok(price.kind === 'numeric' && Number.isFinite(price.mean) && Number.isFinite(price.std));
  // 7 of 207 rows are bad: fine at 5%, an error at 1% that names every reason.
  checkBadShare(s, 0.05);
  assert.throws(() => checkBadShare(s, 0.01), /7 of 207 rows are bad \(3\.4%\), above --max-bad-share 0\.01: wrong_column_count 3 \(first at line \d+\), .*bad_label:click 1/);
});

test('random bytes never crash the reader: every row is either read or counted', () => {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const alphabet = ['a', '1', '2', '.', ',', ',', '"', '"', '\n', '\r\n', ';', ' ', 'é', ''];
  for (let k = 0; k < 150; k++) {
    let body = '';
    const len = Math.floor(rand() * 200);
    for (let i = 0; i < len; i++) body += alphabet[Math.floor(rand() * alphabet.length)];
    const p = write(`fuzz${k}.csv`, 'user,item,price,ts,click\n' + body);
    const s = csvSource(p, parseSchema(SCHEMA));
    const bad = Object.values(s.badRows).reduce((a, b) => a + b, 0);
    const good = ['train', 'valid', 'test'].flatMap((sp) => [...s.examples(sp as 'train')]);
    assert.equal(good.length + bad, s.rowsRead, `file ${k}`);
    for (const ex of good) assert.ok(ex.features.price === null || Number.isFinite(ex.features.price));
  }
});

/** The training CLI on a file; returns exit code, stderr lines and the output directory. */
function train(data: string, extra: string[] = [], schema = schemaPath) {
  const out = mkdtempSync(join(dir, 'out-'));
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/train.ts', '--data', `csv:${data}`, '--schema', schema, '--epochs', '1', '--no-export', '--threads', '1', '--emb-dim', '4', '--out', out, ...extra],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, stderr: r.stderr.trim().split('\n'), stdout: r.stdout, out };
}

test('CLI: above --max-bad-share the run stops with a one-line error and a non-zero exit', () => {
  const r = train(write('mostly-bad.csv', malformed(40)));
  assert.notEqual(r.code, 0);
  const last = r.stderr[r.stderr.length - 1];
  assert.match(last, /^error: data csv:.*mostly-bad\.csv: 7 of 47 rows are bad \(14\.9%\), above --max-bad-share 0\.01: /);
  assert.match(last, /bad_label:click 1/);
  assert.ok(!r.stderr.some((l) => /^\s+at /.test(l)), 'no stack trace');
  assert.ok(!existsSync(join(r.out, 'metrics.json')), 'nothing trained');
});

test('CLI: below the limit it reports the bad rows and trains; --max-bad-share raises the limit', () => {
  const r = train(write('few-bad.csv', malformed(1000)));
  assert.equal(r.code, 0, r.stderr.join('\n'));
  assert.ok(r.stderr.some((l) => /^bad rows: 7 of 1007 \(0\.70%\): wrong_column_count 3/.test(l)), r.stderr.join('\n'));
  const m = JSON.parse(readFileSync(join(r.out, 'metrics.json'), 'utf8'));
  assert.ok(Number.isFinite(m.click.test.auc) && Number.isFinite(m.click.test.logloss), 'finite metrics');
  // Past the memory budget the training split is streamed from chunk files: the same bad
  // rows are counted and reported, and the manifest says how the rows were read.
  const streamed = train(write('few-bad-streamed.csv', malformed(1000)), ['--memory-budget', '1K']);
  assert.equal(streamed.code, 0, streamed.stderr.join('\n'));
  assert.ok(streamed.stderr.some((l) => /^bad rows: 7 of 1007 \(0\.70%\): wrong_column_count 3/.test(l)), streamed.stderr.join('\n'));
  assert.ok(streamed.stderr.some((l) => /^training split: .* over the memory budget: streamed from 1 chunk files/.test(l)), streamed.stderr.join('\n'));
  assert.equal(JSON.parse(readFileSync(join(streamed.out, 'manifest.json'), 'utf8')).training.trainSplit.streamed, true);
  assert.equal(JSON.parse(readFileSync(join(r.out, 'manifest.json'), 'utf8')).training.trainSplit.streamed, false);
  const lenient = train(write('mostly-bad2.csv', malformed(40)), ['--max-bad-share', '0.2']);
  assert.equal(lenient.code, 0, lenient.stderr.join('\n'));
});

test('CLI: bad flags and a missing schema are one-line errors', () => {
  const bad = train(write('x.csv', malformed(40)), ['--max-bad-share', 'lots']);
  assert.notEqual(bad.code, 0);
  assert.deepEqual(bad.stderr, ['error: --max-bad-share must be a number in [0, 1], got "lots"']);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--data', 'csv:x.csv', '--no-export'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim(), 'error: --data csv:PATH needs --schema SCHEMA.json (see docs/data.md)');
});

// A benchmark's own split through the real CLI: train and test only, as many ship it.
const foldSchemaPath = write(
  'fold-schema.json',
  JSON.stringify({ columns: [...SCHEMA.columns.filter((c) => c.role !== 'time'), { name: 'fold', role: 'split' }] }),
);
/** `n` rows "user,item,price,ts,click,fold", the fold cell of row i from `foldOf`. */
function folded(n: number, foldOf: (i: number) => string): string {
  const lines = ['user,item,price,ts,click,fold'];
  for (let i = 0; i < n; i++) lines.push(`u${i % 23},i${i % 41},${(i * 37) % 50},${1000 + i},${(i * 37) % 50 > 30 ? 1 : 0},${foldOf(i)}`);
  return lines.join('\n') + '\n';
}

test('CLI: a split column with train and test only trains on it, carves valid from train and says so', () => {
  const foldOf = (i: number) => (i === 7 ? 'holdout' : i % 5 === 4 ? 'test' : 'train');
  const r = train(write('fold.csv', folded(1000, foldOf)), [], foldSchemaPath);
  assert.equal(r.code, 0, r.stderr.join('\n'));
  assert.ok(r.stderr.some((l) => /^bad rows: 1 of 1000 \(0\.10%\): bad_split:fold 1 \(first at line 9\)$/.test(l)), r.stderr.join('\n'));
  const carved = r.stderr.map((l) => /^split column "fold": the data has no valid rows, so (\d+) of its 799 train rows \(validShare 0\.1, by a seeded hash of the row number, seed 1\) are the validation split$/.exec(l)).find(Boolean);
  assert.ok(carved, r.stderr.join('\n'));
  const valid = Number(carved[1]);
  assert.ok(valid > 40 && valid < 120, `carved ${valid}`);
  assert.ok(r.stderr.some((l) => l.includes(`train ${799 - valid}, valid ${valid}, test 200 rows`)), r.stderr.join('\n'));
  const manifest = JSON.parse(readFileSync(join(r.out, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.data.split, { by: 'column', column: 'fold', rows: { train: 799 - valid, valid, test: 200 }, validFromTrain: { rows: valid, share: 0.1, seed: 1 } });
  assert.ok(!manifest.features.some((f: { name: string }) => f.name === 'fold'), 'the split column is not a feature');
});

test('CLI: a split column without test rows is a one-line error naming the column', () => {
  const r = train(write('fold-no-test.csv', folded(200, (i) => (i % 5 === 4 ? 'valid' : 'train'))), [], foldSchemaPath);
  assert.notEqual(r.code, 0);
  assert.deepEqual(r.stderr, [`error: data csv:${join(dir, 'fold-no-test.csv')}: split column "fold" gives no test rows (train 160, valid 40, test 0): a model cannot be scored without them`]);
  assert.ok(!existsSync(join(r.out, 'manifest.json')), 'nothing trained');
});
