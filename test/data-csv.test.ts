// Bring-your-own CSV: the streaming RFC 4180 reader (any chunk size gives the same records), the
// schema (validated with errors that name the column), and the schema-driven source (roles,
// missing values, time and hash splits) on small files the test writes itself.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { csvSource } from '../model/data/csv/source.ts';
import { readCsvRecords } from '../model/data/csv/reader.ts';
import { parseSchema } from '../model/data/schema.ts';
import { TimeSample } from '../model/data/split.ts';
import type { Example, Split } from '../model/data/source.ts';
import { prepare } from '../model/train/prepare.ts';

const dir = mkdtempSync(join(tmpdir(), 'data-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(text: string): string {
  const p = join(dir, `f${files++}.csv`);
  writeFileSync(p, text);
  return p;
}
const records = (p: string, chunkBytes?: number) => [...readCsvRecords(p, { chunkBytes, maxRecordBytes: 256 })];
const SPLITS: Split[] = ['train', 'valid', 'test'];
const all = (s: { examples(split: Split): Iterable<Example> }) => SPLITS.flatMap((sp) => [...s.examples(sp)]);

test('reader: quoted fields, escaped quotes, line breaks inside quotes, CRLF, BOM, no final newline', () => {
  const p = file('\ufeffa,b,c\r\n"x,y","he said ""hi""",3\r\n"two\nlines",,""\r\n\r\nlast,row,"end"');
  assert.deepEqual(records(p), [
    { ok: true, fields: ['a', 'b', 'c'], line: 1 },
    { ok: true, fields: ['x,y', 'he said "hi"', '3'], line: 2 },
    { ok: true, fields: ['two\nlines', '', ''], line: 3 },
    { ok: true, fields: ['last', 'row', 'end'], line: 6 },
  ]);
});

test('reader: the same records whatever the chunk size (boundaries inside quotes, CRLF, UTF-8)', () => {
  const p = file('id,name,note\r\n1,"Zoë, ""the"" café",日本語\r\n2,"multi\r\nline",x\n3,plain,"quoted ""end"""\n');
  const ref = records(p);
  assert.equal(ref.length, 4);
  assert.deepEqual(ref[1], { ok: true, fields: ['1', 'Zoë, "the" café', '日本語'], line: 2 });
  for (const chunk of [1, 2, 3, 5, 8, 13]) assert.deepEqual(records(p, chunk), ref, `chunk ${chunk}`);
});

test('reader: an unbalanced quote costs one line, text after a closing quote is reported', () => {
  assert.deepEqual(records(file('a,b\n"ok"x,4\n5,6\n')), [
    { ok: true, fields: ['a', 'b'], line: 1 },
    { ok: false, reason: 'bad_quote', line: 2 },
    { ok: true, fields: ['5', '6'], line: 3 },
  ]);
  // Still open at the end of the file: the line it opened on is bad, reading resumes after it.
  assert.deepEqual(records(file('a,b\n1,2\n"open,1\n2,3\n')), [
    { ok: true, fields: ['a', 'b'], line: 1 },
    { ok: true, fields: ['1', '2'], line: 2 },
    { ok: false, reason: 'unterminated_quote', line: 3 },
    { ok: true, fields: ['2', '3'], line: 4 },
  ]);
  // A quote that never closes in a long file: reported once the record passes maxRecordBytes.
  const long = file('a,b\n"never closed,1\n' + '7,8\n'.repeat(200));
  const rr = records(long);
  assert.deepEqual(rr[1], { ok: false, reason: 'unterminated_quote', line: 2 });
  assert.equal(rr.filter((x) => x.ok).length, 201);
});

test('reader: an over-long unquoted line is reported and reading goes on', () => {
  const p = file('a,b\n' + 'x'.repeat(1000) + ',1\n2,3\n');
  assert.deepEqual(records(p, 64), [
    { ok: true, fields: ['a', 'b'], line: 1 },
    { ok: false, reason: 'line_too_long', line: 2 },
    { ok: true, fields: ['2', '3'], line: 3 },
  ]);
});

test('time cut points from a sample: exact below capacity, close above it', () => {
  const exact = new TimeSample(1000, 1);
  for (let i = 0; i < 1000; i++) exact.add(999 - i);
  assert.deepEqual(exact.cuts({ valid: 0.1, test: 0.1 }), { valid: 800, test: 900 });
  const sampled = new TimeSample(1000, 1);
  for (let i = 0; i < 100_000; i++) sampled.add(i);
  const c = sampled.cuts({ valid: 0.1, test: 0.1 });
  assert.ok(Math.abs(c.valid - 80_000) < 3000 && Math.abs(c.test - 90_000) < 3000, JSON.stringify(c));
});

const SCHEMA = {
  columns: [
    { name: 'user', role: 'categorical', entity: 'user', buckets: 64, group: true },
    { name: 'item', role: 'categorical', entity: 'item', buckets: 64 },
    { name: 'price', role: 'numeric', entity: 'item', transform: 'log1p' },
    { name: 'recent', role: 'multi', entity: 'user', buckets: 32, separator: '|', maxLen: 3 },
    { name: 'ts', role: 'time', unit: 's' },
    { name: 'kind', role: 'candidate_kind' },
    { name: 'click', role: 'label', appliesTo: 'item' },
    { name: 'redeemed', role: 'label', task: 'redeem', appliesTo: 'coupon' },
    { name: 'comment', role: 'ignore' },
  ],
};

test('schema-driven source: roles, missing values, masked labels, candidate kinds', () => {
  const p = file(
    [
      'user,item,price,recent,ts,kind,click,redeemed,comment',
      'u1,i1,9.5,a|b,100,item,1,,"free, text"',
      'u2,,,,101,coupon,,0,',
      'u1,i2,  3 ,c,102,item,0,1,x',
    ].join('\n') + '\n',
  );
  const s = csvSource(p, parseSchema(SCHEMA));
  assert.deepEqual(s.tasks, [
    { name: 'click', appliesTo: 'item' },
    { name: 'redeem', appliesTo: 'coupon' },
  ]);
  assert.deepEqual(
    s.features.map((f) => [f.name, f.kind, f.entity]),
    [
      ['user', 'categorical', 'user'],
      ['item', 'categorical', 'item'],
      ['price', 'numeric', 'item'],
      ['recent', 'multi', 'user'],
      ['candidate_kind', 'categorical', 'context'],
    ],
  );
  assert.equal(s.rowsRead, 3);
  assert.deepEqual(s.badRows, {});
  const ex = all(s).sort((a, b) => a.time - b.time);
  assert.equal(ex.length, 3);
  assert.deepEqual(ex[0], { features: { user: 'u1', item: 'i1', price: 9.5, recent: 'a|b', candidate_kind: 'item' }, labels: [1, null], kind: 'item', group: 'u1', time: 100 });
  // Empty numeric = missing (null, the encoder's training mean), never NaN.
  assert.deepEqual(ex[1].features, { user: 'u2', item: null, price: null, recent: null, candidate_kind: 'coupon' });
  assert.deepEqual(ex[1].labels, [null, 0]);
  // The coupon label on an item row is masked: the redeem task is only served on coupons.
  assert.deepEqual(ex[2].labels, [0, null]);
  assert.equal(ex[2].features.price, 3);
  assert.equal(s.describe().labelsMaskedByKind, 1);
});

/** n rows: user, item, price, ts (one per second), a click label correlated with price. */
function bigCsv(n: number, withTime: boolean): string {
  const lines = [withTime ? 'user,item,price,ts,click' : 'user,item,price,click'];
  for (let i = 0; i < n; i++) {
    const price = (i * 7919) % 100;
    const click = price > 60 ? 1 : (i * 31) % 11 === 0 ? 1 : 0;
    lines.push([`u${i % 37}`, `i${(i * 13) % 101}`, price, ...(withTime ? [1_000_000 + i] : []), click].join(','));
  }
  return lines.join('\n') + '\n';
}

const SMALL = (withTime: boolean) =>
  parseSchema({
    columns: [
      { name: 'user', role: 'categorical', entity: 'user', buckets: 128, group: true },
      { name: 'item', role: 'categorical', entity: 'item', buckets: 256 },
      { name: 'price', role: 'numeric', entity: 'item' },
      ...(withTime ? [{ name: 'ts', role: 'time' }] : []),
      { name: 'click', role: 'label' },
    ],
    split: { valid: 0.1, test: 0.2, seed: 5 },
  });

test('time split: earliest rows train, then valid, then test; every row in exactly one split', () => {
  const s = csvSource(file(bigCsv(1000, true)), SMALL(true));
  const times = SPLITS.map((sp) => [...s.examples(sp)].map((e) => e.time));
  assert.deepEqual(times.map((t) => t.length), [700, 100, 200]);
  assert.ok(Math.max(...times[0]) < Math.min(...times[1]));
  assert.ok(Math.max(...times[1]) < Math.min(...times[2]));
  // Re-iterable: a second pass gives the same rows.
  assert.deepEqual([...s.examples('valid')].map((e) => e.time), times[1]);
});

test('hash split without a time column: deterministic, near the requested shares, seed-dependent', () => {
  const text = bigCsv(3000, false);
  const a = csvSource(file(text), SMALL(false));
  const b = csvSource(file(text), SMALL(false));
  const counts = SPLITS.map((sp) => [...a.examples(sp)].length);
  assert.equal(counts[0] + counts[1] + counts[2], 3000);
  assert.ok(Math.abs(counts[1] / 3000 - 0.1) < 0.03 && Math.abs(counts[2] / 3000 - 0.2) < 0.03, `shares ${counts}`);
  for (const sp of SPLITS) assert.deepEqual([...a.examples(sp)], [...b.examples(sp)]);
  const other = csvSource(file(text), { ...SMALL(false), split: { valid: 0.1, test: 0.2, seed: 6 } });
  assert.notDeepEqual([...other.examples('test')], [...a.examples('test')]);
});

test('a schema-driven CSV prepares into finite inputs (numeric stats fitted on train)', () => {
  const data = prepare(csvSource(file(bigCsv(600, true)), SMALL(true)));
  assert.equal(data.splits.train.n + data.splits.valid.n + data.splits.test.n, 600);
  for (const sp of SPLITS) assert.ok(data.splits[sp].batch.num.every(Number.isFinite));
  const price = data.features.find((f) => f.name === 'price');
  assert.ok(price?.kind === 'numeric' && price.std > 1, 'price statistics were fitted');
});

test('schema errors are one clear message naming the column', () => {
  const cases: [unknown, RegExp][] = [
    [{}, /"columns" must be a non-empty array/],
    [{ columns: [{ name: 'a', role: 'categorical', entity: 'user' }] }, /columns\[0\] \("a"\): "buckets" must be an integer/],
    [{ columns: [{ name: 'a', role: 'numerc' }] }, /columns\[0\] \("a"\): "role" must be one of/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'shop' }] }, /"entity" must be one of "user", "context", "item", "coupon"/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'user', transform: 'log' }] }, /"transform" must be one of "log1p", "identity"/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'user', bukets: 3 }] }, /unknown key "bukets"/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'user' }] }, /no column has role "label"/],
    [{ columns: [{ name: 'y', role: 'label' }] }, /no feature column/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'user' }, { name: 'a', role: 'label' }] }, /column "a" is declared twice/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'user' }, { name: 'y', role: 'label', parent: 'click' }] }, /parent "click" is not a task/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'user' }, { name: 'y', role: 'label' }], split: { valid: 0.5, test: 0.5 } }, /leave at least 10%/],
  ];
  for (const [json, re] of cases) assert.throws(() => parseSchema(json, 'my.json'), (e: Error) => e.message.startsWith('my.json: ') && re.test(e.message), JSON.stringify(json));
});

test('a schema column missing from the header, or the wrong delimiter, is a clear error', () => {
  const schema = parseSchema(SCHEMA);
  assert.throws(() => csvSource(file('user,item\nu,i\n'), schema), /schema columns "price", .* not in the data \(its columns: user, item\)/);
  assert.throws(() => csvSource(file('user;item;price;recent;ts;kind;click;redeemed;comment\n'), schema), /header has one column .* is the delimiter ";"\? \(the schema says ","\)/);
  assert.throws(() => csvSource(join(dir, 'nope.csv'), schema), /cannot open .*nope\.csv: no such file/);
  assert.throws(() => csvSource(file(''), schema), /is empty/);
});

test('semicolon-delimited files and headerless files (columns by position)', () => {
  const s = csvSource(file('u1;3,5;1\nu2;;0\n'), parseSchema({ delimiter: ';', header: false, columns: [
    { name: 'user', role: 'categorical', entity: 'user', buckets: 16 },
    { name: 'price', role: 'numeric', entity: 'item' },
    { name: 'y', role: 'label' },
  ], split: { valid: 0.05, test: 0.05 } }));
  // "3,5" is not a plain decimal number: a bad row, not 3 and not NaN.
  assert.deepEqual(s.badRows, { 'bad_number:price': 1 });
  assert.deepEqual(all(s).map((e) => e.features.user), ['u2']);
});
