// Cost of each task weighting per training step: the synthetic shop's MMoE and AITM, 2
// threads, batch 512, with fixed, uncertainty, GradNorm and PCGrad weights, interleaved in
// one child process (weighting-child.ts). GradNorm adds a backward pass per task down to its
// last shared layer; PCGrad replaces the backward by one pass per task plus the projection,
// so their cost depends on how much of the network the tasks share.

import { execFileSync } from 'node:child_process';
import { summarize, type Summary } from './stats.ts';

export const WEIGHTING_ARCHS = ['mmoe', 'aitm'] as const;

export interface WeightingBench {
  arch: string;
  weighting: string;
  /** Milliseconds per 512-row step over the stretches between validation passes. */
  msPerStep: Summary;
}

export function benchWeighting(quick: boolean): WeightingBench[] {
  // 100,000 rows in both modes: the smallest round size of the shop whose valid and test splits
  // hold ad conversions (the data checks refuse a task they cannot score).
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench/weighting-child.ts', '--rows', '100000', '--rounds', String(quick ? 1 : 3), '--archs', WEIGHTING_ARCHS.join(',')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 },
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as { ms: Record<string, number[]> };
  return Object.entries(r.ms).map(([key, xs]) => {
    const [arch, weighting] = key.split(' ');
    return { arch, weighting, msPerStep: summarize(xs) };
  });
}
