// Opening a data source for a command: bad rows reported (and a mostly unreadable file
// refused) before any training, then the split sizes and the numeric binning printed.

import { checkBadShare, describeBadRows, isAudited } from '../../model/data/bad-rows.ts';
import { openDataSource } from '../../model/data/index.ts';
import type { DataSource } from '../../model/data/source.ts';
import { isDerived } from '../../model/features/match.ts';
import { prepare, type PrepareOptions, type PreparedData } from '../../model/train/prepare.ts';
import { fail, int } from './cli.ts';
import { isStreamed, SHUFFLE_WINDOW_ROWS } from '../../model/train/row-store.ts';
import { formatBytes } from './memory-budget.ts';

export interface DataArgs {
  data?: string;
  schema?: string;
  rows?: string;
  'max-bad-share'?: string;
}

export function openData(args: DataArgs, seed: number): DataSource {
  const maxBadShare = args['max-bad-share'] === undefined ? 0.01 : Number(args['max-bad-share']);
  if (!(maxBadShare >= 0 && maxBadShare <= 1)) fail(`--max-bad-share must be a number in [0, 1], got "${args['max-bad-share']}"`);
  const source = openDataSource(args.data ?? 'synthetic', { rows: args.rows === undefined ? undefined : int('rows', args.rows, 0, 100), seed, schema: args.schema });
  // File-backed sources read every row when opened: report bad rows, and stop before training
  // on a file that is mostly unreadable.
  if (isAudited(source)) {
    const bad = Object.values(source.badRows).reduce((a, b) => a + b, 0);
    if (bad) process.stderr.write(`bad rows: ${bad} of ${source.rowsRead} (${((bad / source.rowsRead) * 100).toFixed(2)}%): ${describeBadRows(source.badRows, source.badRowLines)}\n`);
    checkBadShare(source, maxBadShare);
  }
  return source;
}

/**
 * Encodes the splits (numeric bins fitted on train, or the given fitted specs) and says what
 * came out: the derived match features, and whether the training split went to chunk files
 * (past `o.memoryBudget` bytes).
 */
export function prepareReported(source: DataSource, o: PrepareOptions): PreparedData {
  const t0 = performance.now();
  const data = prepare(source, o);
  const matches = data.features.filter(isDerived);
  if (matches.length) {
    const what = matches.map((m) => `${m.match.key} in ${m.match.list}`).join(', ');
    process.stderr.write(`match features (the share of a list's values equal to the candidate's, for fields that share a vocabulary; --no-match-features to leave them out): ${what}\n`);
  }
  const bad = Object.entries(source.badRows ?? {});
  if (bad.length && !isAudited(source)) process.stderr.write(`skipped bad rows: ${bad.map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  const binned = data.layout.numericBins.filter((b) => b !== null).length;
  const n = (x: number) => x.toLocaleString('en-US');
  process.stderr.write(
    `data ${source.name}: train ${n(data.splits.train.n)}, valid ${n(data.splits.valid.n)}, test ${n(data.splits.test.n)} rows (${((performance.now() - t0) / 1000).toFixed(1)} s)` +
      (data.layout.numeric.length ? `; ${binned} of ${data.layout.numeric.length} numeric features binned (up to ${o.numericBins} quantile bins)` : '') +
      '\n',
  );
  const train = data.splits.train;
  if (isStreamed(train)) {
    process.stderr.write(
      `training split: ${formatBytes(train.n * train.rowBytes)} encoded, over the memory budget: streamed from ${train.chunks.length} chunk files in ${train.dir}, shuffled within buffers of ${n(train.bufferRows)} rows\n` +
        (train.bufferRows < Math.min(train.n, SHUFFLE_WINDOW_ROWS)
          ? `warning: the memory budget holds fewer rows than the shuffle window of ${n(SHUFFLE_WINDOW_ROWS)}, so this run's row order (and weights) depend on --memory-budget; give the same budget to reproduce it\n`
          : ''),
    );
  }
  return data;
}
