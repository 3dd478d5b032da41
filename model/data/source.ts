// What every data source (synthetic shop, Taobao, UCI coupons, user CSV) hands the trainer.
// Sources stream: `examples(split)` can be iterated again (each call restarts the stream),
// so data larger than memory never has to be held at once.

import type { KindSpec } from '../features/kinds.ts';
import type { CandidateKind, FeatureSpec, RawRow, TaskSpec } from '../features/spec.ts';

export type Split = 'train' | 'valid' | 'test';

/** One impression: raw features, one label per task (null = not labelled, trains nothing). */
export interface Example {
  features: RawRow;
  /** Labels in the order of `DataSource.tasks`; null masks the task for this row. */
  labels: (0 | 1 | null)[];
  kind: CandidateKind;
  /** Grouping key for GAUC (the user). */
  group: string;
  /** Event time (seconds); splits are made on it where the data has time. */
  time: number;
  /** Simulated data only: the true probability behind each label (for the Bayes ceiling). */
  trueProb?: number[];
}

/** Rows rejected while reading, counted by reason (never dropped silently). */
export type BadRowCounts = Record<string, number>;

export interface DataSource {
  name: string;
  /** Numeric features carry placeholder statistics (mean 0, std 1): the trainer fits them on train. */
  features: FeatureSpec[];
  tasks: TaskSpec[];
  /** The candidate kinds, when the source declares them (recorded in the manifest; unset: item + coupon). */
  kinds?: KindSpec[];
  examples(split: Split): Iterable<Example>;
  /** Filled while reading: bad rows by reason. */
  badRows?: BadRowCounts;
  /** Free-form description recorded in the manifest (sizes, seed, file, hash). */
  describe(): Record<string, unknown>;
  /**
   * Optional non-learned predictions of every task (e.g. popularity fitted on train), [n, tasks]
   * for the rows of examples(split) in order; scored next to the model as `baseline_auc`.
   */
  baseline?(split: Split): Float32Array;
}
