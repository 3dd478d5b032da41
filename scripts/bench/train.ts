// Training throughput: the reference configuration of shared/notes/training-engine.md with 1
// and 2 threads, and the default synthetic-shop model. Each run is a child process.

import { execFileSync } from 'node:child_process';
import { summarize, type Summary } from './stats.ts';

export interface TrainBench {
  samplesPerSec: Summary;
  peakRssBytes: number;
  kernels: string;
}

function child(data: string, threads: number, rows: number, epochs: number): TrainBench {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench/train-child.ts', '--data', data, '--threads', String(threads), '--rows', String(rows), '--epochs', String(epochs)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 24,
  });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  return { samplesPerSec: summarize(r.perEpoch), peakRssBytes: r.peakRssBytes, kernels: r.kernels };
}

export function benchTraining(quick: boolean) {
  const refRows = quick ? 50_000 : 250_000; // 80% of it is the training split (200k as in the note)
  const epochs = quick ? 2 : 3;
  return {
    reference_1t: child('reference', 1, refRows, epochs),
    reference_2t: child('reference', 2, refRows, epochs),
    synthetic_2t: child('synthetic', 2, quick ? 60_000 : 600_000, quick ? 1 : 2),
  };
}
