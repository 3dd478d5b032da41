// --data csv:PATH --schema SCHEMA.json: a user's CSV file as a data source. The file is streamed
// (see reader.ts); the schema says what each column is (see ../schema.ts and docs/data.md).

import { statSync } from 'node:fs';
import type { TableSchema } from '../schema.ts';
import { TableSource, type TableOptions, type TableReader, type TableRecord } from '../table/source.ts';
import { readCsvRecords, type CsvReadOptions } from './reader.ts';
import { requireFile } from '../table/require-file.ts';

const OTHER_DELIMITERS = [',', ';', '\t', '|'];

class CsvTable implements TableReader {
  readonly columns: readonly string[];
  private readonly skipHeader: boolean;
  constructor(
    readonly path: string,
    schema: TableSchema,
    private readonly opts: CsvReadOptions,
  ) {
    this.skipHeader = schema.header;
    if (!schema.header) {
      this.columns = schema.columns.map((c) => c.name);
      return;
    }
    const it = readCsvRecords(path, opts);
    const first = it.next();
    it.return(undefined); // closes the file
    if (first.done) throw new Error(`${path} is empty (the schema expects a header line)`);
    if (!first.value.ok) throw new Error(`${path}: cannot read the header line (${first.value.reason})`);
    this.columns = first.value.fields.map((f) => f.trim());
    const wanted = schema.columns.length;
    if (this.columns.length === 1 && wanted > 1) {
      const guess = OTHER_DELIMITERS.find((d) => d !== schema.delimiter && this.columns[0].includes(d));
      const hint = guess ? `; is the delimiter ${JSON.stringify(guess)}? (the schema says ${JSON.stringify(schema.delimiter)})` : '';
      throw new Error(`${path}: the header has one column ${JSON.stringify(this.columns[0])} but the schema declares ${wanted}${hint}`);
    }
    const seen = new Set<string>();
    for (const c of this.columns) {
      if (seen.has(c)) throw new Error(`${path}: the header names column "${c}" twice`);
      seen.add(c);
    }
  }

  *records(): Generator<TableRecord> {
    let header = this.skipHeader;
    for (const r of readCsvRecords(this.path, this.opts)) {
      if (header) {
        header = false;
        continue;
      }
      yield r.ok ? { ok: true, cells: r.fields, line: r.line } : r;
    }
  }

  describe(): Record<string, unknown> {
    const st = statSync(this.path);
    return { file: this.path, bytes: st.size, format: 'csv', columns: this.columns };
  }
}

export function csvSource(path: string, schema: TableSchema, opts: Omit<CsvReadOptions, 'delimiter'> & TableOptions = {}): TableSource {
  requireFile(path);
  const { log, ...read } = opts;
  return new TableSource(`csv:${path}`, new CsvTable(path, schema, { ...read, delimiter: schema.delimiter }), schema, { log });
}
