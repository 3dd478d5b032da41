// Cost of each task weighting per training step: the synthetic shop's MMoE and AITM, 2
// threads, batch 512, with fixed, uncertainty, GradNorm and PCGrad weights. GradNorm adds a
// backward pass per task down to its last shared layer, PCGrad replaces the backward by one
// pass per task plus the projection, so their cost depends on where the sharing is.

import { WEIGHTINGS } from '../../model/train/task-weights.ts';
import { child, type TrainBench } from './train.ts';

export const WEIGHTING_ARCHS = ['mmoe', 'aitm'] as const;
const BATCH = 512;

export interface WeightingBench extends TrainBench {
  arch: string;
  weighting: string;
  /** Milliseconds per 512-row step (median stretch between validation passes). */
  msPerStep: number;
}

export function benchWeighting(quick: boolean): WeightingBench[] {
  const rows = quick ? 60_000 : 200_000;
  const out: WeightingBench[] = [];
  for (const arch of WEIGHTING_ARCHS) {
    for (const weighting of WEIGHTINGS) {
      const r = child('synthetic', 2, rows, 1, ['--arch', arch, '--weighting', weighting]);
      out.push({ ...r, arch, weighting, msPerStep: (BATCH * 1000) / r.samplesPerSec.median });
    }
  }
  return out;
}
