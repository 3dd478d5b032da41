// The registry of data sources (--data NAME): every name the CLI lists opens its source, and a
// wrong combination of flags is refused with its one-line error before any file is read.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATA_SOURCES, openDataSource } from '../model/data/index.ts';

test('the CLI lists every source by name, own-file formats last', () => {
  assert.deepEqual(DATA_SOURCES, ['synthetic', 'reference', 'taobao', 'uci-coupon', 'uci-coupon-by-type', 'csv:PATH', 'parquet:PATH']);
});

test('synthetic and reference open by name with --rows and --seed', () => {
  assert.equal(openDataSource('synthetic', { rows: 1000, seed: 3 }).name, 'synthetic');
  assert.equal(openDataSource('reference', { rows: 1000, seed: 3 }).name, 'reference');
});

test('wrong flags for a source are refused with a clear error', () => {
  assert.throws(() => openDataSource('nope', {}), /^Error: unknown data source "nope" \(known: synthetic, reference, taobao, uci-coupon, uci-coupon-by-type, csv:PATH, parquet:PATH\)$/);
  assert.throws(() => openDataSource('csv:', {}), /unknown data source "csv:"/);
  assert.throws(() => openDataSource('synthetic', { schema: 's.json' }), /^Error: --schema only applies to --data csv:PATH or parquet:PATH$/);
  assert.throws(() => openDataSource('nope', { schema: 's.json' }), /--schema only applies/);
  for (const name of ['uci-coupon', 'uci-coupon-by-type', 'csv:x.csv', 'parquet:x.parquet']) {
    assert.throws(() => openDataSource(name, { rows: 10 }), new RegExp(`^Error: --rows does not apply to --data ${name.replace('.', '\\.')} \\(it reads the whole file\\)$`));
  }
  assert.throws(() => openDataSource('parquet:x.parquet', {}), /^Error: --data parquet:PATH needs --schema SCHEMA\.json \(see docs\/data\.md\)$/);
});
