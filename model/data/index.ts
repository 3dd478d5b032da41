// Data sources by the name the CLI uses (--data NAME).

import { csvSource } from './csv/source.ts';
import { parquetSource } from './parquet.ts';
import { referenceTask } from './reference.ts';
import { loadSchema, type TableSchema } from './schema.ts';
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

/** A source the CLI names by itself; wholeFile: it reads its whole file, so --rows cannot apply. */
interface NamedSource {
  open(o: SourceOptions): DataSource;
  wholeFile?: boolean;
}

const NAMED_SOURCES: Record<string, NamedSource> = {
  synthetic: { open: (o) => syntheticShop({ rows: o.rows, seed: o.seed }) },
  reference: { open: (o) => referenceTask({ rows: o.rows, seed: o.seed }) },
  // --rows on the real Taobao log reads only its first N lines (smoke runs).
  taobao: { open: (o) => taobaoSource({ rows: o.rows }) },
  'uci-coupon': { open: () => uciCouponSource({ variant: 'redeem' }), wholeFile: true },
  'uci-coupon-by-type': { open: () => uciCouponSource({ variant: 'by-type' }), wholeFile: true },
};

/** Sources over the user's own file (--data FORMAT:PATH with --schema SCHEMA.json); they read the whole file. */
const FILE_FORMATS: Record<string, (path: string, schema: TableSchema) => DataSource> = {
  csv: csvSource,
  parquet: parquetSource,
};

export const DATA_SOURCES = [...Object.keys(NAMED_SOURCES), ...Object.keys(FILE_FORMATS).map((f) => `${f}:PATH`)];

const FILE_SOURCE = new RegExp(`^(${Object.keys(FILE_FORMATS).join('|')}):(.+)$`);

export function openDataSource(name: string, o: SourceOptions): DataSource {
  const file = FILE_SOURCE.exec(name);
  if (o.schema !== undefined && !file) throw new Error(`--schema only applies to --data ${DATA_SOURCES.filter((s) => s.endsWith(':PATH')).join(' or ')}`);
  const named = Object.prototype.hasOwnProperty.call(NAMED_SOURCES, name) ? NAMED_SOURCES[name] : undefined;
  if (!file && !named) throw new Error(`unknown data source "${name}" (known: ${DATA_SOURCES.join(', ')})`);
  if ((file || named?.wholeFile) && o.rows !== undefined) throw new Error(`--rows does not apply to --data ${name} (it reads the whole file)`);
  if (named) return named.open(o);
  const [, format, path] = file!;
  if (!o.schema) throw new Error(`--data ${format}:PATH needs --schema SCHEMA.json (see docs/data.md)`);
  return FILE_FORMATS[format](path, loadSchema(o.schema));
}
