// A DataSource over any table read record by record (CSV, Parquet) and described by a schema.
//
// Opening the source reads the table once: every row is checked (bad rows counted by reason),
// with a time column a uniform sample of the times gives the split's cut points, and with a
// split column the rows per split are counted (column-split.ts). After
// that, examples(split) streams the table again and keeps the rows of its split, so a table
// larger than memory is never held at once.

import type { CandidateKind, RawRow } from '../../features/spec.ts';
import { BadRows, describeBadRows, type AuditedSource } from '../bad-rows.ts';
import { DEFAULT_SPLIT, schemaFeatures, schemaTasks, type ColumnSchema, type SplitColumn, type TableSchema } from '../schema.ts';
import type { Example, Split } from '../source.ts';
import { hashSplit, TimeSample, timeSplit, type TimeCuts } from '../split.ts';
import { CellReader, type Cell } from './cells.ts';
import { ColumnSplit } from './column-split.ts';

export type TableRecord = { ok: true; cells: readonly Cell[]; line: number } | { ok: false; reason: string; line: number };

export interface TableReader {
  /** Column names in cell order. */
  readonly columns: readonly string[];
  /** Data records (no header), in file order; each call restarts from the beginning. */
  records(): Iterable<TableRecord>;
  describe(): Record<string, unknown>;
}

/** Schema columns bound to cell positions. */
interface Bound {
  col: ColumnSchema;
  at: number;
}

export interface TableOptions {
  /** Where notes about the data go (a validation split carved from train); default stderr. */
  log?: (line: string) => void;
}

/**
 * `masked`: labels dropped because the row's candidate kind is not the task's appliesTo;
 * `split`: the row's own split, when a column gives it.
 */
type Converted = { ok: true; ex: Example; masked: number; split?: Split } | { ok: false; reason: string };

export class TableSource implements AuditedSource {
  readonly features;
  readonly tasks;
  readonly kinds;
  private readonly kindNames: readonly string[];
  rowsRead = 0;
  readonly badRows;
  readonly badRowLines;
  /** Labels masked because the row's candidate kind is not the task's appliesTo. */
  maskedByKind = 0;
  private readonly bound: Bound[];
  private readonly cells: CellReader;
  private readonly timeCol: Bound | undefined;
  private cuts: TimeCuts | undefined;
  /** Set when a column with role "split" gives each row's split; then there are no shares. */
  private readonly columnSplit: ColumnSplit | undefined;
  private readonly splitRows: Record<Split, number> = { train: 0, valid: 0, test: 0 };

  constructor(
    readonly name: string,
    private readonly reader: TableReader,
    readonly schema: TableSchema,
    opts: TableOptions = {},
  ) {
    this.features = schemaFeatures(schema);
    this.tasks = schemaTasks(schema);
    this.kinds = schema.kinds;
    this.kindNames = schema.kinds.map((k) => k.name);
    this.cells = new CellReader(schema.missing);
    const where = new Map(reader.columns.map((c, i) => [c, i]));
    const missing = schema.columns.filter((c) => !where.has(c.name)).map((c) => c.name);
    if (missing.length) {
      throw new Error(`${name}: schema column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not in the data (its columns: ${reader.columns.join(', ')})`);
    }
    this.bound = schema.columns.filter((c) => c.role !== 'ignore').map((col) => ({ col, at: where.get(col.name)! }));
    this.timeCol = this.bound.find((b) => b.col.role === 'time');
    const splitCol = schema.columns.find((c): c is SplitColumn => c.role === 'split');
    if (splitCol) this.columnSplit = new ColumnSplit(splitCol);
    const bad = new BadRows();
    this.badRows = bad.counts;
    this.badRowLines = bad.firstLine;
    this.scan(bad);
    if (this.columnSplit) {
      const why = bad.total ? `; ${bad.total} of ${this.rowsRead} rows are bad: ${describeBadRows(bad.counts, bad.firstLine)}` : '';
      const note = this.columnSplit.finish(`data ${name}: `, why);
      if (note) (opts.log ?? ((l) => process.stderr.write(`${l}\n`)))(note);
    }
  }

  /** The shares of a time or hash split (a parsed schema has them whenever no column gives the split). */
  private get shares(): NonNullable<TableSchema['split']> {
    return this.schema.split ?? DEFAULT_SPLIT;
  }

  /** The one full pass at open: bad rows, row count, time cut points or rows per split column value. */
  private scan(bad: BadRows): void {
    const sample = this.timeCol ? new TimeSample(1_000_000, this.shares.seed) : undefined;
    let index = 0;
    for (const r of this.reader.records()) {
      this.rowsRead++;
      const c = r.ok ? this.convert(r.cells, index) : r;
      if (!c.ok) bad.add(c.reason, r.line);
      else {
        this.maskedByKind += c.masked;
        if (this.columnSplit) this.columnSplit.add(c.split!, index);
        else if (sample) sample.add(c.ex.time);
        else this.splitRows[hashSplit(index, this.shares.seed, this.shares)]++;
      }
      index++;
    }
    if (sample) this.cuts = sample.cuts(this.shares);
  }

  private splitOf(c: Converted & { ok: true }, index: number): Split {
    if (this.columnSplit) return this.columnSplit.splitOf(c.split!, index);
    return this.cuts ? timeSplit(c.ex.time, this.cuts) : hashSplit(index, this.shares.seed, this.shares);
  }

  /** One record -> an example, or the reason it is a bad row. */
  private convert(cells: readonly Cell[], index: number): Converted {
    if (cells.length !== this.reader.columns.length) return { ok: false, reason: 'wrong_column_count' };
    const features: RawRow = {};
    const labels: (0 | 1 | null)[] = [];
    let kind: CandidateKind = this.schema.candidateKind;
    let group = '';
    let time = index;
    let split: Split | undefined;
    const R = this.cells;
    for (const { col, at } of this.bound) {
      const cell = cells[at];
      switch (col.role) {
        case 'categorical':
          features[col.name] = R.categorical(cell);
          if (col.group) group = R.categorical(cell) ?? '';
          break;
        case 'numeric': {
          const v = R.numeric(cell);
          if (!v.ok) return { ok: false, reason: `bad_number:${col.name}` };
          features[col.name] = v.value;
          break;
        }
        case 'multi':
          features[col.name] = R.multi(cell);
          break;
        case 'label': {
          const v = R.label(cell);
          if (!v.ok) return { ok: false, reason: `bad_label:${col.name}` };
          labels.push(v.value);
          break;
        }
        case 'time': {
          const v = R.time(cell, col.unit);
          if (!v.ok) return { ok: false, reason: `bad_time:${col.name}` };
          time = v.value;
          break;
        }
        case 'split': {
          const v = R.split(cell, col.values);
          if (!v.ok) return { ok: false, reason: `bad_split:${col.name}` };
          split = v.value;
          break;
        }
        case 'group':
          group = R.categorical(cell) ?? '';
          break;
        case 'candidate_kind': {
          const v = R.kind(cell, this.kindNames);
          if (!v.ok) return { ok: false, reason: `bad_candidate_kind:${col.name}` };
          kind = v.value;
          break;
        }
      }
    }
    features.candidate_kind = kind;
    // A task is only served on candidates of its kind, so it only learns from those rows.
    let masked = 0;
    this.tasks.forEach((t, i) => {
      if (labels[i] !== null && t.appliesTo !== kind) {
        labels[i] = null;
        masked++;
      }
    });
    return { ok: true, ex: { features, labels, kind, group, time }, masked, split };
  }

  examples(split: Split): Iterable<Example> {
    const self = this;
    return {
      *[Symbol.iterator]() {
        let index = 0;
        for (const r of self.reader.records()) {
          const i = index++;
          if (!r.ok) continue;
          const c = self.convert(r.cells, i);
          // Bad rows were counted when the source was opened.
          if (c.ok && self.splitOf(c, i) === split) yield c.ex;
        }
      },
    };
  }

  describe(): Record<string, unknown> {
    const good = this.rowsRead - Object.values(this.badRows).reduce((a, b) => a + b, 0);
    return {
      source: this.name,
      ...this.reader.describe(),
      rows: this.rowsRead,
      goodRows: good,
      badRows: { ...this.badRows },
      split: this.columnSplit
        ? this.columnSplit.describe()
        : this.cuts
          ? { by: 'time', column: this.timeCol!.col.name, validFrom: this.cuts.valid, testFrom: this.cuts.test, shares: { valid: this.shares.valid, test: this.shares.test } }
          : { by: 'hash of row number', seed: this.shares.seed, rows: { ...this.splitRows } },
      labelsMaskedByKind: this.maskedByKind,
      schema: this.schema,
    };
  }
}
