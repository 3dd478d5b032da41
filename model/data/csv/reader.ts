// A synchronous, streaming CSV record reader (RFC 4180). DataSource.examples() is a synchronous
// generator, so the file is read with fs.readSync in fixed-size chunks: memory stays bounded by
// one chunk plus the longest record, whatever the file's size.
//
// Parsing works on bytes, not decoded text: the delimiter, quote, CR and LF are ASCII, and UTF-8
// never uses ASCII bytes inside a multi-byte character, so a chunk boundary can fall anywhere and
// fields are decoded only once they are complete.
//
// A malformed record never stops the stream: it is yielded as { ok: false, reason } and reading
// resumes at the next physical line, so one stray quote costs one line, not the rest of the file.

import { closeSync, openSync, readSync } from 'node:fs';

export interface CsvReadOptions {
  /** One ASCII character (default ","). */
  delimiter?: string;
  /** Bytes per read (default 1 MiB). */
  chunkBytes?: number;
  /**
   * A quoted field may span lines; a record still open after this many bytes is taken to be an
   * unbalanced quote and reported (default 1 MiB).
   */
  maxRecordBytes?: number;
}

export type CsvBadReason = 'unterminated_quote' | 'bad_quote' | 'line_too_long';

export type CsvRecord =
  | { ok: true; fields: string[]; /** 1-based line where the record starts. */ line: number }
  | { ok: false; reason: CsvBadReason; line: number };

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** What parsing from one position found. `end` is where the next record starts. */
type Parsed =
  | { kind: 'more' }
  | { kind: 'record'; fields: string[]; end: number; lines: number }
  | { kind: 'blank'; end: number }
  | { kind: 'bad'; reason: CsvBadReason; end: number; lines: number };

const MORE: Parsed = { kind: 'more' };

export function delimiterByte(delimiter: string): number {
  if (delimiter.length !== 1 || delimiter.charCodeAt(0) > 0x7f || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new Error(`CSV delimiter must be one ASCII character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  return delimiter.charCodeAt(0);
}

/** Records of a CSV file, in order. Blank lines are skipped (they are not rows). */
export function* readCsvRecords(path: string, o: CsvReadOptions = {}): Generator<CsvRecord> {
  const D = delimiterByte(o.delimiter ?? ',');
  const chunkBytes = o.chunkBytes ?? 1 << 20;
  const maxRecord = o.maxRecordBytes ?? 1 << 20;
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let buf: Buffer = Buffer.alloc(0);
    let filePos = 0;
    let eof = false;
    let p = 0;
    let line = 1;
    let first = true;
    const fill = (): void => {
      const n = readSync(fd, chunk, 0, chunkBytes, filePos);
      filePos += n;
      if (n === 0) eof = true;
      buf = Buffer.concat([buf.subarray(p), chunk.subarray(0, n)]);
      p = 0;
      // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first field.
      if (first && buf.length >= 3) {
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3;
      }
    };
    fill();
    while (p < buf.length || !eof) {
      const r = p < buf.length ? parseRecord(buf, p, eof, D) : MORE;
      if (r.kind === 'more') {
        if (buf.length - p > maxRecord) {
          // Still open after maxRecord bytes: report the record's first line and resume after it.
          const reason: CsvBadReason = buf[p] === QUOTE || buf.indexOf(QUOTE, p) >= 0 ? 'unterminated_quote' : 'line_too_long';
          yield { ok: false, reason, line };
          skipLine: for (;;) {
            const lf = buf.indexOf(LF, p);
            if (lf >= 0) {
              p = lf + 1;
              break skipLine;
            }
            p = buf.length;
            if (eof) break skipLine;
            fill();
          }
          line++;
          continue;
        }
        fill();
        continue;
      }
      if (r.kind === 'record') yield { ok: true, fields: r.fields, line };
      else if (r.kind === 'bad') yield { ok: false, reason: r.reason, line };
      line += r.kind === 'blank' ? 1 : r.lines;
      p = r.end;
    }
  } finally {
    closeSync(fd);
  }
}

/** Index of the first LF at or after `from`, or -1. */
function lineEnd(buf: Buffer, from: number): number {
  return buf.indexOf(LF, from);
}

/** A bad record: it ends with the physical line it started on (resynchronising there). */
function badLine(buf: Buffer, start: number, reason: CsvBadReason): Parsed {
  const lf = lineEnd(buf, start);
  return lf < 0 ? { kind: 'bad', reason, end: buf.length, lines: 1 } : { kind: 'bad', reason, end: lf + 1, lines: 1 };
}

function countLf(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(LF, from); i >= 0 && i < to; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/**
 * Parse one record starting at `start`. Returns 'more' when the buffer ends inside the record and
 * the file has more bytes; at end of file an open quote is a bad record.
 */
function parseRecord(buf: Buffer, start: number, eof: boolean, D: number): Parsed {
  const n = buf.length;
  // Blank line (LF or CRLF alone).
  if (buf[start] === LF) return { kind: 'blank', end: start + 1 };
  if (buf[start] === CR) {
    if (start + 1 >= n && !eof) return MORE;
    if (start + 1 >= n || buf[start + 1] === LF) return { kind: 'blank', end: Math.min(n, start + 2) };
  }
  const fields: string[] = [];
  let lines = 0;
  let p = start;
  for (;;) {
    if (p < n && buf[p] === QUOTE) {
      // Quoted field: "" is an escaped quote; delimiters and line breaks inside are data.
      const parts: string[] = [];
      let seg = p + 1;
      let q = seg;
      let close = -1;
      for (;;) {
        const i = buf.indexOf(QUOTE, q);
        if (i < 0) return eof ? badLine(buf, start, 'unterminated_quote') : MORE;
        if (i + 1 >= n && !eof) return MORE;
        if (i + 1 < n && buf[i + 1] === QUOTE) {
          parts.push(buf.toString('utf8', seg, i + 1));
          q = seg = i + 2;
          continue;
        }
        parts.push(buf.toString('utf8', seg, i));
        close = i;
        break;
      }
      lines += countLf(buf, p, close);
      fields.push(parts.length === 1 ? parts[0] : parts.join(''));
      p = close + 1;
      if (p >= n) return { kind: 'record', fields, end: n, lines: lines + 1 };
      const c = buf[p];
      if (c === D) {
        p++;
        continue;
      }
      if (c === LF) return { kind: 'record', fields, end: p + 1, lines: lines + 1 };
      if (c === CR) {
        if (p + 1 >= n) {
          if (!eof) return MORE;
          return { kind: 'record', fields, end: n, lines: lines + 1 };
        }
        if (buf[p + 1] === LF) return { kind: 'record', fields, end: p + 2, lines: lines + 1 };
      }
      // Text after a closing quote ("ab"c): not RFC 4180. Resume after the line it is on.
      const lf = lineEnd(buf, p);
      if (lf < 0 && !eof) return MORE;
      return { kind: 'bad', reason: 'bad_quote', end: lf < 0 ? n : lf + 1, lines: lines + 1 };
    }
    // Unquoted field: up to the delimiter or the end of the line (a CR before LF is dropped).
    let i = p;
    while (i < n && buf[i] !== D && buf[i] !== LF) i++;
    if (i >= n && !eof) return MORE;
    let e = i;
    if (e > p && buf[e - 1] === CR && (i >= n || buf[i] === LF)) e--;
    fields.push(buf.toString('utf8', p, e));
    if (i >= n) return { kind: 'record', fields, end: n, lines: 1 + lines };
    if (buf[i] === D) {
      p = i + 1;
      continue;
    }
    return { kind: 'record', fields, end: i + 1, lines: 1 + lines };
  }
}
