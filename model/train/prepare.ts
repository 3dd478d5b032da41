// From a data source to encoded splits: fit numeric statistics and bin edges on the training
// split only, encode train / valid / test with the shared feature module, and check that
// every task can be learned and scored.

import type { DataSource, Split } from '../data/source.ts';
import { layoutOf, type FeatureLayout } from '../features/layout.ts';
import type { FeatureSpec, TaskSpec } from '../features/spec.ts';
import { NumericStats, QuantileSketch } from '../features/stats.ts';
import { checkLearnable } from './checks.ts';
import { encodeExamples, type EncodedSplit } from './dataset.ts';

export interface PreparedData {
  features: FeatureSpec[];
  tasks: TaskSpec[];
  layout: FeatureLayout;
  splits: Record<Split, EncodedSplit>;
}

export interface PrepareOptions {
  /** Quantile bins per numeric feature (0 = none): see NumericFeature.edges. */
  numericBins: number;
}

export const DEFAULT_NUMERIC_BINS = 32;

export function fitFeatures(source: DataSource, o: PrepareOptions = { numericBins: DEFAULT_NUMERIC_BINS }): FeatureSpec[] {
  const stats = new Map<string, { norm: NumericStats; bins: QuantileSketch }>();
  for (const f of source.features) if (f.kind === 'numeric') stats.set(f.name, { norm: new NumericStats(f.transform), bins: new QuantileSketch() });
  if (stats.size) {
    for (const ex of source.examples('train')) {
      for (const [name, s] of stats) {
        const v = ex.features[name];
        s.norm.add(v);
        if (o.numericBins) s.bins.add(v);
      }
    }
  }
  return source.features.map((f) => {
    if (f.kind !== 'numeric') return f;
    const s = stats.get(f.name)!;
    const { mean, std } = s.norm.result();
    const { edges: _old, ...rest } = f;
    const edges = o.numericBins ? s.bins.edges(o.numericBins) : [];
    return edges.length ? { ...rest, mean, std, edges } : { ...rest, mean, std };
  });
}

export function prepare(source: DataSource, o?: PrepareOptions): PreparedData {
  const features = fitFeatures(source, o);
  const layout = layoutOf(features);
  const T = source.tasks.length;
  const groups = new Map<string, number>();
  const splits = {
    train: encodeExamples(layout, T, source.examples('train'), groups),
    valid: encodeExamples(layout, T, source.examples('valid'), groups),
    test: encodeExamples(layout, T, source.examples('test'), groups),
  };
  for (const s of ['train', 'valid', 'test'] as const) {
    if (splits[s].n === 0) throw new Error(`data source ${source.name} yields no ${s} rows`);
  }
  checkLearnable(source.name, source.tasks, splits);
  return { features, tasks: source.tasks, layout, splits };
}
