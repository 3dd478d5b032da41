// The split a table brings with it: a column with role "split" gives each row's train / valid /
// test, and it is used as it is (a benchmark's published split, a team's own holdout).
//
// Many public benchmarks ship only train and test. Early stopping and the F1 threshold need a
// validation split, so then a share of the train rows becomes validation, chosen by a seeded hash
// of the row number as in the hash split of a table without time (deterministic, and fixing one
// bad row moves no other row); the test rows are never touched. The source says how many rows.
// A split without train or test rows cannot train or score a model: that is an error, at open.

import type { SplitColumn } from '../schema.ts';
import type { Split } from '../source.ts';
import { hashSplit } from '../split.ts';

/** The share of train rows carved out as validation when the data has none and the column sets none. */
export const DEFAULT_VALID_SHARE = 0.1;

const count = (n: number) => n.toLocaleString('en-US');
const trainRows = (n: number) => `${count(n)} train row${n === 1 ? '' : 's'}`;

export class ColumnSplit {
  /** Good rows per split as the data gives them. */
  private readonly given: Record<Split, number> = { train: 0, valid: 0, test: 0 };
  /** Train rows that the hash puts into validation (used only when the data has no valid rows). */
  private carvable = 0;
  private carving = false;
  private readonly share: number;

  constructor(readonly col: SplitColumn) {
    this.share = col.validShare ?? DEFAULT_VALID_SHARE;
  }

  private carved(index: number): boolean {
    return hashSplit(index, this.col.seed, { valid: this.share, test: 0 }) === 'valid';
  }

  /** Counts one good row (`index`: its row number in the file, bad rows included) in the opening scan. */
  add(split: Split, index: number): void {
    this.given[split]++;
    if (split === 'train' && this.carved(index)) this.carvable++;
  }

  /**
   * After the opening scan: decides whether to carve validation rows out of train and returns the
   * line that says so (undefined when the data has its own valid rows). Throws one line when a
   * split stays empty (`prefix` names the source; `why`, e.g. the bad rows, is appended so the
   * cause is in the same line).
   */
  finish(prefix: string, why: string): string | undefined {
    const g = this.given;
    const col = `split column "${this.col.name}"`;
    const err = `${prefix}${col}`;
    const rows = `(train ${count(g.train)}, valid ${count(g.valid)}, test ${count(g.test)})`;
    if (g.train === 0) throw new Error(`${err} gives no train rows ${rows}${why}`);
    if (g.test === 0) throw new Error(`${err} gives no test rows ${rows}: a model cannot be scored without them${why}`);
    if (g.valid > 0) {
      if (this.col.validShare !== undefined) throw new Error(`${err} sets "validShare" but the data has its own ${count(g.valid)} valid rows: remove "validShare"`);
      return undefined;
    }
    const how = `validShare ${this.share} of its ${trainRows(g.train)}`;
    if (this.carvable === 0) throw new Error(`${err} gives no valid rows, and carving ${how} gave none: a model cannot be early-stopped without them (mark some rows valid, or raise "validShare")${why}`);
    if (this.carvable === g.train) throw new Error(`${err} gives no valid rows, and carving ${how} left no train rows${why}`);
    this.carving = true;
    return `${col}: the data has no valid rows, so ${count(this.carvable)} of its ${trainRows(g.train)} (validShare ${this.share}, by a seeded hash of the row number, seed ${this.col.seed}) are the validation split`;
  }

  /** The split of a row whose cell says `split`. */
  splitOf(split: Split, index: number): Split {
    return this.carving && split === 'train' && this.carved(index) ? 'valid' : split;
  }

  describe(): Record<string, unknown> {
    const c = this.carving ? this.carvable : 0;
    const rows = { train: this.given.train - c, valid: this.given.valid + c, test: this.given.test };
    return {
      by: 'column',
      column: this.col.name,
      rows,
      ...(this.carving ? { validFromTrain: { rows: c, share: this.share, seed: this.col.seed } } : {}),
    };
  }
}
