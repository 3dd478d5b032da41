// What every part of the profiler shares: the model, the request bodies, the options, and
// where the report goes (printed lines, the JSON summary, profiles in outDir).

import type { BenchModel } from '../bench/model.ts';

export interface ProfileRun {
  bm: BenchModel;
  /** Candidate counts profiled, and the POST /v1/score body of each. */
  sizes: number[];
  bodies: Map<number, string>;
  /** wrangler.toml [vars]: the worker's environment. */
  env: Record<string, string>;
  /** Whole requests per CPU profile (--requests). */
  requests: number;
  /** The CPU profiler's sampling interval, microseconds (--interval). */
  interval: number;
  quick: boolean;
  outDir: string;
  /** The printed report, and the JSON summary written to outDir/summary.json. */
  lines: string[];
  summary: Record<string, unknown>;
}

export const log = (s: string) => process.stderr.write(`profile: ${s}\n`);
/** ms with 3 significant digits (a dash when not finite). */
export const f3 = (x: number) => (!Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
