// The reference training task of shared/notes/training-engine.md, used to compare engines:
// 8 hashed categorical fields (65,536 buckets each), 4 dense features, 3 binary tasks.
// Labels come from per-value effects plus pairwise interactions, so there is something to learn.

import { Rng } from '../engine/rng.ts';
import type { FeatureSpec, TaskSpec } from '../features/spec.ts';
import type { DataSource, Example, Split } from './source.ts';

const FIELDS = 8;
const DENSE = 4;
const VOCAB = 20_000;

export function referenceTask(o: { rows?: number; seed?: number } = {}): DataSource {
  const rows = o.rows ?? 200_000;
  const seed = o.seed ?? 7;
  const features: FeatureSpec[] = [
    ...Array.from({ length: FIELDS }, (_, f): FeatureSpec => ({ name: `f${f}`, entity: f < 4 ? 'user' : 'item', kind: 'categorical', buckets: 65_536 })),
    ...Array.from({ length: DENSE }, (_, d): FeatureSpec => ({ name: `d${d}`, entity: 'context', kind: 'numeric', transform: 'identity', mean: 0, std: 1 })),
  ];
  const tasks: TaskSpec[] = [
    { name: 't0', appliesTo: 'item' },
    { name: 't1', appliesTo: 'item', parent: 't0' },
    { name: 't2', appliesTo: 'item', parent: 't0' },
  ];
  const bounds: Record<Split, [number, number]> = { train: [0, 0.8], valid: [0.8, 0.9], test: [0.9, 1] };
  // Per-value latent vectors (4-d) and biases, hashed from the value index.
  const latent = (f: number, v: number, j: number) => {
    const r = new Rng(((seed * 31 + f) * 1_000_003 + v) * 7 + j);
    return r.normal();
  };
  function* examples(split: Split): Generator<Example> {
    const [a, b] = bounds[split];
    for (let i = Math.floor(a * rows); i < Math.floor(b * rows); i++) {
      const r = new Rng(seed * 9_999_991 + i);
      const feats: Record<string, number | string> = {};
      const ids: number[] = [];
      for (let f = 0; f < FIELDS; f++) {
        // Zipf-like: small indices are frequent.
        const v = Math.floor(VOCAB ** r.next());
        ids.push(v);
        feats[`f${f}`] = `v${v}`;
      }
      let inter = 0;
      for (let j = 0; j < 2; j++) inter += latent(0, ids[0], j) * latent(4, ids[4], j) + latent(1, ids[1], j) * latent(5, ids[5], j);
      const dense = Array.from({ length: DENSE }, () => r.normal());
      dense.forEach((x, d) => (feats[`d${d}`] = x));
      const base = 0.5 * latent(2, ids[2], 0) + 0.3 * dense[0] + 0.6 * inter;
      const logits = [base - 1.5, base + 0.4 * dense[1] - 3, base - 0.4 * dense[2] - 3.5];
      const p = logits.map((z) => 1 / (1 + Math.exp(-z)));
      yield { features: feats, labels: p.map((q) => (r.next() < q ? 1 : 0)), kind: 'item', group: `g${ids[0]}`, time: i, trueProb: p };
    }
  }
  return { name: 'reference', features, tasks, examples, describe: () => ({ name: 'reference', rows, seed }) };
}
