// Bad-row bookkeeping shared by the file-backed sources. A row that cannot be read is never
// dropped silently: it is counted under a reason (with the first line it happened on, so the
// user can look), the CLI prints the counts, and above a share of all rows the run stops,
// because a file that is mostly unreadable (wrong delimiter, wrong schema) would otherwise
// train a model on whatever little survived.

import type { BadRowCounts, DataSource } from './source.ts';

export class BadRows {
  readonly counts: BadRowCounts = {};
  readonly firstLine: Record<string, number> = {};
  add(reason: string, line: number): void {
    if (this.counts[reason] === undefined) {
      this.counts[reason] = 0;
      this.firstLine[reason] = line;
    }
    this.counts[reason]++;
  }
  get total(): number {
    let n = 0;
    for (const k in this.counts) n += this.counts[k];
    return n;
  }
}

/** A source that reads every row once when opened, so it knows its bad rows before training. */
export interface AuditedSource extends DataSource {
  /** Data rows read (good and bad; header and blank lines excluded). */
  rowsRead: number;
  badRows: BadRowCounts;
  /** Line of the first bad row of each reason. */
  badRowLines: Record<string, number>;
}

export function isAudited(s: DataSource): s is AuditedSource {
  return typeof (s as Partial<AuditedSource>).rowsRead === 'number' && (s as Partial<AuditedSource>).badRows !== undefined;
}

/** "bad_number:price 3 (first at line 7), wrong_column_count 1 (first at line 2)" */
export function describeBadRows(counts: BadRowCounts, lines: Record<string, number> = {}): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k} ${v}${lines[k] !== undefined ? ` (first at line ${lines[k]})` : ''}`)
    .join(', ');
}

/** Throws a one-line error when more than `maxShare` of the rows read were bad. */
export function checkBadShare(s: AuditedSource, maxShare: number): void {
  let bad = 0;
  for (const k in s.badRows) bad += s.badRows[k];
  if (s.rowsRead === 0) throw new Error(`data ${s.name}: no data rows`);
  const share = bad / s.rowsRead;
  if (share > maxShare) {
    throw new Error(
      `data ${s.name}: ${bad} of ${s.rowsRead} rows are bad (${(share * 100).toFixed(1)}%), above --max-bad-share ${maxShare}: ${describeBadRows(s.badRows, s.badRowLines)}`,
    );
  }
}
