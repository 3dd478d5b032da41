// Bring-your-own Parquet: read row group by row group through the synchronous bridge, the same
// examples as the same table in CSV, bad cells counted like in CSV, clear errors.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parquetWriteFile } from 'hyparquet-writer';
import { csvSource } from '../model/data/csv/source.ts';
import { parquetSource } from '../model/data/parquet.ts';
import { parseSchema } from '../model/data/schema.ts';
import type { Split } from '../model/data/source.ts';

const dir = mkdtempSync(join(tmpdir(), 'data-parquet-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SPLITS: Split[] = ['train', 'valid', 'test'];

const N = 500;
const rows = Array.from({ length: N }, (_, i) => ({
  user: `u${i % 17}`,
  price: i % 10 === 0 ? null : (i * 7) % 90,
  recent: i % 4 === 0 ? null : `c${i % 5}|c${i % 3}`,
  ts: 1_700_000_000 + i * 60,
  click: (i * 13) % 7 < 3,
}));

const schema = parseSchema({
  columns: [
    { name: 'user', role: 'categorical', entity: 'user', buckets: 64, group: true },
    { name: 'price', role: 'numeric', entity: 'item', transform: 'log1p' },
    { name: 'recent', role: 'multi', entity: 'user', buckets: 32, separator: '|', maxLen: 4 },
    { name: 'ts', role: 'time', unit: 's' },
    { name: 'click', role: 'label' },
  ],
});

function writeParquet(name: string, columns: { name: string; data: unknown[]; type: string }[]): string {
  const p = join(dir, name);
  // Small row groups, so reading crosses several of them.
  parquetWriteFile({ filename: p, rowGroupSize: 128, columnData: columns as never });
  return p;
}

test('a Parquet file gives the same examples as the same table in CSV, over several row groups', () => {
  const pq = writeParquet('t.parquet', [
    { name: 'user', data: rows.map((r) => r.user), type: 'STRING' },
    { name: 'price', data: rows.map((r) => r.price), type: 'DOUBLE' },
    { name: 'recent', data: rows.map((r) => r.recent), type: 'STRING' },
    { name: 'ts', data: rows.map((r) => BigInt(r.ts)), type: 'INT64' },
    { name: 'click', data: rows.map((r) => r.click), type: 'BOOLEAN' },
  ]);
  const csv = join(dir, 't.csv');
  writeFileSync(csv, 'user,price,recent,ts,click\n' + rows.map((r) => [r.user, r.price ?? '', r.recent ?? '', r.ts, r.click ? 1 : 0].join(',')).join('\n') + '\n');
  const a = parquetSource(pq, schema);
  const b = csvSource(csv, schema);
  assert.equal(a.rowsRead, N);
  assert.equal((a.describe() as { rowGroups: number }).rowGroups, 4);
  assert.deepEqual(a.badRows, {});
  for (const sp of SPLITS) {
    const pa = [...a.examples(sp)];
    assert.ok(pa.length > 0, sp);
    assert.deepEqual(pa, [...b.examples(sp)], sp);
  }
  assert.equal([...a.examples('test')].length, N / 10);
});

test('bad Parquet cells are counted by reason like CSV ones', () => {
  const pq = writeParquet('bad.parquet', [
    { name: 'user', data: rows.map((r) => r.user), type: 'STRING' },
    // Text in a numeric column: "abc" is bad, "12.5" is a number, "" is missing.
    { name: 'price', data: rows.map((_, i) => (i === 7 ? 'abc' : i === 8 ? '12.5' : i === 9 ? '' : String(i))), type: 'STRING' },
    { name: 'recent', data: rows.map((r) => r.recent), type: 'STRING' },
    { name: 'ts', data: rows.map((r, i) => (i === 20 ? null : BigInt(r.ts))), type: 'INT64' },
    { name: 'click', data: rows.map((_, i) => (i === 30 || i === 31 ? 2 : i % 2)), type: 'INT32' },
  ]);
  const s = parquetSource(pq, schema);
  assert.deepEqual(s.badRows, { 'bad_number:price': 1, 'bad_time:ts': 1, 'bad_label:click': 2 });
  // "line" is the 1-based row number in a Parquet file.
  assert.deepEqual(s.badRowLines, { 'bad_number:price': 8, 'bad_time:ts': 21, 'bad_label:click': 31 });
  const all = SPLITS.flatMap((sp) => [...s.examples(sp)]);
  assert.equal(all.length, N - 4);
  const byTime = new Map(all.map((e) => [e.time, e]));
  assert.equal(byTime.get(rows[8].ts)!.features.price, 12.5);
  assert.equal(byTime.get(rows[9].ts)!.features.price, null);
});

test('not a Parquet file, or a schema column it lacks: clear errors', () => {
  const junk = join(dir, 'junk.parquet');
  writeFileSync(junk, 'user,price\nu1,3\n');
  assert.throws(() => parquetSource(junk, schema), /junk\.parquet is not a readable Parquet file: /);
  assert.throws(() => parquetSource(join(dir, 'none.parquet'), schema), /cannot open .*none\.parquet: no such file/);
  const few = writeParquet('few.parquet', [{ name: 'user', data: ['a'], type: 'STRING' }]);
  assert.throws(() => parquetSource(few, schema), /schema columns "price", "recent", "ts", "click" not in the data \(its columns: user\)/);
});

test('a split column in Parquet: the same splits as in CSV, text or integer codes, bad cells counted', () => {
  const fold = rows.map((_, i) => (i === 5 ? 'holdout' : i % 10 === 9 ? ' Test' : i % 10 === 8 ? 'validation' : 'train'));
  const splitSchema = (column: Record<string, unknown>) =>
    parseSchema({
      columns: [
        { name: 'user', role: 'categorical', entity: 'user', buckets: 64, group: true },
        { name: 'price', role: 'numeric', entity: 'item', transform: 'log1p' },
        { name: 'fold', role: 'split', ...column },
        { name: 'click', role: 'label' },
      ],
    });
  const pq = writeParquet('fold.parquet', [
    { name: 'user', data: rows.map((r) => r.user), type: 'STRING' },
    { name: 'price', data: rows.map((r) => r.price), type: 'DOUBLE' },
    { name: 'fold', data: fold, type: 'STRING' },
    { name: 'click', data: rows.map((r) => r.click), type: 'BOOLEAN' },
  ]);
  const csv = join(dir, 'fold.csv');
  writeFileSync(csv, 'user,price,fold,click\n' + rows.map((r, i) => [r.user, r.price ?? '', fold[i], r.click ? 1 : 0].join(',')).join('\n') + '\n');
  const a = parquetSource(pq, splitSchema({}));
  const b = csvSource(csv, splitSchema({}));
  assert.deepEqual(a.badRows, { 'bad_split:fold': 1 });
  assert.deepEqual(a.badRowLines, { 'bad_split:fold': 6 });
  for (const sp of SPLITS) assert.deepEqual([...a.examples(sp)], [...b.examples(sp)], sp);
  assert.deepEqual(a.describe().split, { by: 'column', column: 'fold', rows: { train: 399, valid: 50, test: 50 } });
  // Integer codes (as many benchmarks store them) through "values".
  const coded = writeParquet('coded.parquet', [
    { name: 'user', data: rows.map((r) => r.user), type: 'STRING' },
    { name: 'price', data: rows.map((r) => r.price), type: 'DOUBLE' },
    { name: 'fold', data: rows.map((_, i) => (i % 10 === 9 ? 2 : i % 10 === 8 ? 1 : 0)), type: 'INT32' },
    { name: 'click', data: rows.map((r) => r.click), type: 'BOOLEAN' },
  ]);
  const c = parquetSource(coded, splitSchema({ values: { '0': 'train', '1': 'valid', '2': 'test' } }));
  assert.deepEqual(c.badRows, {});
  assert.deepEqual([...c.examples('test')].map((e) => e.features.user), rows.filter((_, i) => i % 10 === 9).map((r) => r.user));
  assert.deepEqual(c.describe().split, { by: 'column', column: 'fold', rows: { train: 400, valid: 50, test: 50 } });
});
