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
import { hashSplit, TimeSample } from '../model/data/split.ts';
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

test('columns that declare one vocabulary share it, and get their match feature', () => {
  const schema = parseSchema({
    columns: [
      { name: 'recent', role: 'multi', entity: 'user', buckets: 16, maxLen: 3, vocabulary: 'cat' },
      { name: 'category', role: 'categorical', entity: 'item', buckets: 16, vocabulary: 'cat' },
      { name: 'clicked', role: 'label', task: 'click' },
    ],
  });
  const rows = Array.from({ length: 300 }, (_, i) => `c${i % 3}|c${i % 5},c${i % 4},${i % 3 === i % 4 ? 1 : 0}`);
  const data = prepare(csvSource(file(`recent,category,clicked\n${rows.join('\n')}\n`), schema));
  assert.deepEqual(
    data.features.map((f) => [f.name, f.kind === 'numeric' ? 'numeric' : f.vocabulary]),
    [['recent', 'cat'], ['category', 'cat'], ['candidate_kind', undefined], ['category_in_recent', 'numeric']],
  );
  assert.equal(data.layout.offsets.recent, data.layout.offsets.category, 'one embedding row range');
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
    [{ columns: [{ name: 'a', role: 'categorical', entity: 'item', buckets: 8, vocabulary: 3 }, { name: 'y', role: 'label' }] }, /columns\[0\] \("a"\): "vocabulary" must be a non-empty string/],
    [{ columns: [{ name: 'a', role: 'numeric', entity: 'item', vocabulary: 'v' }, { name: 'y', role: 'label' }] }, /unknown key "vocabulary"/],
    [
      { columns: [{ name: 'h', role: 'multi', entity: 'user', buckets: 16, maxLen: 3, vocabulary: 'cat' }, { name: 'c', role: 'categorical', entity: 'item', buckets: 8, vocabulary: 'cat' }, { name: 'y', role: 'label' }] },
      /columns "h" and "c" share vocabulary "cat" but not "buckets" \(16 vs 8\)/,
    ],
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

// ---- Splits that come with the data: a column with role "split" ----

/** n rows "user,price,fold,click": `foldOf(i)` gives row i's split cell. */
function foldCsv(n: number, foldOf: (i: number) => string): string {
  const lines = ['user,price,fold,click'];
  for (let i = 0; i < n; i++) lines.push([`u${i % 13}`, i, foldOf(i), (i * 7) % 3 === 0 ? 1 : 0].join(','));
  return lines.join('\n') + '\n';
}
const FOLD = (column: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  parseSchema({
    columns: [
      { name: 'user', role: 'categorical', entity: 'user', buckets: 32, group: true },
      { name: 'price', role: 'numeric', entity: 'item' },
      { name: 'fold', role: 'split', ...column },
      { name: 'click', role: 'label' },
    ],
    ...extra,
  });
const prices = (s: { examples(split: Split): Iterable<Example> }, sp: Split) => [...s.examples(sp)].map((e) => e.features.price as number);
const quiet = { log: () => {} };

test('split column: each row goes to its own split, in file order; case and whitespace as in other cells', () => {
  const cell = ['train', ' TRAIN ', 'Valid', 'validation', 'test', 'Test  ', 'train', 'VALIDATION', 'train', 'test'];
  const s = csvSource(file(foldCsv(40, (i) => cell[i % 10])), FOLD(), quiet);
  const want = (set: string) => Array.from({ length: 40 }, (_, i) => i).filter((i) => {
    const v = cell[i % 10].trim().toLowerCase();
    return (v === 'validation' ? 'valid' : v) === set;
  });
  assert.deepEqual(prices(s, 'train'), want('train'));
  assert.deepEqual(prices(s, 'valid'), want('valid'));
  assert.deepEqual(prices(s, 'test'), want('test'));
  assert.deepEqual(s.badRows, {});
  // The split column is not a feature: not declared, not in the rows.
  assert.ok(!s.features.some((f) => f.name === 'fold'));
  assert.ok(!('fold' in [...s.examples('train')][0].features));
  assert.deepEqual(s.describe().split, { by: 'column', column: 'fold', rows: { train: 16, valid: 12, test: 12 } });
});

test('split column: any other value (or none) is a bad row under its own reason, never assigned', () => {
  const cell = (i: number) => (i === 3 ? 'dev' : i === 4 ? '' : i === 9 ? 'val' : i === 11 ? 'NA' : i % 5 === 0 ? 'test' : i % 5 === 1 ? 'valid' : 'train');
  const s = csvSource(file(foldCsv(30, cell)), FOLD({}, { missing: ['', 'NA'] }), quiet);
  assert.deepEqual(s.badRows, { 'bad_split:fold': 4 });
  assert.equal(s.badRowLines['bad_split:fold'], 5); // row 3, after the header
  const kept = SPLITS.flatMap((sp) => prices(s, sp));
  assert.equal(kept.length, 26);
  for (const bad of [3, 4, 9, 11]) assert.ok(!kept.includes(bad), `row ${bad} is in no split`);
});

test('split column: "values" maps a benchmark\'s own codes, and then only those are accepted', () => {
  const codes = ['0', '1', '2', 'Dev', 'train'];
  const s = csvSource(file(foldCsv(25, (i) => codes[i % 5])), FOLD({ values: { '0': 'train', '1': 'test', dev: 'valid', '2': 'train' } }), quiet);
  assert.deepEqual(s.badRows, { 'bad_split:fold': 5 }); // "train" is not one of the given codes
  assert.deepEqual(prices(s, 'valid'), [3, 8, 13, 18, 23]);
  assert.deepEqual(prices(s, 'test'), [1, 6, 11, 16, 21]);
  assert.equal(prices(s, 'train').length, 10);
});

test('split column with only train and test: valid is carved from train by a seeded hash, and said so', () => {
  const text = foldCsv(2000, (i) => (i % 4 === 3 ? 'test' : 'train'));
  const notes: string[] = [];
  const s = csvSource(file(text), FOLD(), { log: (l: string) => notes.push(l) });
  const train = prices(s, 'train');
  const valid = prices(s, 'valid');
  const test = prices(s, 'test');
  // Test rows are exactly the file's; valid rows come from train only; every train row is in one of them.
  assert.deepEqual(test, Array.from({ length: 500 }, (_, i) => 4 * i + 3));
  assert.ok(valid.every((p) => p % 4 !== 3));
  assert.deepEqual([...train, ...valid].sort((a, b) => a - b), Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % 4 !== 3));
  assert.ok(Math.abs(valid.length / 1500 - 0.1) < 0.03, `carved ${valid.length} of 1500`);
  // File order within each split.
  for (const rows of [train, valid]) assert.deepEqual(rows, [...rows].sort((a, b) => a - b));
  assert.deepEqual(notes, [
    `split column "fold": the data has no valid rows, so ${valid.length} of its 1,500 train rows (validShare 0.1, by a seeded hash of the row number, seed 1) are the validation split`,
  ]);
  assert.deepEqual(s.describe().split, {
    by: 'column',
    column: 'fold',
    rows: { train: 1500 - valid.length, valid: valid.length, test: 500 },
    validFromTrain: { rows: valid.length, share: 0.1, seed: 1 },
  });
  // Deterministic; validShare and seed are the column's.
  assert.deepEqual(prices(csvSource(file(text), FOLD(), quiet), 'valid'), valid);
  const wider = csvSource(file(text), FOLD({ validShare: 0.3, seed: 7 }), quiet);
  assert.ok(Math.abs(prices(wider, 'valid').length / 1500 - 0.3) < 0.04);
  assert.notDeepEqual(prices(csvSource(file(text), FOLD({ seed: 7 }), quiet), 'valid'), valid);
});

test('split column: no test or no train rows, or no validation even after carving, is a one-line error', () => {
  const fold = (f: (i: number) => string, column = {}) => () => csvSource(file(foldCsv(50, f)), FOLD(column), quiet);
  assert.throws(fold((i) => (i % 5 === 0 ? 'valid' : 'train')), /split column "fold" gives no test rows \(train 40, valid 10, test 0\): a model cannot be scored without them$/);
  assert.throws(fold((i) => (i % 5 === 0 ? 'valid' : 'test')), /split column "fold" gives no train rows \(train 0, valid 10, test 40\)$/);
  assert.throws(fold((i) => (i < 48 ? 'test' : 'train')), /split column "fold" gives no valid rows, and carving validShare 0\.1 of its 2 train rows gave none: a model cannot be early-stopped without them \(mark some rows valid, or raise "validShare"\)$/);
  assert.throws(fold((i) => (i % 5 === 0 ? 'valid' : i % 5 === 1 ? 'test' : 'train'), { validShare: 0.2 }), /split column "fold" sets "validShare" but the data has its own 10 valid rows: remove "validShare"$/);
  // One train row that the hash carves into validation would leave nothing to train on.
  const lone = Array.from({ length: 50 }, (_, i) => i).find((i) => hashSplit(i, 1, { valid: 0.5, test: 0 }) === 'valid')!;
  assert.throws(fold((i) => (i === lone ? 'train' : 'test'), { validShare: 0.5 }), /split column "fold" gives no valid rows, and carving validShare 0\.5 of its 1 train row left no train rows$/);
  // When the cause is unreadable rows, the error says so.
  assert.throws(fold((i) => (i % 2 ? 'tst' : 'train')), /gives no test rows \(train 25, valid 0, test 0\): a model cannot be scored without them; 25 of 50 rows are bad: bad_split:fold 25 \(first at line 3\)$/);
});

test('split column schema rules: one at most, not with a time column or split shares, strict keys', () => {
  const base = [
    { name: 'a', role: 'numeric', entity: 'user' },
    { name: 'y', role: 'label' },
  ];
  const cases: [unknown, RegExp][] = [
    [{ columns: [...base, { name: 'f', role: 'split' }, { name: 'g', role: 'split' }] }, /at most one column may have role "split", got "f", "g"/],
    [{ columns: [...base, { name: 'f', role: 'split' }, { name: 'ts', role: 'time' }] }, /columns "f" \(role "split"\) and "ts" \(role "time"\) both decide the split: keep one/],
    [{ columns: [...base, { name: 'f', role: 'split' }], split: { valid: 0.2, test: 0.1 } }, /column "f" has role "split", so the top-level "split" shares do not apply: remove "split"/],
    [{ columns: [...base, { name: 'f', role: 'split', valid: 0.1 }] }, /columns\[2\] \("f"\): unknown key "valid" \(allowed: name, role, values, validShare, seed\)/],
    [{ columns: [...base, { name: 'f', role: 'split', validShare: 0.9 }] }, /"validShare" must be a number in \(0, 0\.5\], got 0\.9/],
    [{ columns: [...base, { name: 'f', role: 'split', values: { a: 'train', b: 'holdout' } }] }, /"values"\."b" must be one of "train", "valid", "test", got "holdout"/],
    [{ columns: [...base, { name: 'f', role: 'split', values: { A: 'train', ' a ': 'test' } }] }, /"values": "A" and " a " are the same cell value/],
    [{ columns: [...base, { name: 'f', role: 'split', values: {} }] }, /"values" must be a non-empty object/],
  ];
  for (const [json, re] of cases) assert.throws(() => parseSchema(json, 'my.json'), (e: Error) => e.message.startsWith('my.json: ') && re.test(e.message), JSON.stringify(json));
  // The parsed schema records no shares when a column gives the split.
  assert.equal(FOLD().split, undefined);
});
