// Data sources by the name the CLI uses (--data NAME).

import { csvSource } from './csv/source.ts';
import { parquetSource } from './parquet.ts';
import { referenceTask } from './reference.ts';
import { loadSchema } from './schema.ts';
import { syntheticShop } from './synthetic/shop.ts';
import type { DataSource } from './source.ts';
import { taobaoSource } from './taobao/source.ts';
import { uciCouponSource } from './uci-coupon/source.ts';

export interface SourceOptions {
  rows?: number;
  seed?: number;
  /** Path of the schema JSON of a csv:PATH or parquet:PATH source. */
  schema?: string;
}

export const DATA_SOURCES = ['synthetic', 'reference', 'taobao', 'uci-coupon', 'uci-coupon-by-type', 'csv:PATH', 'parquet:PATH'];

export function openDataSource(name: string, o: SourceOptions): DataSource {
  const file = /^(csv|parquet):(.+)$/.exec(name);
  if (o.schema !== undefined && !file) throw new Error(`--schema only applies to --data csv:PATH or parquet:PATH`);
  if (name === 'synthetic') return syntheticShop({ rows: o.rows, seed: o.seed });
  if (name === 'reference') return referenceTask({ rows: o.rows, seed: o.seed });
  // --rows on the real Taobao log reads only its first N lines (smoke runs).
  if (name === 'taobao') return taobaoSource({ rows: o.rows });
  if (name === 'uci-coupon' || name === 'uci-coupon-by-type' || file) {
    if (o.rows !== undefined) throw new Error(`--rows does not apply to --data ${name} (it reads the whole file)`);
  }
  if (name === 'uci-coupon') return uciCouponSource({ variant: 'redeem' });
  if (name === 'uci-coupon-by-type') return uciCouponSource({ variant: 'by-type' });
  if (file) {
    if (!o.schema) throw new Error(`--data ${file[1]}:PATH needs --schema SCHEMA.json (see docs/data.md)`);
    const schema = loadSchema(o.schema);
    return file[1] === 'csv' ? csvSource(file[2], schema) : parquetSource(file[2], schema);
  }
  throw new Error(`unknown data source "${name}" (known: ${DATA_SOURCES.join(', ')})`);
}
