// The training rows of an epoch in shuffled order, whether the split is in memory or in chunk
// files (row-store.ts). In memory: one permutation of all rows per epoch. Streamed: the chunk
// order is shuffled, then a buffer of chunks at a time is read and shuffled within; both from
// the trainer's seeded generator, so a seed gives the same order on every run. When the buffer
// holds every chunk, the streamed order is the in-memory one (chunks in file order, the same
// permutation), so both train the same weights.

import type { Rng } from '../engine/rng.ts';
import type { EncodedBatch } from '../features/encode.ts';
import type { FeatureLayout } from '../features/layout.ts';
import { gatherRows, type EncodedSplit } from './dataset.ts';
import { allocSplit, isStreamed, readChunk, type StreamedSplit, type TrainSplit } from './row-store.ts';

export interface TrainRows {
  readonly n: number;
  /** Draws this epoch's order. */
  startEpoch(rng: Rng): void;
  /** Copies rows [from, to) of this epoch's order into dst (calls come in order within an epoch). */
  gather(from: number, to: number, dst: EncodedBatch, dstLabels: Float32Array): void;
}

export function trainRows(split: TrainSplit, layout: FeatureLayout, tasks: number): TrainRows {
  return isStreamed(split) ? new StreamedRows(split, layout, tasks) : new MemoryRows(split, layout, tasks);
}

class MemoryRows implements TrainRows {
  readonly n: number;
  private readonly order: Int32Array;
  constructor(
    private readonly split: EncodedSplit,
    private readonly layout: FeatureLayout,
    private readonly tasks: number,
  ) {
    this.n = split.n;
    this.order = new Int32Array(split.n).map((_, i) => i);
  }
  startEpoch(rng: Rng): void {
    rng.shuffle(this.order);
  }
  gather(from: number, to: number, dst: EncodedBatch, dstLabels: Float32Array): void {
    gatherRows(this.layout, this.tasks, this.split, this.order, from, to, dst, dstLabels);
  }
}

class StreamedRows implements TrainRows {
  readonly n: number;
  private readonly buffer: EncodedSplit;
  private readonly perm: Int32Array;
  private readonly chunkOrder: Int32Array;
  private rng: Rng | null = null;
  private nextChunk = 0;
  private windowStart = 0;
  private windowEnd = 0;
  /** Rows of the previous window: a window of another size starts from the identity again. */
  private lastRows = -1;
  constructor(
    private readonly split: StreamedSplit,
    private readonly layout: FeatureLayout,
    private readonly tasks: number,
  ) {
    this.n = split.n;
    this.buffer = allocSplit(layout, tasks, split.bufferRows);
    this.perm = new Int32Array(split.bufferRows);
    this.chunkOrder = new Int32Array(split.chunks.length).map((_, i) => i);
  }
  startEpoch(rng: Rng): void {
    this.rng = rng;
    if (this.split.bufferRows < this.n) rng.shuffle(this.chunkOrder);
    this.nextChunk = 0;
    this.windowStart = this.windowEnd = 0;
  }
  /** Reads the next chunks that fit into the buffer and shuffles them. */
  private loadWindow(): void {
    const { chunks } = this.split;
    let rows = 0;
    while (this.nextChunk < chunks.length) {
      const c = chunks[this.chunkOrder[this.nextChunk]];
      if (rows + c.rows > this.buffer.n) break;
      readChunk(c.path, c.rows, this.buffer, this.layout, this.tasks, rows);
      rows += c.rows;
      this.nextChunk++;
    }
    if (rows === 0) throw new Error(`training rows: the epoch asked for more than the ${this.n} rows of the split`);
    if (rows !== this.lastRows) for (let i = 0; i < rows; i++) this.perm[i] = i;
    this.lastRows = rows;
    this.rng!.shuffle(this.perm, rows);
    this.windowStart = this.windowEnd;
    this.windowEnd += rows;
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
