// A training split larger than its memory budget, on disk: the encoding pass writes the
// encoded rows once, in chunks of CHUNK_ROWS rows, one file per chunk (the columns of
// dataset.ts back to back: cat, each multi field, num, labels). Training reads them back a
// buffer of chunks at a time (rows.ts). Node-only (file system): the worker never imports this.

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureLayout } from '../features/layout.ts';
import type { Example } from '../data/source.ts';
import { encodeExamples, type EncodedSplit } from './dataset.ts';

/** Rows per chunk file (about 12 MiB of the synthetic shop's encoding). */
export const CHUNK_ROWS = 65_536;

/**
 * Rows shuffled together (64 chunks, 4,194,304 rows; rows.ts): a fixed number, not one derived
 * from the memory budget, so the training order is the same whether a split is streamed or
 * held in memory, on any machine. A larger split is shuffled by chunk, then within windows.
 */
export const SHUFFLE_WINDOW_ROWS = 64 * CHUNK_ROWS;

/** The training split as chunk files. */
export interface StreamedSplit {
  n: number;
  dir: string;
  chunks: { path: string; rows: number }[];
  /** Rows per chunk file (the last one may hold fewer). */
  chunkRows: number;
  /** Encoded bytes of one row (what the chunks hold of it). */
  rowBytes: number;
  /** Rows of the buffer training shuffles within: whole chunks, SHUFFLE_WINDOW_ROWS unless the memory budget holds fewer. */
  bufferRows: number;
  /** Labels per task: positive and negative counts (checks.ts reads them instead of the rows). */
  positives: number[];
  negatives: number[];
}

export type TrainSplit = EncodedSplit | StreamedSplit;

export function isStreamed(s: TrainSplit): s is StreamedSplit {
  return 'chunks' in s;
}

/** Bytes per encoded row held in memory (columns, group, true probabilities). */
export function rowBytes(layout: FeatureLayout, tasks: number, withTrueProb: boolean): number {
  return 4 * (layout.catWidth + layout.multi.reduce((a, m) => a + m.maxLen, 0) + layout.numeric.length + tasks + 1 + (withTrueProb ? tasks : 0));
}

/** The columns of a split, in file order. */
function columns(s: EncodedSplit): (Int32Array | Float32Array)[] {
  return [s.batch.cat, ...s.batch.multi, s.batch.num, s.labels];
}

function* take<T>(it: Iterator<T>, n: number, done: { value: boolean }): Generator<T> {
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done) {
      done.value = true;
      return;
    }
    yield r.value;
  }
}

/**
 * Encodes a split chunk by chunk. While the encoded rows fit in `budgetBytes` they stay in
 * memory and come back as one EncodedSplit (identical to encodeExamples'); past it every chunk
 * goes to a file under the system's temporary directory (removed when the process exits) and
 * a StreamedSplit comes back, shuffled in windows of SHUFFLE_WINDOW_ROWS (fewer rows only when
 * `budgetBytes` cannot hold one).
 */
export function encodeWithin(
  layout: FeatureLayout,
  tasks: number,
  examples: Iterable<Example>,
  groups: Map<string, number>,
  budgetBytes: number,
  chunkRows = CHUNK_ROWS,
  /** Sees every chunk as encoded, before it is written (what an evaluation split keeps of it). */
  onChunk?: (c: EncodedSplit) => void,
): TrainSplit {
  const it = examples[Symbol.iterator]();
  const done = { value: false };
  const held: EncodedSplit[] = [];
  let heldBytes = 0;
  let store: ChunkWriter | null = null;
  while (!done.value) {
    const chunk = encodeExamples(layout, tasks, take(it, chunkRows, done), groups);
    if (chunk.n === 0) break;
    onChunk?.(chunk);
    if (store) {
      store.write(chunk);
      continue;
    }
    held.push(chunk);
    heldBytes += chunk.n * rowBytes(layout, tasks, chunk.trueProb !== undefined);
    if (heldBytes > budgetBytes) {
      store = new ChunkWriter(tasks);
      for (const c of held.splice(0)) store.write(c);
    }
  }
  if (store) return store.finish(budgetBytes, rowBytes(layout, tasks, false), chunkRows);
  return concatSplits(layout, tasks, held);
}

/**
 * A validation or test split under the same budget: in memory while it fits, else its inputs
 * go to chunk files and only labels, groups and true probabilities (9 numbers a row for 4
 * tasks, against about 45) stay in memory, so its metrics are computed over every row.
 */
export function encodeEvalWithin(layout: FeatureLayout, tasks: number, examples: Iterable<Example>, groups: Map<string, number>, budgetBytes: number, chunkRows = CHUNK_ROWS): EncodedSplit {
  // Only the targets of each chunk are kept (each column is its own buffer: the inputs are freed).
  const targets: Pick<EncodedSplit, 'n' | 'labels' | 'group' | 'trueProb'>[] = [];
  const s = encodeWithin(layout, tasks, examples, groups, budgetBytes, chunkRows, (c) => targets.push({ n: c.n, labels: c.labels, group: c.group, trueProb: c.trueProb }));
  if (!isStreamed(s)) return s;
  const n = s.n;
  const labels = new Float32Array(n * tasks);
  const group = new Int32Array(n);
  const withProb = targets[0].trueProb !== undefined;
  const trueProb = withProb ? new Float32Array(n * tasks) : undefined;
  let at = 0;
  for (const c of targets) {
    labels.set(c.labels, at * tasks);
    group.set(c.group, at);
    if (trueProb) trueProb.set(c.trueProb!, at * tasks);
    at += c.n;
  }
  const batch = { n, cat: new Int32Array(0), multi: layout.multi.map(() => new Int32Array(0)), num: new Float32Array(0) };
  return { n, batch, labels, group, trueProb, inputsOnDisk: { chunks: s.chunks, chunkRows } };
}

/** Chunk directories of this process, removed when it exits (one listener for all of them). */
const chunkDirs = new Set<string>();
function removeAtExit(dir: string): void {
  if (chunkDirs.size === 0) process.once('exit', () => chunkDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  chunkDirs.add(dir);
}

class ChunkWriter {
  readonly dir = mkdtempSync(join(tmpdir(), 'edge-mtl-rows-'));
  readonly chunks: StreamedSplit['chunks'] = [];
  private readonly positives: number[];
  private readonly negatives: number[];
  private n = 0;
  constructor(private readonly tasks: number) {
    this.positives = new Array<number>(tasks).fill(0);
    this.negatives = new Array<number>(tasks).fill(0);
    removeAtExit(this.dir);
  }
  write(c: EncodedSplit): void {
    const path = join(this.dir, `chunk-${String(this.chunks.length).padStart(6, '0')}.bin`);
    const fd = openSync(path, 'w');
    try {
      for (const a of columns(c)) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    } finally {
      closeSync(fd);
    }
    for (let i = 0; i < c.labels.length; i++) {
      if (c.labels[i] === 1) this.positives[i % this.tasks]++;
      else if (c.labels[i] === 0) this.negatives[i % this.tasks]++;
    }
    this.chunks.push({ path, rows: c.n });
    this.n += c.n;
  }
  finish(budgetBytes: number, bytes: number, chunkRows: number): StreamedSplit {
    const window = Math.max(1, Math.floor(SHUFFLE_WINDOW_ROWS / chunkRows));
    const bufferChunks = Math.min(window, Math.max(1, Math.floor(budgetBytes / (bytes * chunkRows))));
    return { n: this.n, dir: this.dir, chunks: this.chunks, chunkRows, rowBytes: bytes, bufferRows: Math.min(this.n, bufferChunks * chunkRows), positives: this.positives, negatives: this.negatives };
  }
}

/** Reads chunk `path` of `rows` rows into rows [at, at + rows) of `dst` (allocated for at least at + rows). */
export function readChunk(path: string, rows: number, dst: EncodedSplit, layout: FeatureLayout, tasks: number, at: number): void {
  const widths = [layout.catWidth, ...layout.multi.map((m) => m.maxLen), layout.numeric.length, tasks];
  const fd = openSync(path, 'r');
  try {
    let pos = 0;
    columns(dst).forEach((a, i) => {
      const bytes = rows * widths[i] * 4;
      const view = new Uint8Array(a.buffer, a.byteOffset + at * widths[i] * 4, bytes);
      for (let got = 0; got < bytes; ) {
        const r = readSync(fd, view, got, bytes - got, pos + got);
        if (r === 0) throw new Error(`training rows: ${path} is shorter than its ${rows} rows (was it removed or truncated while training?)`);
        got += r;
      }
      pos += bytes;
    });
  } finally {
    closeSync(fd);
  }
}

/** An empty split of capacity n (what a buffer of streamed rows is read into). */
export function allocSplit(layout: FeatureLayout, tasks: number, n: number): EncodedSplit {
  return {
    n,
    batch: { n, cat: new Int32Array(n * layout.catWidth), multi: layout.multi.map((m) => new Int32Array(n * m.maxLen)), num: new Float32Array(n * layout.numeric.length) },
    labels: new Float32Array(n * tasks),
    group: new Int32Array(0),
  };
}

/** Chunks one after the other as one split (what encodeExamples would have made of all rows). */
function concatSplits(layout: FeatureLayout, tasks: number, parts: EncodedSplit[]): EncodedSplit {
  if (parts.length === 0) return encodeExamples(layout, tasks, [], new Map());
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, p) => a + p.n, 0);
  const out = allocSplit(layout, tasks, n);
  out.group = new Int32Array(n);
  const withProb = parts[0].trueProb !== undefined;
  if (withProb) out.trueProb = new Float32Array(n * tasks);
  let at = 0;
  for (const p of parts) {
    const dst = [...columns(out), out.group];
    [...columns(p), p.group].forEach((a, i) => dst[i].set(a, (a.length / Math.max(1, p.n)) * at));
    if (withProb) out.trueProb!.set(p.trueProb!, at * tasks);
    at += p.n;
  }
  return out;
}

/** Removes a streamed split's chunk files now (they are removed at exit otherwise). */
export function removeChunks(s: TrainSplit): void {
  if (!isStreamed(s)) return;
  rmSync(s.dir, { recursive: true, force: true });
  chunkDirs.delete(s.dir);
}
