// How rows are assigned to train / valid / test.
//
// With time: by time cut points (the earliest rows train, the latest test), never at random, so
// the model is scored on a future it has not seen. Rows at exactly a cut time go to the later
// split, so no second straddles two splits.
// Without time: a seeded hash of the row's position in the file, which is deterministic (the
// same file and seed give the same split on every machine and every pass over a stream) and
// independent of the other rows (fixing or removing one bad row moves no other row).

import { hash32 } from '../features/hash.ts';
import type { Split } from './source.ts';

export interface Shares {
  valid: number;
  test: number;
}

/** Split of row `index` by a seeded hash: train with probability 1 - valid - test. */
export function hashSplit(index: number, seed: number, s: Shares): Split {
  const u = hash32(String(index), (Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995) >>> 0) / 4294967296;
  return u < 1 - s.valid - s.test ? 'train' : u < 1 - s.test ? 'valid' : 'test';
}

export interface TimeCuts {
  /** First time of the validation split. */
  valid: number;
  /** First time of the test split. */
  test: number;
}

export function timeSplit(time: number, cuts: TimeCuts): Split {
  return time < cuts.valid ? 'train' : time < cuts.test ? 'valid' : 'test';
}

/**
 * Cut times at the (1 - valid - test) and (1 - test) quantiles of `times` (not modified).
 * Exact for the rows given; for a stream these are a uniform sample (see TimeSample).
 */
export function timeCuts(times: Float64Array, s: Shares): TimeCuts {
  if (times.length === 0) return { valid: Infinity, test: Infinity };
  const sorted = Float64Array.from(times).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { valid: at(1 - s.valid - s.test), test: at(1 - s.test) };
}

/**
 * A uniform sample of the times of a stream (reservoir sampling, seeded): exact quantiles for
 * files of up to `capacity` rows, and within a fraction of a percent of them beyond, in
 * capacity * 8 bytes however large the file.
 */
export class TimeSample {
  private readonly buf: Float64Array;
  private seen = 0;
  private state: number;
  constructor(
    readonly capacity = 1_000_000,
    seed = 1,
  ) {
    this.buf = new Float64Array(capacity);
    this.state = (seed ^ 0x2545f491) >>> 0 || 1;
  }
  add(t: number): void {
    if (this.seen < this.capacity) this.buf[this.seen] = t;
    else {
      const j = Math.floor(this.next() * (this.seen + 1));
      if (j < this.capacity) this.buf[j] = t;
    }
    this.seen++;
  }
  /** xorshift32: only picks reservoir slots, so its quality hardly matters. */
  private next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
  cuts(s: Shares): TimeCuts {
    return timeCuts(this.buf.subarray(0, Math.min(this.seen, this.capacity)), s);
  }
}
