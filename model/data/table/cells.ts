// One table cell -> a feature value, label or time, by the column's role. A cell that cannot be
// what its column says is reported as a reason string (the row is then a bad row), never turned
// into NaN: an empty numeric cell is *missing* (the encoder maps it to the training mean), but
// "abc" in a numeric column is an error in the data.

import type { CandidateKind, RawValue } from '../../features/spec.ts';
import type { Split } from '../source.ts';

/** A cell as a reader hands it over: CSV gives strings, Parquet typed values. */
export type Cell = string | number | bigint | boolean | Date | null | undefined | readonly unknown[];

/** A value, or the reason it is unreadable. */
export type Parsed<T> = { ok: true; value: T } | { ok: false };
const BAD = { ok: false } as const;
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });

// Plain decimal numbers only: Number() would also accept "0x1F", "Infinity" and " ".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export class CellReader {
  private readonly missing: Set<string>;
  constructor(missing: readonly string[]) {
    this.missing = new Set(missing.map((m) => m.trim()));
  }

  isMissing(c: Cell): boolean {
    if (c === null || c === undefined) return true;
    if (typeof c === 'string') return this.missing.has(c.trim());
    return false;
  }

  categorical(c: Cell): string | null {
    if (this.isMissing(c)) return null;
    if (typeof c === 'string') return c.trim();
    if (c instanceof Date) return c.toISOString();
    if (Array.isArray(c)) return c.join(',');
    return String(c);
  }

  numeric(c: Cell): Parsed<number | null> {
    if (this.isMissing(c)) return ok(null);
    let x: number;
    if (typeof c === 'number') x = c;
    else if (typeof c === 'bigint') x = Number(c);
    else if (typeof c === 'boolean') x = c ? 1 : 0;
    else if (typeof c === 'string') {
      const s = c.trim();
      if (!DECIMAL.test(s)) return BAD;
      x = Number(s);
    } else return BAD;
    return Number.isFinite(x) ? ok(x) : BAD;
  }

  /** A list cell (Parquet LIST) or a string the encoder splits on the column's separator. */
  multi(c: Cell): RawValue {
    if (this.isMissing(c)) return null;
    if (Array.isArray(c)) return c.filter((v) => v !== null && v !== undefined).map((v) => String(v));
    return this.categorical(c);
  }

  /** 0 / 1 (also "1.0", true / false); missing masks the task for the row. */
  label(c: Cell): Parsed<0 | 1 | null> {
    if (this.isMissing(c)) return ok(null);
    if (typeof c === 'boolean') return ok(c ? 1 : 0);
    if (typeof c === 'string') {
      const s = c.trim().toLowerCase();
      if (s === 'true') return ok(1);
      if (s === 'false') return ok(0);
    }
    const n = this.numeric(c);
    if (!n.ok || n.value === null) return BAD;
    return n.value === 1 ? ok(1) : n.value === 0 ? ok(0) : BAD;
  }

  /** Seconds since the Unix epoch. A row without a time cannot be placed in a split. */
  time(c: Cell, unit: 's' | 'ms' | 'iso'): Parsed<number> {
    if (this.isMissing(c)) return BAD;
    if (c instanceof Date) {
      const t = c.getTime();
      return Number.isFinite(t) ? ok(t / 1000) : BAD;
    }
    if (unit === 'iso') {
      if (typeof c !== 'string') return BAD;
      const t = Date.parse(c.trim());
      return Number.isFinite(t) ? ok(t / 1000) : BAD;
    }
    const n = this.numeric(c);
    if (!n.ok || n.value === null) return BAD;
    return ok(unit === 'ms' ? n.value / 1000 : n.value);
  }

  /**
   * The row's own split, by the column's `values` (keys trimmed, lower case; see schema.ts). A row
   * without one, or with any other value, is a bad row: it is never guessed into a split.
   */
  split(c: Cell, values: Readonly<Record<string, Split>>): Parsed<Split> {
    const s = this.categorical(c)?.toLowerCase();
    return s !== undefined && Object.hasOwn(values, s) ? ok(values[s]) : BAD;
  }

  kind(c: Cell, kinds: readonly CandidateKind[]): Parsed<CandidateKind> {
    const s = this.categorical(c);
    return typeof s === 'string' && kinds.includes(s) ? ok(s) : BAD;
  }
}
