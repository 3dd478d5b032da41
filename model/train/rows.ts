// The training rows of an epoch in shuffled order, whether the split is in memory or in chunk
// files (row-store.ts). Both draw the same order, so where the rows live (which the memory
// budget decides, and so the machine) never changes what is trained: the split is cut into
// chunks of CHUNK_ROWS rows; when it has more rows than a shuffle window (SHUFFLE_WINDOW_ROWS)
// the chunk order is shuffled each epoch; then a window of whole chunks at a time is shuffled
// within. A split of at most one window gets one permutation of all its rows per epoch.
// Everything comes from the trainer's seeded generator, so a seed gives the same order on
// every run and every machine. Only a memory budget too small for one window shrinks the
// window of a streamed split (the CLI says so, the manifest records it).

import type { Rng } from '../engine/rng.ts';
import type { EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import { gatherRows, type EncodedSplit } from './dataset.ts';
import { allocSplit, CHUNK_ROWS, isStreamed, readChunk, SHUFFLE_WINDOW_ROWS, type StreamedSplit, type TrainSplit } from './row-store.ts';

export interface TrainRows {
  readonly n: number;
  /** Draws this epoch's order. */
  startEpoch(rng: Rng): void;
  /** Copies rows [from, to) of this epoch's order into dst (calls come in order within an epoch). */
  gather(from: number, to: number, dst: EncodedBatch, dstLabels: Float32Array): void;
}

/** How an in-memory split is cut for the order (tests pass small ones; training the defaults). */
export interface Windowing {
  chunkRows: number;
  windowRows: number;
}

export function trainRows(split: TrainSplit, layout: FeatureLayout, tasks: number, windowing: Windowing = { chunkRows: CHUNK_ROWS, windowRows: SHUFFLE_WINDOW_ROWS }): TrainRows {
  if (isStreamed(split)) return new StreamedRows(split, layout, tasks);
  const chunks: number[] = [];
  for (let at = 0; at < split.n; at += windowing.chunkRows) chunks.push(Math.min(windowing.chunkRows, split.n - at));
  return new MemoryRows(split, layout, tasks, new WindowOrder(chunks, windowing.windowRows));
}

/** One window of an epoch: its chunks (indices, in the order read) and the permutation of its rows. */
interface Window {
  chunks: number[];
  rows: number;
  perm: Int32Array;
}

/** The epoch order of chunked rows: chunk order shuffled (past one window), rows shuffled per window. */
class WindowOrder {
  readonly n: number;
  readonly windowRows: number;
  private readonly chunkOrder: Int32Array;
  private readonly perm: Int32Array;
  private rng: Rng | null = null;
  private next = 0;
  /** Rows of the previous window: a window of another size starts from the identity again. */
  private lastRows = -1;
  constructor(readonly chunkSizes: readonly number[], windowRows: number) {
    this.n = chunkSizes.reduce((a, b) => a + b, 0);
    this.windowRows = Math.min(windowRows, this.n);
    this.chunkOrder = new Int32Array(chunkSizes.length).map((_, i) => i);
    this.perm = new Int32Array(this.windowRows);
  }
  startEpoch(rng: Rng): void {
    this.rng = rng;
    if (this.windowRows < this.n) rng.shuffle(this.chunkOrder);
    this.next = 0;
  }
  nextWindow(): Window {
    const chunks: number[] = [];
    let rows = 0;
    while (this.next < this.chunkOrder.length) {
      const c = this.chunkOrder[this.next];
      if (rows + this.chunkSizes[c] > this.windowRows) break;
      chunks.push(c);
      rows += this.chunkSizes[c];
      this.next++;
    }
    if (rows === 0) throw new Error(`training rows: the epoch asked for more than the ${this.n} rows of the split`);
    if (rows !== this.lastRows) for (let i = 0; i < rows; i++) this.perm[i] = i;
    this.lastRows = rows;
    this.rng!.shuffle(this.perm, rows);
    return { chunks, rows, perm: this.perm };
  }
}

/** In memory: the whole epoch's order as row indices, drawn at the start of the epoch. */
class MemoryRows implements TrainRows {
  readonly n: number;
  private readonly order: Int32Array;
  private readonly chunkStart: Int32Array;
  constructor(
    private readonly split: EncodedSplit,
    private readonly layout: FeatureLayout,
    private readonly tasks: number,
    private readonly windows: WindowOrder,
  ) {
    this.n = split.n;
    this.order = new Int32Array(split.n);
    this.chunkStart = new Int32Array(windows.chunkSizes.length);
    for (let c = 1; c < this.chunkStart.length; c++) this.chunkStart[c] = this.chunkStart[c - 1] + windows.chunkSizes[c - 1];
  }
  startEpoch(rng: Rng): void {
    this.windows.startEpoch(rng);
    const rowOf = new Int32Array(this.windows.windowRows);
    for (let at = 0; at < this.n; ) {
      const w = this.windows.nextWindow();
      let k = 0;
      for (const c of w.chunks) for (let r = 0; r < this.windows.chunkSizes[c]; r++) rowOf[k++] = this.chunkStart[c] + r;
      for (let i = 0; i < w.rows; i++) this.order[at + i] = rowOf[w.perm[i]];
      at += w.rows;
    }
  }
  gather(from: number, to: number, dst: EncodedBatch, dstLabels: Float32Array): void {
    gatherRows(this.layout, this.tasks, this.split, this.order, from, to, dst, dstLabels);
  }
}

/** Streamed: a window of chunks is read into the buffer when the epoch reaches it. */
class StreamedRows implements TrainRows {
  readonly n: number;
  private readonly buffer: EncodedSplit;
  private readonly windows: WindowOrder;
  private perm: Int32Array = new Int32Array(0);
  private windowStart = 0;
  private windowEnd = 0;
  constructor(
    private readonly split: StreamedSplit,
    private readonly layout: FeatureLayout,
    private readonly tasks: number,
  ) {
    this.n = split.n;
    this.windows = new WindowOrder(split.chunks.map((c) => c.rows), split.bufferRows);
    this.buffer = allocSplit(layout, tasks, this.windows.windowRows);
  }
  startEpoch(rng: Rng): void {
    this.windows.startEpoch(rng);
    this.windowStart = this.windowEnd = 0;
  }
  /** Reads the next window's chunks into the buffer. */
  private loadWindow(): void {
    const w = this.windows.nextWindow();
    let rows = 0;
    for (const c of w.chunks) {
      const chunk = this.split.chunks[c];
      readChunk(chunk.path, chunk.rows, this.buffer, this.layout, this.tasks, rows);
      rows += chunk.rows;
    }
    this.perm = w.perm;
    this.windowStart = this.windowEnd;
    this.windowEnd += w.rows;
  }
  gather(from: number, to: number, dst: EncodedBatch, dstLabels: Float32Array): void {
    let at = 0;
    while (from < to) {
      if (from >= this.windowEnd) this.loadWindow();
      const b = Math.min(to, this.windowEnd);
      gatherRows(this.layout, this.tasks, this.buffer, this.perm, from - this.windowStart, b - this.windowStart, dst, dstLabels, at);
      at += b - from;
      from = b;
    }
  }
}
